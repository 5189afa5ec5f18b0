import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';

export interface DecoratedMethod<T> {
  /** The metadata value the decorator set (e.g. the job name). */
  value: T;
  /** Where, for messages: `Class.method`. */
  where: string;
  /** The method's other metadata, read by key. */
  meta<M>(key: string | symbol): M | undefined;
  /** Calls the method on its provider instance. */
  call(...args: unknown[]): unknown;
}

/** Every provider method carrying metadata `key` (@JobHandler, @JobTick): one walk over the providers for both. */
export function decoratedMethods<T>(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
  key: string | symbol,
): DecoratedMethod<T>[] {
  const out: DecoratedMethod<T>[] = [];
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    const proto = Object.getPrototypeOf(instance);
    if (!proto) continue;
    for (const method of scanner.getAllMethodNames(proto)) {
      const value = reflector.get<T | undefined>(key, proto[method]);
      if (value === undefined || value === null || (value as unknown) === false) continue;
      const fn = instance[method] as (...args: unknown[]) => unknown;
      out.push({
        value,
        where: `${proto.constructor.name}.${method}`,
        meta: <M>(k: string | symbol) => reflector.get<M | undefined>(k, proto[method]),
        call: (...args) => fn.call(instance, ...args),
      });
    }
  }
  return out;
}

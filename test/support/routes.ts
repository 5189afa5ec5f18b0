import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PARAMTYPES_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import type { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { ALLOWED_KINDS, CONSOLE_ROUTE, PUBLIC_ROUTE, RATE_LIMITED } from '../../src/platform/auth/auth.decorators.js';
import type { TestApp } from './test-app.js';

export interface RouteInfo {
  method: string;
  path: string;
  allowed: PartnerKind[];
  isPublic: boolean;
  rateLimited: boolean;
  name: string;
  /** Path parameter names, in order. */
  params: string[];
  /** The DTO class of the @Body parameter, when it has one (not a plain object or `unknown`). */
  bodyDto?: Type;
  /** The properties of the @Query DTO, when there is one. */
  queryProperties: string[];
  /** Media types declared in the OpenAPI description (empty: JSON). */
  consumes: string[];
}

/** The properties a DTO class declares validation rules for. */
export const dtoProperties = (cls: Type): string[] => [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .map((m) => m.propertyName),
  ),
];

/**
 * Every API route of every controller, read from Nest's own metadata, so a new controller is covered by default.
 * The console's routes (session cookie, HTML, url-encoded forms) are left out: their own rules are checked for every
 * one of them by test/console-http.test.ts (the gate), test/console-hostile.test.ts (the hostile corpus, found from
 * the route policies) and test/console-browser.test.ts (the pages).
 */
export function discoverRoutes(t: TestApp): RouteInfo[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const reflector = t.app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as Type;
    const base = ([] as string[]).concat(reflector.get(PATH_METADATA, cls) ?? '')[0];
    for (const m of scanner.getAllMethodNames(cls.prototype)) {
      const handler = cls.prototype[m];
      const sub = reflector.get(PATH_METADATA, handler);
      if (sub === undefined) continue;
      if (reflector.getAllAndOverride(CONSOLE_ROUTE, [handler, cls])) continue;
      const method = RequestMethod[reflector.get(METHOD_METADATA, handler) as number];
      const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
      const args = Object.entries(
        (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, m) ?? {}) as Record<string, { index: number }>,
      );
      const types = (Reflect.getMetadata(PARAMTYPES_METADATA, cls.prototype, m) ?? []) as Type[];
      const argType = (paramtype: number) => {
        const arg = args.find(([key]) => key.split(':')[0] === String(paramtype));
        return arg ? types[arg[1].index] : undefined;
      };
      const body = argType(3);
      const query = argType(4);
      const plain = (c: Type | undefined) =>
        !c || [Object, String, Number, Boolean, Array, Buffer].includes(c as never);
      routes.push({
        method,
        path,
        name: `${cls.name}.${m}`,
        isPublic: !!reflector.getAllAndOverride(PUBLIC_ROUTE, [handler, cls]),
        rateLimited: !!reflector.getAllAndOverride(RATE_LIMITED, [handler, cls]),
        allowed: reflector.getAllAndOverride<PartnerKind[]>(ALLOWED_KINDS, [handler, cls]) ?? [],
        params: [...path.matchAll(/:(\w+)/g)].map((x) => x[1]),
        bodyDto: plain(body) ? undefined : body,
        queryProperties: plain(query) ? [] : dtoProperties(query!),
        consumes: reflector.getAllAndOverride<string[]>('swagger/apiConsumes', [handler, cls]) ?? [],
      });
    }
  }
  return routes;
}

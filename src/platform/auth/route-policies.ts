import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import { ALLOWED_KINDS, BULK_UPLOAD, CONSUMES, PUBLIC_ROUTE, RATE_LIMITED } from './auth.decorators.js';

/** What a route lets in, read from its controller's decorators. */
export interface RoutePolicy {
  /** `Controller.method`, for messages. */
  name: string;
  method: string;
  /** The route pattern as Fastify registers it (`/v1/cards/:serial`). */
  path: string;
  isPublic: boolean;
  allowed: PartnerKind[];
  rateLimited: boolean;
  /** Media types its body may have; JSON when the route declares none. */
  consumes: string[];
  /** A file upload: BULK_IMPORT_MAX_BYTES instead of 1 MiB, bytes kept raw. */
  bulkUpload: boolean;
  /** The handler reads a body (@Body, or a declared upload); a route that does not refuses one. */
  takesBody: boolean;
  /** The handler reads the query string (@Query); a route that does not refuses query parameters. */
  takesQuery: boolean;
}

export const JSON_MEDIA_TYPE = 'application/json';

/**
 * Every route of every controller with its policy, keyed `METHOD /path` (HEAD answers as GET). Read from Nest's
 * own metadata, as the start-up check and the tests do, so a new controller is covered without being listed.
 */
export function readRoutePolicies(app: INestApplicationContext): Map<string, RoutePolicy> {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const policies = new Map<string, RoutePolicy>();
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
    if (!cls) continue;
    const bases = ([] as string[]).concat(reflector.get<string | string[]>(PATH_METADATA, cls) ?? '');
    for (const methodName of scanner.getAllMethodNames(cls.prototype)) {
      const handler = (cls.prototype as Record<string, unknown>)[methodName] as (...args: unknown[]) => unknown;
      const subs = reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
      if (subs === undefined) continue;
      const method = RequestMethod[reflector.get<number>(METHOD_METADATA, handler)];
      const targets = [handler, cls];
      const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, methodName) ?? {}) as Record<string, unknown>);
      const argOf = (type: RouteParamtypes) => args.some(([key]) => key.split(':')[0] === String(type));
      const declared = reflector.getAllAndOverride<string[] | undefined>(CONSUMES, targets);
      const bulkUpload = !!reflector.getAllAndOverride<boolean>(BULK_UPLOAD, targets);
      for (const base of bases) {
        for (const sub of ([] as string[]).concat(subs)) {
          const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
          policies.set(`${method} ${path}`, {
            name: `${cls.name}.${methodName}`,
            method,
            path,
            isPublic: !!reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets),
            allowed: reflector.getAllAndOverride<PartnerKind[] | undefined>(ALLOWED_KINDS, targets) ?? [],
            rateLimited: !!reflector.getAllAndOverride<boolean>(RATE_LIMITED, targets),
            consumes: declared?.length ? declared : [JSON_MEDIA_TYPE],
            bulkUpload,
            takesBody: argOf(RouteParamtypes.BODY) || !!declared?.length,
            takesQuery: argOf(RouteParamtypes.QUERY),
          });
        }
      }
    }
  }
  return policies;
}

/** The policy of the route a request matched (HEAD is answered by the GET route). */
export function policyOf(policies: Map<string, RoutePolicy>, method: string, url: string | undefined): RoutePolicy | undefined {
  if (!url) return undefined;
  return policies.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
}

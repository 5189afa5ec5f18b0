import {
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { SafeHtml } from './html.js';

/** The signed-in agent of a console route (resolved by the request gate from the session cookie). */
export const CurrentAgent = createParamDecorator((_: unknown, ctx: ExecutionContext): ConsolePrincipal => {
  return (ctx.switchToHttp().getRequest() as { consoleAgent: ConsolePrincipal }).consoleAgent;
});

/** A console handler returns a SafeHtml page: it is sent as HTML (anything else passes unchanged). */
@Injectable()
export class SafeHtmlInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((out: unknown) => {
        if (!(out instanceof SafeHtml)) return out;
        void ctx.switchToHttp().getResponse<FastifyReply>().type('text/html; charset=utf-8');
        return out.value;
      }),
    );
  }
}

/** Whether the browser reached us over TLS (directly, or through a trusted proxy's X-Forwarded-Proto). */
export const overTls = (req: FastifyRequest): boolean => req.protocol === 'https';

/** A console cookie: HttpOnly, SameSite=Strict, path /console; Secure when served over TLS. */
export function consoleCookie(req: FastifyRequest, name: string, value: string, maxAgeSeconds?: number): string {
  return [
    `${name}=${value}`,
    'Path=/console',
    'HttpOnly',
    'SameSite=Strict',
    ...(overTls(req) ? ['Secure'] : []),
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
  ].join('; ');
}

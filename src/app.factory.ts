import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module.js';
import { type AppConfig, trustedProxyList } from './config/app-config.js';
import { ApiKeyVerifier } from './partners/api-key-verifier.js';
import type { Actor } from './platform/auth/actor.js';
import { ConsoleAuthService } from './console/auth/console-auth.service.js';
import { renderErrorPage } from './console/ui/layout.js';
import { FORM_MEDIA_TYPE } from './platform/auth/auth.decorators.js';
import { CONSOLE_ASSETS_PREFIX, CONSOLE_FORM_MAX_BYTES } from './platform/auth/console-principal.js';
import { installRequestGate } from './platform/auth/request-gate.js';
import { parseForm } from './platform/validation/form-body.js';
import { JSON_MEDIA_TYPE, policyOf, readRoutePolicies } from './platform/auth/route-policies.js';
import { answerClientError, sendProblem } from './platform/errors/problem.filter.js';
import { JsonLogger } from './platform/logging/logger.js';
import { MetricsService } from './platform/metrics/metrics.service.js';
import { describeProblemResponses } from './platform/openapi/problem-responses.js';
import { parseJsonBody } from './platform/validation/json-body.js';
import { AppValidationPipe } from './platform/validation/validation.pipe.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The body limit of every route but the file uploads. */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;

/** Builds the HTTP application (not yet listening). Used by main, the CLI's tests and the e2e tests alike. */
export async function createApp(config: AppConfig, databaseUrl: string, logger: Pino): Promise<NestFastifyApplication> {
  // DATA_DIR is created here, with the usual mode, before anything writes in it: a module creating its private
  // folder first (keys, 0700) with a recursive mkdir would make DATA_DIR itself 0700, and the embedded PostgreSQL,
  // which runs as another OS user when the product is started as root, could then no longer pass through it.
  mkdirSync(config.dataDir, { recursive: true });
  const proxies = trustedProxyList(config.trustedProxies);
  const frameworkLog = new Logger('http');
  const adapter = new FastifyAdapter({
    logger: false,
    // Every route but the file uploads (BULK_IMPORT_MAX_BYTES, set per route by the request gate).
    bodyLimit: JSON_BODY_MAX_BYTES,
    // X-Forwarded-For is believed only from the configured proxies (none by default).
    trustProxy: proxies.length > 0 ? proxies : false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Errors Fastify raises before any route runs (a bad percent-encoding, a path parameter over 100 characters):
    // problem documents too, without the URL fastify would quote.
    frameworkErrors: (error: Error, req: FastifyRequest, reply: FastifyReply) =>
      sendProblem(error, req, reply, frameworkLog),
    // What Node's HTTP parser refuses before Fastify sees a request (a bad request line, Content-Length or
    // Transfer-Encoding, headers over 16 KiB): a problem document too, not Fastify's bare JSON.
    clientErrorHandler: answerClientError,
  });
  // Body parsers are this app's own (below): Nest's would add url-encoded forms and a JSON parser without limits.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger: new JsonLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    bodyParser: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  const policies = readRoutePolicies(app);
  // Credentials, path parameters, query strings and media types are checked before a body is read.
  const consoleAuth = app.get(ConsoleAuthService);
  installRequestGate(fastify, policies, app.get(ApiKeyVerifier), config.bulkImportMaxBytes, {
    authenticate: (token) => consoleAuth.authenticate(token),
    renderError: renderErrorPage,
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // Console forms (the gate lets them reach only @ConsoleAction routes, within CONSOLE_FORM_MAX_BYTES).
  fastify.addContentTypeParser(
    FORM_MEDIA_TYPE,
    { parseAs: 'string', bodyLimit: CONSOLE_FORM_MAX_BYTES },
    (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (e) {
        done(e as Error, undefined);
      }
    },
  );
  // The DSFR's own files (CSS, module JS, fonts, icons, favicon) as published, under a versioned URL: cached long.
  await app.register(fastifyStatic, {
    root: dirname(createRequire(import.meta.url).resolve('@gouvfr/dsfr/dist/dsfr.min.css')),
    prefix: CONSOLE_ASSETS_PREFIX,
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    allowedPath: (path: string) => /^\/(?:dsfr\.min\.css|dsfr\.module\.min\.js|fonts\/|icons\/|favicon\/)/.test(path),
    maxAge: '365d',
    immutable: true,
  });
  // Partner files (bulk imports, reference data) are kept as raw bytes; the gate lets them reach only the routes
  // that declare them (@BulkUpload).
  // Streamed uploads (@StreamedUpload) get the request's byte stream itself; a media type both kinds of route take
  // is told apart by the route the request matched.
  const fileTypes = new Set([...policies.values()].filter((p) => p.bulkUpload).flatMap((p) => p.consumes));
  const streamedTypes = new Set([...policies.values()].filter((p) => p.streamedUpload).flatMap((p) => p.consumes));
  for (const type of fileTypes) {
    if (streamedTypes.has(type)) continue;
    fastify.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  for (const type of streamedTypes) {
    fastify.addContentTypeParser(type, (req, payload, done) => {
      if (policyOf(policies, req.method, req.routeOptions.url)?.streamedUpload) return done(null, payload);
      readLimited(payload, req.routeOptions.bodyLimit ?? config.bulkImportMaxBytes).then(
        (body) => done(null, body),
        (e: Error) => done(e, undefined),
      );
    });
  }
  // Multipart parsing (photo uploads): registered before the routes so the app's error handling covers it.
  // Per-request limits are set where the parts are read (PhotoUploadPipe); these are the defaults.
  await app.register(multipart, { limits: { fileSize: config.photoMaxBytes, files: 1 } });

  const metrics = app.get(MetricsService);
  const httpLog = logger.child({ component: 'http' });
  fastify.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', req.id);
    if (req.url === '/console' || req.url.startsWith('/console/')) consoleHeaders(req, reply);
  });
  fastify.addHook('onResponse', async (req: FastifyRequest & { actor?: Actor }, reply: FastifyReply) => {
    // The route pattern, never the URL: URLs may carry identifiers.
    const route = req.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, seconds);
    httpLog.info({
      requestId: req.id,
      method: req.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      partnerId: req.actor?.partnerId,
    });
  });

  app.useGlobalPipes(new AppValidationPipe());

  const doc = new DocumentBuilder()
    .setTitle('Carte Vitale back-office')
    .setDescription(
      'Emission, card records, online updates and opposition lists of the Carte Vitale. Errors are application/problem+json with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key: vk_<prefix>_<secret>' })
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  // Each route's error responses, from the codes it declares (@Answers) and those of its policy.
  describeProblemResponses(document, policies);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  return app;
}

/**
 * Every console response: a strict Content-Security-Policy (only this origin's files, no inline script, never
 * framed), no MIME sniffing, no referrer outside; pages are never cached (the DSFR's files are, by @fastify/static).
 */
function consoleHeaders(req: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
      "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  if (!req.url.startsWith(CONSOLE_ASSETS_PREFIX)) reply.header('cache-control', 'no-store');
}

/** A buffered upload's bytes, refused past `limit` as Fastify's own reader refuses them (413). */
async function readLimited(payload: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of payload) {
    size += part.length;
    if (size > limit)
      throw Object.assign(new Error('Request body is too large'), {
        statusCode: 413,
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      });
    parts.push(part);
  }
  return Buffer.concat(parts);
}

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module.js';
import { AppConfig, trustedProxyList } from './config/app-config.js';
import type { Actor } from './platform/auth/actor.js';
import { JsonLogger } from './platform/logging/logger.js';
import { MetricsService } from './platform/metrics/metrics.service.js';
import { AppValidationPipe } from './platform/validation/validation.pipe.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the HTTP application (not yet listening). Used by main, the CLI's tests and the e2e tests alike. */
export async function createApp(config: AppConfig, databaseUrl: string, logger: Pino): Promise<NestFastifyApplication> {
  const proxies = trustedProxyList(config.trustedProxies);
  const adapter = new FastifyAdapter({
    logger: false,
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For is believed only from the configured proxies (none by default).
    trustProxy: proxies.length > 0 ? proxies : false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger: new JsonLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });

  // Multipart parsing (photo uploads): registered before the routes so the app's error handling covers it.
  // Per-request limits are set where the parts are read (PhotoUploadPipe); these are the defaults.
  await app.register(multipart, { limits: { fileSize: config.photoMaxBytes, files: 1 } });

  const fastify = app.getHttpAdapter().getInstance();
  // Partner files (bulk imports, reference data) arrive as text/csv or NDJSON; they are kept as raw bytes.
  for (const type of ['text/csv', 'application/x-ndjson', 'application/jsonl', 'text/plain']) {
    fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: config.bulkImportMaxBytes }, (_req, body, done) => done(null, body));
  }
  const metrics = app.get(MetricsService);
  const httpLog = logger.child({ component: 'http' });
  fastify.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', req.id);
  });
  fastify.addHook('onResponse', async (req: FastifyRequest & { actor?: Actor }, reply: FastifyReply) => {
    // The route pattern, never the URL: URLs may carry identifiers.
    const route = req.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, seconds);
    httpLog.info({ requestId: req.id, method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), partnerId: req.actor?.partnerId });
  });

  app.useGlobalPipes(new AppValidationPipe());

  const doc = new DocumentBuilder()
    .setTitle('Carte Vitale back-office')
    .setDescription('Emission, card records, online updates and opposition lists of the Carte Vitale. Errors are application/problem+json with a stable `code`.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key: vk_<prefix>_<secret>' })
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });

  return app;
}

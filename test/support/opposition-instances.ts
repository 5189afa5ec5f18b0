import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createLogger } from '../../src/platform/logging/logger.js';

/** A second instance of the application on an existing test database (same DATA_DIR), as in a two-instance deployment. */
export async function startSecondInstance(url: string, config: AppConfig): Promise<NestFastifyApplication> {
  const second = Object.assign(new AppConfig(), config);
  const app = await createApp(second, url, createLogger('silent'));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

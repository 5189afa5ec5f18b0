import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import { Allow, Public } from '../auth/auth.decorators.js';
import { Transactions } from '../database/transactions.js';
import { JobsService } from '../jobs/jobs.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { HealthView } from './health.dto.js';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Transactions,
    private readonly jobs: JobsService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health')
  @Public()
  @ApiOperation({
    summary: 'Readiness: the database and the job queue answer (no credential, no detail beyond up/down)',
  })
  @ApiOkResponse({ type: HealthView, description: 'Both answer' })
  @ApiServiceUnavailableResponse({ type: HealthView, description: 'One of them does not: `checks` says which' })
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthView> {
    const [database, jobs] = await Promise.all([
      this.db.ping().then(
        () => 'up',
        () => 'down',
      ),
      this.jobs.ping().then(
        (ok) => (ok ? 'up' : 'down'),
        () => 'down',
      ),
    ]);
    const ok = database === 'up' && jobs === 'up';
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: { database, jobs } as HealthView['checks'] };
  }

  @Get('metrics')
  @Allow(PartnerKind.Operator)
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics (operator credential)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  async prometheus(): Promise<string> {
    return this.metrics.render();
  }
}

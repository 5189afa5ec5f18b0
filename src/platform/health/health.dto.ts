import { ApiProperty } from '@nestjs/swagger';

class HealthChecks {
  @ApiProperty({ enum: ['up', 'down'] }) database: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'], description: 'The job queue (pg-boss)' }) jobs: 'up' | 'down';
}

/** GET /health: up or down, nothing more (it needs no credential). */
export class HealthView {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status: 'ok' | 'unavailable';
  @ApiProperty({ type: HealthChecks }) checks: HealthChecks;
}

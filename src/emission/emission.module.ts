import { Module } from '@nestjs/common';

/** The six-step emission chain: card requests, photo intake, orders, personalisation batches and vendor returns. */
@Module({})
export class EmissionModule {}

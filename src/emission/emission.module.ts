import { Module } from '@nestjs/common';
import { PersonalisationModule } from './personalisation/personalisation.module.js';
import { PipelineModule } from './pipeline/pipeline.module.js';
import { RequestsModule } from './requests/requests.module.js';
import { ReturnsModule } from './returns/returns.module.js';

/** The six-step emission chain: card requests, photo intake, orders, personalisation batches and vendor returns. */
@Module({ imports: [RequestsModule, PersonalisationModule, ReturnsModule, PipelineModule] })
export class EmissionModule {}

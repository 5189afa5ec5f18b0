import { Module } from '@nestjs/common';

/** Opposition declarations and the incremental (LOI) and full (LOE) opposition lists. */
@Module({})
export class OppositionModule {}

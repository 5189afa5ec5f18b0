import { Module } from '@nestjs/common';

/** Online card updates from kiosks and pharmacy software, and mutations that keep the card. */
@Module({})
export class UpdateModule {}

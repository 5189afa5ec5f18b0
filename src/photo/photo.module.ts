import { Module } from '@nestjs/common';

/** Photo intake, quality checks and normalisation (print and chip images). */
@Module({})
export class PhotoModule {}

import { Module } from '@nestjs/common';

/** Card records: the technical card database (serials, holders, states). */
@Module({})
export class CardsModule {}

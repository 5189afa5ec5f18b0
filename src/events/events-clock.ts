import { Injectable } from '@nestjs/common';

/** Time for the events module (signature timestamps, long-poll deadlines): one injectable place, replaceable in tests. */
@Injectable()
export class EventsClock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

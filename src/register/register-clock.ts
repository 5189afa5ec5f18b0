import { Injectable } from '@nestjs/common';
import { parisToday } from './beneficiary-input.js';

/** The register's one notion of "today" (Europe/Paris), the day affiliations are evaluated on. */
@Injectable()
export class RegisterClock {
  today(): string {
    return parisToday();
  }
}

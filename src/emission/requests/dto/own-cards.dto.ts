import { ApiProperty } from '@nestjs/swagger';

export class OwnCardsRunView {
  @ApiProperty({ description: 'Requests opened by this run (dependants reaching 16 within OWN_CARD_LEAD_DAYS)' })
  opened: number;
  @ApiProperty({ description: 'Dependants found whose request another run opened meanwhile (left alone)' })
  skipped: number;
}

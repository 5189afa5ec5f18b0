import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CardState } from '../../../cards/card-state.enum.js';
import { RequestStatus } from '../../requests/request-status.enum.js';

export class OrderView {
  @ApiProperty({ format: 'uuid' }) requestId: string;
  @ApiProperty({ enum: RequestStatus, example: RequestStatus.Ordered }) status: RequestStatus;
  @ApiProperty({
    format: 'uuid',
    description: 'The new card (state ordered; its serial comes with its personalisation batch)',
  })
  cardId: string;
  @ApiProperty({ enum: CardState, example: CardState.Ordered }) cardState: CardState;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The card this request replaces' })
  replacedCardId: string | null;
  @ApiProperty({
    type: [String],
    description: 'Cards put in opposition by this order (a lost or stolen card; a card that came back undeliverable)',
  })
  opposedCardIds: string[];
}

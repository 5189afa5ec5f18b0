import { ApiProperty } from '@nestjs/swagger';

/** One entry of the audit trail (GET /v1/audit). */
export class AuditEntryView {
  @ApiProperty({ example: '1042', description: 'Increasing; the cursor (`after`) is the id of the last entry read' })
  id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) actorPartnerId: string | null;
  @ApiProperty({ example: 'fund', description: 'A partner kind, or `system` (jobs) or `cli` (operator commands)' })
  actorKind: string;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The console agent who acted; null for API keys, jobs and the CLI',
  })
  actorAgentId: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ example: 'card_request.created' }) action: string;
  @ApiProperty({ example: 'card_request' }) entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ nullable: true, type: String, example: '017510001' }) organismeCode: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}

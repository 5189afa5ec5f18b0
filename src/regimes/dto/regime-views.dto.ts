import { ApiProperty } from '@nestjs/swagger';

export class RegimeView {
  @ApiProperty({ example: '01', description: '2 digits' }) code: string;
  @ApiProperty({ example: 'Régime général' }) name: string;
  @ApiProperty() active: boolean;
}

export class FundView {
  @ApiProperty({ example: '01751', description: 'Regime (2 digits) + caisse (3)' }) code: string;
  @ApiProperty({ example: '01' }) regimeCode: string;
  @ApiProperty({ example: 'CPAM de Paris' }) name: string;
  @ApiProperty() active: boolean;
}

export class OrganismeView {
  @ApiProperty({ example: '017510001', description: 'Regime (2) + caisse (3) + centre (4)' }) code: string;
  @ApiProperty({ example: '01751' }) fundCode: string;
  @ApiProperty({ example: '01' }) regimeCode: string;
  @ApiProperty({ example: 'CPAM de Paris - centre 0001' }) name: string;
  @ApiProperty({ nullable: true, type: String, example: 'Paris' }) city: string | null;
  @ApiProperty() active: boolean;
}

class ReferenceCounts {
  @ApiProperty() regimes: number;
  @ApiProperty() funds: number;
  @ApiProperty() organismes: number;
}

/** What a reference load did: rows written (added or updated), and rows in the file. */
export class ReferenceLoadView {
  @ApiProperty({ type: ReferenceCounts }) written: ReferenceCounts;
  @ApiProperty({ type: ReferenceCounts }) inFile: ReferenceCounts;
}

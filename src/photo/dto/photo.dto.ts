import { ApiProperty } from '@nestjs/swagger';
import { PhotoStatus } from '../photo-status.enum.js';

export class PhotoReceiptView {
  @ApiProperty({ format: 'uuid' }) photoId: string;
  @ApiProperty({
    enum: PhotoStatus,
    description: 'Always `pending`: the checks run in the background; the fund is told the outcome',
  })
  status: PhotoStatus;
}

/** The multipart body, for the API description only (the pipe reads the real one). */
export class CentrePhotoUploadBody {
  @ApiProperty({ example: '10000016', description: 'The 8-digit form number printed on the returned form' })
  formNumber: string;
  @ApiProperty({ type: 'string', format: 'binary', description: 'The scanned photo: JPEG, PNG or TIFF' }) file: unknown;
}

export class OnlinePhotoUploadBody {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The photo: JPEG, PNG or TIFF, colour, 35 × 45 mm framing',
  })
  file: unknown;
}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A return file's reject lines (number, code, message; the first 1,000) kept with the file's row at ingestion: the
 * console showed them by reading the reject file in the vendor's outbox, so they were gone once the vendor took it.
 * Files ingested before this change have none (null): the console still reads their reject file while it is there.
 */
export class ReturnFileRejectLines1795544000000 implements MigrationInterface {
    name = 'ReturnFileRejectLines1795544000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "vendor_return_file" ADD "reject_lines" jsonb`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "vendor_return_file" DROP COLUMN "reject_lines"`);
    }
}

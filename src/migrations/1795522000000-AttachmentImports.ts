import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: bulk imports carry their kind, so one table, one job and one retention serve the beneficiaries
 * import (beneficiaries-import/1) and the attachments import (attachments-import/1). Existing imports are
 * beneficiaries imports.
 */
export class AttachmentImports1795522000000 implements MigrationInterface {
    name = 'AttachmentImports1795522000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "bulk_import" ADD "kind" character varying(16) NOT NULL DEFAULT 'beneficiaries'`);
        await queryRunner.query(`ALTER TABLE "bulk_import" ADD CONSTRAINT "bulk_import_kind" CHECK (kind IN ('beneficiaries', 'attachments'))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "bulk_import" DROP CONSTRAINT "bulk_import_kind"`);
        await queryRunner.query(`ALTER TABLE "bulk_import" DROP COLUMN "kind"`);
    }

}

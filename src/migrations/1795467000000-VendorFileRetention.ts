import { MigrationInterface, QueryRunner } from "typeorm";

export class VendorFileRetention1795467000000 implements MigrationInterface {
    name = 'VendorFileRetention1795467000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD "file_purged_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "vendor_return_file" ADD "copy_purged_at" TIMESTAMP WITH TIME ZONE`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "vendor_return_file" DROP COLUMN "copy_purged_at"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP COLUMN "file_purged_at"`);
    }

}

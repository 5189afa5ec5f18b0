import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Personalisation files encrypted to the vendor (perso/2) and card keys reported in return files (ret/2):
 *  - vendor_profile.age_recipient: the vendor's age X25519 recipient (`age1…`), one per vendor, held by one vendor
 *    only; a vendor without one gets no batch;
 *  - personalisation_batch.perso_version: the format the batch's file was written in (1 for every batch written
 *    before, clear text; 2 from now on, encrypted), set when it is written: ret/1 lines are accepted only for cards
 *    of perso/1 batches; plaintext_sha256: the SHA-256 of the clear file (what the signature states);
 *  - card_key: a public key belongs to one card (a key reported twice is refused by the database too).
 */
export class VendorEncryption1795482000000 implements MigrationInterface {
    name = 'VendorEncryption1795482000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "vendor_profile" ADD "age_recipient" character varying(62)`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" ADD "age_recipient_set_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`CREATE UNIQUE INDEX "vendor_profile_age_recipient_once" ON "vendor_profile" ("age_recipient") `);
        await queryRunner.query(`ALTER TABLE "vendor_profile" ADD CONSTRAINT "vendor_profile_age_recipient_form" CHECK (age_recipient ~ '^age1[02-9ac-hj-np-z]{58}$')`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD "perso_version" smallint`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD "plaintext_sha256" character(64)`);
        await queryRunner.query(`UPDATE "personalisation_batch" SET "perso_version" = 1 WHERE "status" <> 'allocated'`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD CONSTRAINT "personalisation_batch_perso_version" CHECK (perso_version IN (1, 2) AND (perso_version = 1 OR plaintext_sha256 IS NOT NULL))`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD CONSTRAINT "personalisation_batch_written_format" CHECK (status = 'allocated' OR perso_version IS NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_key_auth_once" ON "card_key" ("auth_public_key")`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_key_enc_once" ON "card_key" ("enc_public_key")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "card_key_enc_once"`);
        await queryRunner.query(`DROP INDEX "card_key_auth_once"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP CONSTRAINT "personalisation_batch_written_format"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP CONSTRAINT "personalisation_batch_perso_version"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP COLUMN "plaintext_sha256"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP COLUMN "perso_version"`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" DROP CONSTRAINT "vendor_profile_age_recipient_form"`);
        await queryRunner.query(`DROP INDEX "vendor_profile_age_recipient_once"`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" DROP COLUMN "age_recipient_set_at"`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" DROP COLUMN "age_recipient"`);
    }

}

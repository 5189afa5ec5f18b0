import { MigrationInterface, QueryRunner } from "typeorm";

const IN_USE = `('ordered', 'in_personalisation', 'shipped', 'active', 'returned_undeliverable')`;

/**
 * The card-base import (docs/formats/card-base-import.md): one row per file with its resumable cursor, one per
 * committed chunk (chained hash: how a second sending of the same file skips it), rejected lines by number and code.
 * `imported_card` says which import and line brought each card (a duplicate line vs the same file sent again).
 *
 * Triggers on `card` and imported rows (a card of the old base already exists and holds what the old system wrote):
 * - card_chip_version_at_issue no longer raises an imported card's data version (the old base's version is kept);
 * - card_chip_records_at_issue writes no chip records for imported cards (this system never wrote their chip; the
 *   records start with the first change the register makes: beneficiary_chip_identity, card_chip_records_follow);
 * - card_own_card_ends_attachments_at_insert leaves attachments alone for imported cards (the register, not the old
 *   base, says who is a dependant; it was one function call per active card, 10 million at national scale).
 * Kept: card_opposition_change_at_insert (an imported opposed card reaches the incremental opposition list like any
 * other), card_needs_nir (one statement per chunk); kiosk_card_changed fires on UPDATE only.
 */
export class CardBaseImport1795532000000 implements MigrationInterface {
    name = 'CardBaseImport1795532000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."card_base_import_status" AS ENUM('receiving', 'done')`);
        await queryRunner.query(`CREATE TABLE "card_base_import" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" uuid, "status" "public"."card_base_import_status" NOT NULL, "first_chunk_hash" character(64) NOT NULL, "chunk_rows" integer NOT NULL, "last_line" integer NOT NULL DEFAULT '1', "imported_rows" integer NOT NULL DEFAULT '0', "unchanged_rows" integer NOT NULL DEFAULT '0', "rejected_rows" integer NOT NULL DEFAULT '0', "sendings" integer NOT NULL DEFAULT '0', "interruption" character varying(40), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_card_base_import" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "card_base_import_by_first_chunk" ON "card_base_import" ("first_chunk_hash", "chunk_rows") `);
        await queryRunner.query(`CREATE TABLE "card_base_import_chunk" ("import_id" uuid NOT NULL, "chunk_no" integer NOT NULL, "chain_hash" character(64) NOT NULL, "first_line" integer NOT NULL, "last_line" integer NOT NULL, "imported_rows" integer NOT NULL, "unchanged_rows" integer NOT NULL, "rejected_rows" integer NOT NULL, "committed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "card_base_import_chunk_lines" CHECK (first_line <= last_line), CONSTRAINT "PK_card_base_import_chunk" PRIMARY KEY ("import_id", "chunk_no"))`);
        await queryRunner.query(`CREATE TABLE "card_base_import_reject" ("import_id" uuid NOT NULL, "line" integer NOT NULL, "code" character varying(40) NOT NULL, "field" character varying(40), CONSTRAINT "PK_card_base_import_reject" PRIMARY KEY ("import_id", "line"))`);
        await queryRunner.query(`ALTER TABLE "imported_card" ADD "import_id" uuid`);
        await queryRunner.query(`ALTER TABLE "imported_card" ADD "import_line" integer`);

        await queryRunner.query(`DROP TRIGGER card_chip_version_at_issue ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_chip_version_at_issue BEFORE INSERT ON "card" FOR EACH ROW
  WHEN (NEW.origin = 'issued') EXECUTE FUNCTION card_chip_version_at_issue()`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION card_chip_records_at_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO card_data_record (card_id, record_type, content, version)
  SELECT n.id, t.record_type,
         CASE t.record_type WHEN 'identity' THEN chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank)
                            ELSE chip_organisme_record(n.organisme_code) END,
         n.data_version - t.back
    FROM new_cards n JOIN beneficiary b ON b.id = n.beneficiary_id
   CROSS JOIN (VALUES ('identity', 1), ('organisme', 0)) AS t(record_type, back)
   WHERE n.state IN ${IN_USE} AND n.origin = 'issued';
  INSERT INTO card_update_state (card_id, target_version) SELECT n.id, n.data_version FROM new_cards n WHERE n.state IN ${IN_USE} AND n.origin = 'issued';
  RETURN NULL;
END $$`);
        await queryRunner.query(`DROP TRIGGER card_own_card_ends_attachments_at_insert ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_own_card_ends_attachments_at_insert AFTER INSERT ON "card" FOR EACH ROW
  WHEN (NEW.state = 'active' AND NEW.origin = 'issued') EXECUTE FUNCTION card_own_card_ends_attachments()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER card_own_card_ends_attachments_at_insert ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_own_card_ends_attachments_at_insert AFTER INSERT ON "card" FOR EACH ROW
  WHEN (NEW.state = 'active') EXECUTE FUNCTION card_own_card_ends_attachments()`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION card_chip_records_at_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO card_data_record (card_id, record_type, content, version)
  SELECT n.id, t.record_type,
         CASE t.record_type WHEN 'identity' THEN chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank)
                            ELSE chip_organisme_record(n.organisme_code) END,
         n.data_version - t.back
    FROM new_cards n JOIN beneficiary b ON b.id = n.beneficiary_id
   CROSS JOIN (VALUES ('identity', 1), ('organisme', 0)) AS t(record_type, back)
   WHERE n.state IN ${IN_USE};
  INSERT INTO card_update_state (card_id, target_version) SELECT n.id, n.data_version FROM new_cards n WHERE n.state IN ${IN_USE};
  RETURN NULL;
END $$`);
        await queryRunner.query(`DROP TRIGGER card_chip_version_at_issue ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_chip_version_at_issue BEFORE INSERT ON "card" FOR EACH ROW EXECUTE FUNCTION card_chip_version_at_issue()`);
        await queryRunner.query(`ALTER TABLE "imported_card" DROP COLUMN "import_line"`);
        await queryRunner.query(`ALTER TABLE "imported_card" DROP COLUMN "import_id"`);
        await queryRunner.query(`DROP TABLE "card_base_import_reject"`);
        await queryRunner.query(`DROP TABLE "card_base_import_chunk"`);
        await queryRunner.query(`DROP INDEX "public"."card_base_import_by_first_chunk"`);
        await queryRunner.query(`DROP TABLE "card_base_import"`);
        await queryRunner.query(`DROP TYPE "public"."card_base_import_status"`);
    }

}

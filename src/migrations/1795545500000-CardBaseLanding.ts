import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The card-base import in two steps: a sending lands the file's good lines, parsed and checked, in `card_base_line`
 * (a table with no key, no foreign key, no trigger and one BRIN index: a streamed COPY writes it at nearly the speed
 * of a bare table), chunk by chunk; the `card-base.materialise` job then moves each landed chunk into `card` and
 * `imported_card` (the holder's look-ups, the serial's uniqueness, the reference checks) and deletes its lines. The
 * lines' import and chunk come from the chunk transaction's settings (`vitale.card_import_id`,
 * `vitale.card_import_chunk`): the COPY text carries neither, and a COPY without them fails.
 * Imports and chunks from before this change were applied whole: their chunks are marked materialised.
 */
export class CardBaseLanding1795545500000 implements MigrationInterface {
    name = 'CardBaseLanding1795545500000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TYPE "card_base_import_status" ADD VALUE IF NOT EXISTS 'received' BEFORE 'done'`);
        await queryRunner.query(`ALTER TABLE "card_base_import" ADD "landed_rows" integer NOT NULL DEFAULT 0`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" ADD "landed_rows" integer NOT NULL DEFAULT 0`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" ADD "min_serial" bigint NOT NULL DEFAULT 0`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" ADD "max_serial" bigint NOT NULL DEFAULT 0`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" ADD "materialised_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`UPDATE "card_base_import_chunk" SET "materialised_at" = "committed_at", "landed_rows" = "imported_rows" + "unchanged_rows"`);
        await queryRunner.query(`UPDATE "card_base_import" SET "landed_rows" = "imported_rows" + "unchanged_rows"`);
        await queryRunner.query(`CREATE INDEX "card_base_import_chunk_to_materialise" ON "card_base_import_chunk" ("import_id", "chunk_no") WHERE materialised_at IS NULL`);
        await queryRunner.query(`CREATE TABLE "card_base_line" (
            "import_id" uuid NOT NULL DEFAULT current_setting('vitale.card_import_id')::uuid,
            "chunk_no" integer NOT NULL DEFAULT current_setting('vitale.card_import_chunk')::integer,
            "line" integer NOT NULL, "serial" bigint NOT NULL, "chip_id" varchar(32) NOT NULL, "nir" char(15) NOT NULL,
            "organisme_code" char(9) NOT NULL, "generation" smallint NOT NULL, "state" "card_state" NOT NULL,
            "opposition_reason" "opposition_reason", "issued_on" date NOT NULL, "last_updated_on" date,
            "data_version" integer NOT NULL, "dependants" smallint NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "card_base_line_by_chunk" ON "card_base_line" USING brin ("import_id", "chunk_no")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "card_base_line"`);
        await queryRunner.query(`DROP INDEX "card_base_import_chunk_to_materialise"`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" DROP COLUMN "materialised_at"`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" DROP COLUMN "max_serial"`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" DROP COLUMN "min_serial"`);
        await queryRunner.query(`ALTER TABLE "card_base_import_chunk" DROP COLUMN "landed_rows"`);
        await queryRunner.query(`ALTER TABLE "card_base_import" DROP COLUMN "landed_rows"`);
        // An enum value cannot be dropped: 'received' stays (no import is left in it once materialised).
    }
}

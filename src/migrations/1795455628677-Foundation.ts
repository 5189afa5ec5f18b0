import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1795455628677 implements MigrationInterface {
    name = 'Foundation1795455628677'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Hand-added: the exclusion constraint on affiliation periods needs btree_gist.
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
        await queryRunner.query(`CREATE TABLE "regime" ("code" character(2) NOT NULL, "name" character varying(120) NOT NULL, "active" boolean NOT NULL DEFAULT true, CONSTRAINT "PK_e01085fea2965255a71ce038e9e" PRIMARY KEY ("code"))`);
        await queryRunner.query(`CREATE TABLE "fund" ("code" character(5) NOT NULL, "regime_code" character(2) NOT NULL, "name" character varying(120) NOT NULL, "active" boolean NOT NULL DEFAULT true, CONSTRAINT "PK_70403dbbc8131fb283b9da09cc0" PRIMARY KEY ("code"))`);
        await queryRunner.query(`CREATE INDEX "IDX_c931e6d4895e9ab5f3bb9d0ff0" ON "fund"  ("regime_code") `);
        await queryRunner.query(`CREATE TABLE "organisme" ("code" character(9) NOT NULL, "fund_code" character(5) NOT NULL, "regime_code" character(2) NOT NULL, "name" character varying(120) NOT NULL, "city" character varying(80), "active" boolean NOT NULL DEFAULT true, CONSTRAINT "PK_7c9692adc30fd499517973959a9" PRIMARY KEY ("code"))`);
        await queryRunner.query(`CREATE INDEX "IDX_d06f0d03914dbfb35659e7fa95" ON "organisme"  ("fund_code") `);
        await queryRunner.query(`CREATE TABLE "beneficiary" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "nir" character(15) NOT NULL, "nir_temporary" boolean NOT NULL DEFAULT false, "first_name" character varying(45) NOT NULL, "birth_name" character varying(63) NOT NULL, "usage_name" character varying(42), "birth_date" date NOT NULL, "birth_rank" smallint NOT NULL DEFAULT '1', "address_lines" character varying(38) array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "beneficiary_birth_rank" CHECK (birth_rank BETWEEN 1 AND 9), CONSTRAINT "beneficiary_address_lines" CHECK (cardinality(address_lines) BETWEEN 1 AND 6), CONSTRAINT "PK_c7514d7fed62b8e619cb1840f41" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_7c8ea46515e60433651f81b924" ON "beneficiary"  ("nir") `);
        await queryRunner.query(`CREATE TABLE "affiliation" ("id" BIGSERIAL NOT NULL, "beneficiary_id" uuid NOT NULL, "organisme_code" character(9) NOT NULL, "valid_from" date NOT NULL, "valid_to" date, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "affiliation_period" CHECK (valid_to IS NULL OR valid_to > valid_from), CONSTRAINT "affiliation_no_overlap" EXCLUDE USING gist (beneficiary_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&), CONSTRAINT "PK_faec2110a0fda4a0b7f93df6e6a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_7fd739b7646561331f503dc2a1" ON "affiliation"  ("beneficiary_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_2af830d3ea8e921c404790961d" ON "affiliation"  ("organisme_code", "beneficiary_id") `);
        await queryRunner.query(`CREATE TYPE "public"."card_state" AS ENUM('ordered', 'in_personalisation', 'shipped', 'active', 'opposed', 'returned_undeliverable', 'cancelled', 'destroyed')`);
        await queryRunner.query(`CREATE TYPE "public"."opposition_reason" AS ENUM('lost', 'stolen', 'fraud', 'invalidated_by_regime', 'holder_deceased', 'replaced', 'destroyed', 'undeliverable')`);
        await queryRunner.query(`CREATE TABLE "card" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "serial" bigint NOT NULL, "beneficiary_id" uuid NOT NULL, "organisme_code" character(9) NOT NULL, "data_version" integer NOT NULL DEFAULT '0', "state" "public"."card_state" NOT NULL, "opposition_reason" "public"."opposition_reason", "previous_state" "public"."card_state", "state_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "card_opposition_reason" CHECK ((state = 'opposed') = (opposition_reason IS NOT NULL)), CONSTRAINT "card_serial_range" CHECK (serial > 0 AND serial < 1000000000000), CONSTRAINT "PK_9451069b6f1199730791a7f4ae4" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_eeb2eed8a0d6cd53e4c4124ef9" ON "card"  ("serial") `);
        await queryRunner.query(`CREATE INDEX "IDX_751ff2d8550cd1436f71824fac" ON "card"  ("beneficiary_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_7318282a5e0b7338fcd947aad1" ON "card"  ("organisme_code") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_one_active_per_beneficiary" ON "card"  ("beneficiary_id") WHERE state = 'active'`);
        await queryRunner.query(`CREATE TYPE "public"."partner_kind" AS ENUM('fund', 'digitisation_centre', 'personalisation_vendor', 'kiosk', 'pharmacy_software', 'operator')`);
        await queryRunner.query(`CREATE TABLE "partner" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" "public"."partner_kind" NOT NULL, "name" character varying(120) NOT NULL, "organisme_code" character(9), "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "partner_fund_has_organisme" CHECK ((kind = 'fund') = (organisme_code IS NOT NULL)), CONSTRAINT "PK_8f34ff11ddd5459eacbfacd48ca" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_6afb060e8cfe4f7a8e1063487b" ON "partner"  ("organisme_code") `);
        await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" uuid NOT NULL, "prefix" character varying(16) NOT NULL, "secret_hash" bytea NOT NULL, "label" character varying(120), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_466c829059540fb7567ddff9a8" ON "api_key"  ("partner_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c4f6ccad30c0862eb54af9fb0a" ON "api_key"  ("prefix") `);
        await queryRunner.query(`CREATE TYPE "public"."bulk_import_status" AS ENUM('pending', 'processing', 'done', 'failed')`);
        await queryRunner.query(`CREATE TABLE "bulk_import" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organisme_code" character(9) NOT NULL, "partner_id" uuid NOT NULL, "format" character varying(8) NOT NULL, "status" "public"."bulk_import_status" NOT NULL DEFAULT 'pending', "payload" bytea, "total_rows" integer NOT NULL DEFAULT '0', "created_rows" integer NOT NULL DEFAULT '0', "updated_rows" integer NOT NULL DEFAULT '0', "rejected_rows" integer NOT NULL DEFAULT '0', "failure" character varying(200), "request_id" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_69af6de200f814d8af30e338145" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_c598b8ef573d952369c361bd69" ON "bulk_import"  ("organisme_code") `);
        await queryRunner.query(`CREATE TABLE "bulk_import_reject" ("import_id" uuid NOT NULL, "line" integer NOT NULL, "code" character varying(48) NOT NULL, "field" character varying(48), "message" character varying(200) NOT NULL, CONSTRAINT "PK_7136aa0229d1b80c81a6a6519af" PRIMARY KEY ("import_id", "line"))`);
        await queryRunner.query(`CREATE TABLE "audit_entry" ("id" BIGSERIAL NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_partner_id" uuid, "actor_kind" character varying(32) NOT NULL, "request_id" character varying(64), "action" character varying(64) NOT NULL, "entity_type" character varying(32) NOT NULL, "entity_id" character varying(64) NOT NULL, "organisme_code" character(9), "details" jsonb NOT NULL, CONSTRAINT "PK_58a130a4b9da189f46ba2a01801" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_9d18bd4a32fc0cd8ff82b12037" ON "audit_entry"  ("at") `);
        await queryRunner.query(`CREATE INDEX "IDX_b68dcc794cea3a97d59a0b8771" ON "audit_entry"  ("action") `);
        await queryRunner.query(`CREATE INDEX "IDX_cfbd3da3d6664af0dab55783b5" ON "audit_entry"  ("entity_type", "entity_id") `);
        await queryRunner.query(`ALTER TABLE "fund" ADD CONSTRAINT "FK_c931e6d4895e9ab5f3bb9d0ff05" FOREIGN KEY ("regime_code") REFERENCES "regime"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "organisme" ADD CONSTRAINT "FK_d06f0d03914dbfb35659e7fa95e" FOREIGN KEY ("fund_code") REFERENCES "fund"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "affiliation" ADD CONSTRAINT "FK_7fd739b7646561331f503dc2a10" FOREIGN KEY ("beneficiary_id") REFERENCES "beneficiary"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "affiliation" ADD CONSTRAINT "FK_3215f14782b8451558ee2181d8e" FOREIGN KEY ("organisme_code") REFERENCES "organisme"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "FK_751ff2d8550cd1436f71824faca" FOREIGN KEY ("beneficiary_id") REFERENCES "beneficiary"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "FK_7318282a5e0b7338fcd947aad11" FOREIGN KEY ("organisme_code") REFERENCES "organisme"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "partner" ADD CONSTRAINT "FK_6afb060e8cfe4f7a8e1063487b0" FOREIGN KEY ("organisme_code") REFERENCES "organisme"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "api_key" ADD CONSTRAINT "FK_466c829059540fb7567ddff9a8b" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "bulk_import_reject" ADD CONSTRAINT "FK_35891d391456da28b755bbf9515" FOREIGN KEY ("import_id") REFERENCES "bulk_import"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        // Hand-added: the audit trail is append-only, enforced by the database.
        await queryRunner.query(`CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_entry is append-only' USING ERRCODE = 'insufficient_privilege'; END $$`);
        await queryRunner.query(`CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON "audit_entry" FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()`);
        await queryRunner.query(`CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON "audit_entry" FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()`);
        // Hand-added: card serial numbers come from one sequence that never cycles, so a serial is never issued twice.
        await queryRunner.query(`CREATE SEQUENCE card_serial_seq AS bigint START WITH 100000000001 MINVALUE 1 MAXVALUE 999999999999 NO CYCLE CACHE 1`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP SEQUENCE card_serial_seq`);
        await queryRunner.query(`DROP TRIGGER audit_entry_no_truncate ON "audit_entry"`);
        await queryRunner.query(`DROP TRIGGER audit_entry_no_update ON "audit_entry"`);
        await queryRunner.query(`DROP FUNCTION audit_entry_append_only()`);
        await queryRunner.query(`ALTER TABLE "bulk_import_reject" DROP CONSTRAINT "FK_35891d391456da28b755bbf9515"`);
        await queryRunner.query(`ALTER TABLE "api_key" DROP CONSTRAINT "FK_466c829059540fb7567ddff9a8b"`);
        await queryRunner.query(`ALTER TABLE "partner" DROP CONSTRAINT "FK_6afb060e8cfe4f7a8e1063487b0"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "FK_7318282a5e0b7338fcd947aad11"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "FK_751ff2d8550cd1436f71824faca"`);
        await queryRunner.query(`ALTER TABLE "affiliation" DROP CONSTRAINT "FK_3215f14782b8451558ee2181d8e"`);
        await queryRunner.query(`ALTER TABLE "affiliation" DROP CONSTRAINT "FK_7fd739b7646561331f503dc2a10"`);
        await queryRunner.query(`ALTER TABLE "organisme" DROP CONSTRAINT "FK_d06f0d03914dbfb35659e7fa95e"`);
        await queryRunner.query(`ALTER TABLE "fund" DROP CONSTRAINT "FK_c931e6d4895e9ab5f3bb9d0ff05"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_cfbd3da3d6664af0dab55783b5"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_b68dcc794cea3a97d59a0b8771"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_9d18bd4a32fc0cd8ff82b12037"`);
        await queryRunner.query(`DROP TABLE "audit_entry"`);
        await queryRunner.query(`DROP TABLE "bulk_import_reject"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c598b8ef573d952369c361bd69"`);
        await queryRunner.query(`DROP TABLE "bulk_import"`);
        await queryRunner.query(`DROP TYPE "public"."bulk_import_status"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c4f6ccad30c0862eb54af9fb0a"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_466c829059540fb7567ddff9a8"`);
        await queryRunner.query(`DROP TABLE "api_key"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_6afb060e8cfe4f7a8e1063487b"`);
        await queryRunner.query(`DROP TABLE "partner"`);
        await queryRunner.query(`DROP TYPE "public"."partner_kind"`);
        await queryRunner.query(`DROP INDEX "public"."card_one_active_per_beneficiary"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7318282a5e0b7338fcd947aad1"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_751ff2d8550cd1436f71824fac"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_eeb2eed8a0d6cd53e4c4124ef9"`);
        await queryRunner.query(`DROP TABLE "card"`);
        await queryRunner.query(`DROP TYPE "public"."opposition_reason"`);
        await queryRunner.query(`DROP TYPE "public"."card_state"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2af830d3ea8e921c404790961d"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7fd739b7646561331f503dc2a1"`);
        await queryRunner.query(`DROP TABLE "affiliation"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7c8ea46515e60433651f81b924"`);
        await queryRunner.query(`DROP TABLE "beneficiary"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_d06f0d03914dbfb35659e7fa95"`);
        await queryRunner.query(`DROP TABLE "organisme"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c931e6d4895e9ab5f3bb9d0ff0"`);
        await queryRunner.query(`DROP TABLE "fund"`);
        await queryRunner.query(`DROP TABLE "regime"`);
    }

}

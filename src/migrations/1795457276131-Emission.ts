import { MigrationInterface, QueryRunner } from "typeorm";

export class Emission1795457276131 implements MigrationInterface {
    name = 'Emission1795457276131'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."batch_status" AS ENUM('allocated', 'written', 'returned')`);
        await queryRunner.query(`CREATE TABLE "personalisation_batch" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "batch_number" bigint NOT NULL, "vendor_partner_id" uuid NOT NULL, "status" "public"."batch_status" NOT NULL DEFAULT 'allocated', "card_count" integer NOT NULL, "file_name" character varying(120), "sha256" character(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "written_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_37f6fe7aca8ad1456ea38d02e9d" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_2b585e00618a26bc1a8a05fb26" ON "personalisation_batch"  ("batch_number") `);
        await queryRunner.query(`CREATE INDEX "IDX_c9c9fcb2982674ef59c90a028b" ON "personalisation_batch"  ("vendor_partner_id") `);
        await queryRunner.query(`CREATE TABLE "serial_allocator" ("id" smallint NOT NULL, "next_serial" bigint NOT NULL, CONSTRAINT "serial_allocator_single_row" CHECK (id = 1), CONSTRAINT "PK_21baca73a86e5da1be31c2c6ca2" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."request_reason" AS ENUM('first_card', 'lost', 'stolen', 'damaged', 'identity_change', 'nir_change', 'other')`);
        await queryRunner.query(`CREATE TYPE "public"."request_status" AS ENUM('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation', 'completed', 'expired', 'cancelled')`);
        await queryRunner.query(`CREATE TABLE "card_request" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "form_number" character(8) NOT NULL, "beneficiary_id" uuid NOT NULL, "organisme_code" character(9) NOT NULL, "reason" "public"."request_reason" NOT NULL, "status" "public"."request_status" NOT NULL, "auto_order" boolean NOT NULL DEFAULT false, "photo_id" uuid, "card_id" uuid, "replaced_card_id" uuid, "reminder_due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "reminded_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "upload_token_hash" bytea, "upload_token_expires_at" TIMESTAMP WITH TIME ZONE, "status_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "reinjections" integer NOT NULL DEFAULT '0', "needs_review" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "card_request_form_number" CHECK (form_number ~ '^[0-9]{8}$'), CONSTRAINT "PK_56f5ffcf8ac9f9006d97b8b2767" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_25cf0da0bf126b1e0f25d09d36" ON "card_request"  ("form_number") `);
        await queryRunner.query(`CREATE INDEX "IDX_2cfca0ecbd728df095fa917985" ON "card_request"  ("beneficiary_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_12ca668002e6530a0f0c953fa1" ON "card_request"  ("organisme_code") `);
        await queryRunner.query(`CREATE INDEX "IDX_6f77c20f6c309e13e41999cd80" ON "card_request"  ("status", "status_changed_at") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_request_one_open_per_beneficiary" ON "card_request"  ("beneficiary_id") WHERE status IN ('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation')`);
        await queryRunner.query(`CREATE TABLE "card_request_step" ("id" BIGSERIAL NOT NULL, "request_id" uuid NOT NULL, "status" "public"."request_status" NOT NULL, "entered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5ef225e62dfe0e50d40859a79e6" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_4e491796f9e514f3100586f88b" ON "card_request_step"  ("request_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_ab579f8798cb52bbc7ba31c4db" ON "card_request_step"  ("entered_at") `);
        await queryRunner.query(`CREATE TYPE "public"."return_file_status" AS ENUM('received', 'ingested', 'refused')`);
        await queryRunner.query(`CREATE TABLE "vendor_return_file" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "vendor_partner_id" uuid NOT NULL, "file_name" character varying(200) NOT NULL, "sha256" character(64) NOT NULL, "status" "public"."return_file_status" NOT NULL DEFAULT 'received', "line_count" integer NOT NULL DEFAULT '0', "applied_count" integer NOT NULL DEFAULT '0', "rejected_count" integer NOT NULL DEFAULT '0', "failure" character varying(200), "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ingested_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_312b6401dedd41d6154a86897d9" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "vendor_return_file_once" ON "vendor_return_file"  ("vendor_partner_id", "sha256") `);
        await queryRunner.query(`CREATE TABLE "vendor_profile" ("partner_id" uuid NOT NULL, "login" character varying(32) NOT NULL, "is_default" boolean NOT NULL DEFAULT false, "regime_codes" character(2) array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_87752b4a53653603536b6856819" PRIMARY KEY ("partner_id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_bf786b210dff457f9aff5c9860" ON "vendor_profile"  ("login") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "vendor_profile_one_default" ON "vendor_profile"  ("is_default") WHERE is_default`);
        await queryRunner.query(`CREATE TABLE "sftp_public_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" uuid NOT NULL, "algorithm" character varying(32) NOT NULL, "public_key" text NOT NULL, "fingerprint" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_2a9c03c49d9769cc4c03a919b14" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_7f9a5c6c40e502913b2f056740" ON "sftp_public_key"  ("partner_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_434466cdcbb53ba32b699cbe2c" ON "sftp_public_key"  ("fingerprint") `);
        await queryRunner.query(`CREATE TABLE "fund_event" ("id" BIGSERIAL NOT NULL, "tx_id" bigint NOT NULL, "organisme_code" character(9) NOT NULL, "type" character varying(48) NOT NULL, "subject_type" character varying(32) NOT NULL, "subject_id" character varying(64) NOT NULL, "data" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ed8931c9b4e11caee8039bf106f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_491b992c78b804605e6b53c236" ON "fund_event"  ("organisme_code", "tx_id", "id") `);
        await queryRunner.query(`CREATE TABLE "webhook_subscription" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organisme_code" character(9) NOT NULL, "partner_id" uuid NOT NULL, "url" character varying(500) NOT NULL, "event_types" character varying(48) array NOT NULL DEFAULT '{}', "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b52cb4811c5ada4f42896c37ba8" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_5b75b1065b5043aee77b1e178f" ON "webhook_subscription"  ("organisme_code") `);
        await queryRunner.query(`CREATE TABLE "webhook_delivery" ("id" BIGSERIAL NOT NULL, "subscription_id" uuid NOT NULL, "event_id" bigint NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "last_error" character varying(200), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1ae290239a778f12399db91354" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "webhook_delivery_once" ON "webhook_delivery"  ("subscription_id", "event_id") `);
        await queryRunner.query(`CREATE TYPE "public"."photo_source" AS ENUM('digitisation_centre', 'online')`);
        await queryRunner.query(`CREATE TYPE "public"."photo_status" AS ENUM('pending', 'accepted', 'rejected')`);
        await queryRunner.query(`CREATE TABLE "photo" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "source" "public"."photo_source" NOT NULL, "status" "public"."photo_status" NOT NULL DEFAULT 'pending', "reasons" character varying(48) array NOT NULL DEFAULT '{}', "original_key" character varying(200) NOT NULL, "print_key" character varying(200), "chip_key" character varying(200), "sha256" character(64) NOT NULL, "byte_size" integer NOT NULL, "width" integer, "height" integer, "measures" jsonb, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "checked_at" TIMESTAMP WITH TIME ZONE, "original_deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_723fa50bf70dcfd06fb5a44d4ff" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_310ceceb191e0ca8b7f150448b" ON "photo"  ("request_id") `);
        await queryRunner.query(`ALTER TABLE "card" ADD "batch_id" uuid`);
        await queryRunner.query(`ALTER TABLE "card" ADD "chip_id" character varying(32)`);
        await queryRunner.query(`ALTER TABLE "card" ADD "personalised_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "card" ADD "shipped_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "card" ALTER COLUMN "serial" DROP NOT NULL`);
        await queryRunner.query(`CREATE INDEX "IDX_8872d22ce9660b4ed97e00da14" ON "card"  ("batch_id") `);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "card_serial_once_personalised" CHECK (serial IS NOT NULL OR state IN ('ordered', 'cancelled'))`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" ADD CONSTRAINT "FK_c9c9fcb2982674ef59c90a028bf" FOREIGN KEY ("vendor_partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "FK_8872d22ce9660b4ed97e00da14c" FOREIGN KEY ("batch_id") REFERENCES "personalisation_batch"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "FK_2cfca0ecbd728df095fa917985b" FOREIGN KEY ("beneficiary_id") REFERENCES "beneficiary"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "FK_12ca668002e6530a0f0c953fa14" FOREIGN KEY ("organisme_code") REFERENCES "organisme"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "FK_a3e6c4cc522678e459a72dfacc1" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "FK_d5a6ec5ff923ab6804de371a5bb" FOREIGN KEY ("replaced_card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request_step" ADD CONSTRAINT "FK_4e491796f9e514f3100586f88be" FOREIGN KEY ("request_id") REFERENCES "card_request"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "vendor_return_file" ADD CONSTRAINT "FK_2dcf3fb4f04354bdc1631ac6bb7" FOREIGN KEY ("vendor_partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" ADD CONSTRAINT "FK_87752b4a53653603536b6856819" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "sftp_public_key" ADD CONSTRAINT "FK_7f9a5c6c40e502913b2f056740c" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "webhook_subscription" ADD CONSTRAINT "FK_1103c682302dedc217c167d9c6d" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "webhook_delivery" ADD CONSTRAINT "FK_236a6a1218756223393d1fb5acc" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscription"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "photo" ADD CONSTRAINT "FK_310ceceb191e0ca8b7f150448b5" FOREIGN KEY ("request_id") REFERENCES "card_request"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // Hand-added: serials now come from a counter row updated in the batch's transaction (no gap, no reuse).
        await queryRunner.query(`INSERT INTO serial_allocator (id, next_serial) SELECT 1, GREATEST(100000000001, COALESCE(max(serial), 0) + 1) FROM card`);
        await queryRunner.query(`DROP SEQUENCE card_serial_seq`);
        // Hand-added: 8-digit form numbers are 7 digits from this sequence + a Luhn check digit.
        await queryRunner.query(`CREATE SEQUENCE card_request_form_seq AS integer START WITH 1000001 MINVALUE 1000000 MAXVALUE 9999999 NO CYCLE`);
        // Hand-added: personalisation batch numbers.
        await queryRunner.query(`CREATE SEQUENCE personalisation_batch_seq AS bigint START WITH 1 NO CYCLE`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP SEQUENCE personalisation_batch_seq`);
        await queryRunner.query(`DROP SEQUENCE card_request_form_seq`);
        await queryRunner.query(`CREATE SEQUENCE card_serial_seq AS bigint START WITH 100000000001 MINVALUE 1 MAXVALUE 999999999999 NO CYCLE CACHE 1`);
        await queryRunner.query(`ALTER TABLE "photo" DROP CONSTRAINT "FK_310ceceb191e0ca8b7f150448b5"`);
        await queryRunner.query(`ALTER TABLE "webhook_delivery" DROP CONSTRAINT "FK_236a6a1218756223393d1fb5acc"`);
        await queryRunner.query(`ALTER TABLE "webhook_subscription" DROP CONSTRAINT "FK_1103c682302dedc217c167d9c6d"`);
        await queryRunner.query(`ALTER TABLE "sftp_public_key" DROP CONSTRAINT "FK_7f9a5c6c40e502913b2f056740c"`);
        await queryRunner.query(`ALTER TABLE "vendor_profile" DROP CONSTRAINT "FK_87752b4a53653603536b6856819"`);
        await queryRunner.query(`ALTER TABLE "vendor_return_file" DROP CONSTRAINT "FK_2dcf3fb4f04354bdc1631ac6bb7"`);
        await queryRunner.query(`ALTER TABLE "card_request_step" DROP CONSTRAINT "FK_4e491796f9e514f3100586f88be"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "FK_d5a6ec5ff923ab6804de371a5bb"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "FK_a3e6c4cc522678e459a72dfacc1"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "FK_12ca668002e6530a0f0c953fa14"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "FK_2cfca0ecbd728df095fa917985b"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "FK_8872d22ce9660b4ed97e00da14c"`);
        await queryRunner.query(`ALTER TABLE "personalisation_batch" DROP CONSTRAINT "FK_c9c9fcb2982674ef59c90a028bf"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "card_serial_once_personalised"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_8872d22ce9660b4ed97e00da14"`);
        await queryRunner.query(`ALTER TABLE "card" ALTER COLUMN "serial" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "shipped_at"`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "personalised_at"`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "chip_id"`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "batch_id"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_310ceceb191e0ca8b7f150448b"`);
        await queryRunner.query(`DROP TABLE "photo"`);
        await queryRunner.query(`DROP TYPE "public"."photo_status"`);
        await queryRunner.query(`DROP TYPE "public"."photo_source"`);
        await queryRunner.query(`DROP INDEX "public"."webhook_delivery_once"`);
        await queryRunner.query(`DROP TABLE "webhook_delivery"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_5b75b1065b5043aee77b1e178f"`);
        await queryRunner.query(`DROP TABLE "webhook_subscription"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_491b992c78b804605e6b53c236"`);
        await queryRunner.query(`DROP TABLE "fund_event"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_434466cdcbb53ba32b699cbe2c"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7f9a5c6c40e502913b2f056740"`);
        await queryRunner.query(`DROP TABLE "sftp_public_key"`);
        await queryRunner.query(`DROP INDEX "public"."vendor_profile_one_default"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_bf786b210dff457f9aff5c9860"`);
        await queryRunner.query(`DROP TABLE "vendor_profile"`);
        await queryRunner.query(`DROP INDEX "public"."vendor_return_file_once"`);
        await queryRunner.query(`DROP TABLE "vendor_return_file"`);
        await queryRunner.query(`DROP TYPE "public"."return_file_status"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_ab579f8798cb52bbc7ba31c4db"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_4e491796f9e514f3100586f88b"`);
        await queryRunner.query(`DROP TABLE "card_request_step"`);
        await queryRunner.query(`DROP TYPE "public"."request_status"`);
        await queryRunner.query(`DROP INDEX "public"."card_request_one_open_per_beneficiary"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_6f77c20f6c309e13e41999cd80"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_12ca668002e6530a0f0c953fa1"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2cfca0ecbd728df095fa917985"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_25cf0da0bf126b1e0f25d09d36"`);
        await queryRunner.query(`DROP TABLE "card_request"`);
        await queryRunner.query(`DROP TYPE "public"."request_reason"`);
        await queryRunner.query(`DROP TABLE "serial_allocator"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c9c9fcb2982674ef59c90a028b"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2b585e00618a26bc1a8a05fb26"`);
        await queryRunner.query(`DROP TABLE "personalisation_batch"`);
        await queryRunner.query(`DROP TYPE "public"."batch_status"`);
    }

}

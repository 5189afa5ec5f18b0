import { MigrationInterface, QueryRunner } from "typeorm";

/** Online card updates (issue #6): current card data by record, target version, kiosk exchanges. */
export class OnlineUpdates1795462000000 implements MigrationInterface {
    name = 'OnlineUpdates1795462000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "card_data_record" ("card_id" uuid NOT NULL, "record_type" character varying(32) NOT NULL, "content" jsonb, "version" integer NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b8501ecd759859d743959f050fc" PRIMARY KEY ("card_id", "record_type"))`);
        await queryRunner.query(`CREATE TABLE "card_update_state" ("card_id" uuid NOT NULL, "target_version" integer NOT NULL DEFAULT '0', "data_updated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_8828ec292358728f70c937e115d" PRIMARY KEY ("card_id"))`);
        await queryRunner.query(`CREATE TYPE "public"."kiosk_exchange_status" AS ENUM('issued', 'confirmed', 'failed', 'superseded')`);
        await queryRunner.query(`CREATE TABLE "kiosk_exchange" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "card_id" uuid NOT NULL, "kiosk_partner_id" uuid NOT NULL, "base_version" integer NOT NULL, "target_version" integer NOT NULL, "records" text array NOT NULL, "status" "public"."kiosk_exchange_status" NOT NULL DEFAULT 'issued', "command_may_have_reached_card" boolean, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "kiosk_exchange_versions" CHECK (target_version > base_version), CONSTRAINT "PK_fd20f4d8440db161f98b96c2116" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_9ad0b0d954aae325b7ce4ada36" ON "kiosk_exchange"  ("card_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "kiosk_exchange_one_open_per_card" ON "kiosk_exchange"  ("card_id") WHERE status = 'issued'`);
        await queryRunner.query(`ALTER TABLE "card_data_record" ADD CONSTRAINT "FK_e783901eeed109ba7d43e84c9e9" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_update_state" ADD CONSTRAINT "FK_8828ec292358728f70c937e115d" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" ADD CONSTRAINT "FK_9ad0b0d954aae325b7ce4ada365" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" DROP CONSTRAINT "FK_9ad0b0d954aae325b7ce4ada365"`);
        await queryRunner.query(`ALTER TABLE "card_update_state" DROP CONSTRAINT "FK_8828ec292358728f70c937e115d"`);
        await queryRunner.query(`ALTER TABLE "card_data_record" DROP CONSTRAINT "FK_e783901eeed109ba7d43e84c9e9"`);
        await queryRunner.query(`DROP INDEX "public"."kiosk_exchange_one_open_per_card"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_9ad0b0d954aae325b7ce4ada36"`);
        await queryRunner.query(`DROP TABLE "kiosk_exchange"`);
        await queryRunner.query(`DROP TYPE "public"."kiosk_exchange_status"`);
        await queryRunner.query(`DROP TABLE "card_update_state"`);
        await queryRunner.query(`DROP TABLE "card_data_record"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Renewal campaigns (issue 14 item 3): a cohort of card holders reached in daily waves, each wave opening card
 * requests (step 1) through the emission chain.
 *
 * - `campaign`: the cohort as defined, its status and the cursor of the last holder handled. Its status moves only
 *   along the state machine (trigger `campaign_status_transition`, whoever writes it).
 * - `campaign_wave`: one wave per campaign and Paris day (`campaign_wave_once_a_day`): two instances running the
 *   job the same day share one wave, never send two; `sent` never passes what the day's capacity granted it.
 * - `campaign_capacity_day`: the forms all campaigns may send on a day (the photo digitisation contract's capacity);
 *   its check keeps the waves' reservations within it.
 * - `campaign_member`: each holder a campaign reached, once per campaign (primary key), with what was done.
 * - `card_request.origin` gains `campaign`, and such a request names its campaign (`campaign_id`); a campaign opens
 *   at most one request per holder (`card_request_once_per_campaign`).
 */
export class RenewalCampaigns1795534000000 implements MigrationInterface {
    name = 'RenewalCampaigns1795534000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."campaign_status" AS ENUM('ready', 'running', 'paused', 'completed', 'cancelled')`);
        await queryRunner.query(`CREATE TABLE "campaign" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(120) NOT NULL, "status" "public"."campaign_status" NOT NULL DEFAULT 'ready', "cohort" jsonb NOT NULL, "daily_limit" integer, "cohort_size" integer NOT NULL, "cursor" uuid, "sent" integer NOT NULL DEFAULT '0', "skipped" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "status_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "campaign_counts" CHECK (sent >= 0 AND skipped >= 0), CONSTRAINT "campaign_daily_limit" CHECK (daily_limit IS NULL OR daily_limit > 0), CONSTRAINT "PK_campaign" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."campaign_wave_status" AS ENUM('open', 'done')`);
        await queryRunner.query(`CREATE TABLE "campaign_wave" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "campaign_id" uuid NOT NULL, "wave_day" date NOT NULL, "planned" integer NOT NULL, "sent" integer NOT NULL DEFAULT '0', "skipped" integer NOT NULL DEFAULT '0', "status" "public"."campaign_wave_status" NOT NULL DEFAULT 'open', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "campaign_wave_counts" CHECK (planned >= 0 AND sent BETWEEN 0 AND planned AND skipped >= 0), CONSTRAINT "PK_campaign_wave" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "campaign_wave_once_a_day" ON "campaign_wave"  ("campaign_id", "wave_day") `);
        await queryRunner.query(`CREATE TABLE "campaign_capacity_day" ("day" date NOT NULL, "capacity" integer NOT NULL, "planned" integer NOT NULL DEFAULT '0', CONSTRAINT "campaign_capacity_day_within" CHECK (planned BETWEEN 0 AND capacity), CONSTRAINT "PK_campaign_capacity_day" PRIMARY KEY ("day"))`);
        await queryRunner.query(`CREATE TYPE "public"."campaign_member_outcome" AS ENUM('sent', 'skipped_open_request')`);
        await queryRunner.query(`CREATE TABLE "campaign_member" ("campaign_id" uuid NOT NULL, "beneficiary_id" uuid NOT NULL, "wave_id" uuid NOT NULL, "card_id" uuid NOT NULL, "organisme_code" character(9) NOT NULL, "outcome" "public"."campaign_member_outcome" NOT NULL, "request_id" uuid, CONSTRAINT "campaign_member_request" CHECK ((outcome = 'sent') = (request_id IS NOT NULL)), CONSTRAINT "PK_campaign_member" PRIMARY KEY ("campaign_id", "beneficiary_id"))`);
        await queryRunner.query(`CREATE INDEX "campaign_member_by_wave" ON "campaign_member"  ("wave_id") `);
        await queryRunner.query(`ALTER TABLE "card_request" ADD "campaign_id" uuid`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_request_once_per_campaign" ON "card_request"  ("campaign_id", "beneficiary_id") WHERE campaign_id IS NOT NULL`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_origin"`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_origin" CHECK (origin IN ('fund', 'sixteenth_birthday', 'campaign'))`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_campaign_origin" CHECK ((origin = 'campaign') = (campaign_id IS NOT NULL))`);
        await queryRunner.query(`ALTER TABLE "campaign_wave" ADD CONSTRAINT "campaign_wave_campaign_fk" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_campaign_fk" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "campaign_member" ADD CONSTRAINT "campaign_member_campaign_fk" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "campaign_member" ADD CONSTRAINT "campaign_member_wave_fk" FOREIGN KEY ("wave_id") REFERENCES "campaign_wave"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "campaign_member" ADD CONSTRAINT "campaign_member_card_fk" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "campaign_member" ADD CONSTRAINT "campaign_member_request_fk" FOREIGN KEY ("request_id") REFERENCES "card_request"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // Hand-added: the state machine is the database's, whoever writes the status.
        await queryRunner.query(`CREATE FUNCTION campaign_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status, NEW.status) NOT IN (('ready', 'running'), ('ready', 'cancelled'), ('running', 'paused'),
      ('running', 'completed'), ('running', 'cancelled'), ('paused', 'running'), ('paused', 'cancelled')) THEN
    RAISE EXCEPTION 'campaign % cannot move from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER campaign_status_transition BEFORE UPDATE OF status ON "campaign"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION campaign_status_transition()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER campaign_status_transition ON "campaign"`);
        await queryRunner.query(`DROP FUNCTION campaign_status_transition()`);
        await queryRunner.query(`ALTER TABLE "campaign_member" DROP CONSTRAINT "campaign_member_request_fk"`);
        await queryRunner.query(`ALTER TABLE "campaign_member" DROP CONSTRAINT "campaign_member_card_fk"`);
        await queryRunner.query(`ALTER TABLE "campaign_member" DROP CONSTRAINT "campaign_member_wave_fk"`);
        await queryRunner.query(`ALTER TABLE "campaign_member" DROP CONSTRAINT "campaign_member_campaign_fk"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_campaign_fk"`);
        await queryRunner.query(`ALTER TABLE "campaign_wave" DROP CONSTRAINT "campaign_wave_campaign_fk"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_campaign_origin"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_origin"`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_origin" CHECK (origin IN ('fund', 'sixteenth_birthday'))`);
        await queryRunner.query(`DROP INDEX "public"."card_request_once_per_campaign"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP COLUMN "campaign_id"`);
        await queryRunner.query(`DROP INDEX "public"."campaign_member_by_wave"`);
        await queryRunner.query(`DROP TABLE "campaign_member"`);
        await queryRunner.query(`DROP TYPE "public"."campaign_member_outcome"`);
        await queryRunner.query(`DROP TABLE "campaign_capacity_day"`);
        await queryRunner.query(`DROP INDEX "public"."campaign_wave_once_a_day"`);
        await queryRunner.query(`DROP TABLE "campaign_wave"`);
        await queryRunner.query(`DROP TYPE "public"."campaign_wave_status"`);
        await queryRunner.query(`DROP TABLE "campaign"`);
        await queryRunner.query(`DROP TYPE "public"."campaign_status"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Reconciliation of a taken-over card base (issue 14, docs/reconciliation.md):
 *
 * - `reconciliation_run`: one dry run or apply, asked by an operator and run by a job. `active` is true while it is
 *   pending or running, and a unique index on it lets one run at a time exist, whichever instance asks.
 * - `reconciliation_finding`: what a run found, card by card and class (the report and the counts), tagged with the
 *   card's organisme, fund and regime so a fund's view is a filter on its own organisme.
 * - `reconciliation_decision`: what apply decided for a card, one row per card ever (its primary key): applying twice
 *   opposes nothing twice. Oppositions go out in waves capped per day (`applied_on`).
 * - `beneficiary_died`: the living/deceased split read by every run, without a scan of the register.
 * - `card_usable_by_holder`: the usable cards by holder, so counting each holder's usable cards is an index-only scan
 *   in holder order (no sort, no hash of every card).
 * - findings carry no foreign key: a run writes millions of them in one statement, and runs are never deleted.
 */
export class Reconciliation1795533000000 implements MigrationInterface {
    name = 'Reconciliation1795533000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."reconciliation_run_mode_enum" AS ENUM('dry_run', 'apply')`);
        await queryRunner.query(`CREATE TYPE "public"."reconciliation_run_status_enum" AS ENUM('pending', 'running', 'done', 'failed')`);
        await queryRunner.query(`CREATE TABLE "reconciliation_run" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "mode" "public"."reconciliation_run_mode_enum" NOT NULL, "status" "public"."reconciliation_run_status_enum" NOT NULL DEFAULT 'pending', "active" boolean NOT NULL DEFAULT true, "requested_by" uuid, "request_id" character varying(64), "cards_classified" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "error" character varying(300), CONSTRAINT "reconciliation_run_active" CHECK (active = (status IN ('pending', 'running'))), CONSTRAINT "PK_reconciliation_run" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "reconciliation_run_one_at_a_time" ON "reconciliation_run" ("active") WHERE active`);
        await queryRunner.query(`CREATE INDEX "reconciliation_run_created" ON "reconciliation_run" ("created_at") `);
        await queryRunner.query(`CREATE TYPE "public"."reconciliation_class" AS ENUM('surplus', 'kept', 'left_organisme', 'holder_unknown', 'holder_deceased')`);
        await queryRunner.query(`CREATE TABLE "reconciliation_finding" ("run_id" uuid NOT NULL, "card_id" uuid NOT NULL, "class" "public"."reconciliation_class" NOT NULL, "serial" bigint NOT NULL, "kept_serial" bigint, "organisme_code" character(9) NOT NULL, "fund_code" character(5) NOT NULL, "regime_code" character(2) NOT NULL, "generation" smallint NOT NULL, "origin" "public"."card_origin" NOT NULL, CONSTRAINT "PK_reconciliation_finding" PRIMARY KEY ("run_id", "card_id", "class"))`);
        await queryRunner.query(`CREATE INDEX "reconciliation_finding_by_organisme" ON "reconciliation_finding" ("run_id", "organisme_code") `);
        await queryRunner.query(`CREATE TYPE "public"."reconciliation_decision_action_enum" AS ENUM('keep', 'oppose')`);
        await queryRunner.query(`CREATE TYPE "public"."reconciliation_decision_outcome_enum" AS ENUM('opposed', 'skipped')`);
        await queryRunner.query(`CREATE TABLE "reconciliation_decision" ("card_id" uuid NOT NULL, "run_id" uuid NOT NULL, "action" "public"."reconciliation_decision_action_enum" NOT NULL, "reason" "public"."opposition_reason", "class" "public"."reconciliation_class" NOT NULL, "organisme_code" character(9) NOT NULL, "regime_code" character(2) NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "applied_at" TIMESTAMP WITH TIME ZONE, "applied_on" date, "outcome" "public"."reconciliation_decision_outcome_enum", CONSTRAINT "reconciliation_decision_reason" CHECK ((action = 'oppose') = (reason IS NOT NULL)), CONSTRAINT "reconciliation_decision_applied" CHECK ((applied_at IS NULL) = (outcome IS NULL) AND (applied_at IS NULL) = (applied_on IS NULL)), CONSTRAINT "PK_reconciliation_decision" PRIMARY KEY ("card_id"))`);
        await queryRunner.query(`CREATE INDEX "reconciliation_decision_pending" ON "reconciliation_decision" ("decided_at", "card_id") WHERE action = 'oppose' AND applied_at IS NULL`);
        await queryRunner.query(`CREATE INDEX "reconciliation_decision_applied_on" ON "reconciliation_decision" ("applied_on") WHERE applied_on IS NOT NULL`);
        await queryRunner.query(`CREATE INDEX "beneficiary_died" ON "beneficiary" ("id") WHERE died_on IS NOT NULL`);
        await queryRunner.query(`CREATE INDEX "card_usable_by_holder" ON "card" ("beneficiary_id") WHERE state IN ('shipped', 'active')`);
        await queryRunner.query(`ALTER TABLE "reconciliation_decision" ADD CONSTRAINT "reconciliation_decision_card_fk" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "reconciliation_decision" ADD CONSTRAINT "reconciliation_decision_run_fk" FOREIGN KEY ("run_id") REFERENCES "reconciliation_run"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "reconciliation_decision" DROP CONSTRAINT "reconciliation_decision_run_fk"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_decision" DROP CONSTRAINT "reconciliation_decision_card_fk"`);
        await queryRunner.query(`DROP INDEX "public"."card_usable_by_holder"`);
        await queryRunner.query(`DROP INDEX "public"."beneficiary_died"`);
        await queryRunner.query(`DROP TABLE "reconciliation_decision"`);
        await queryRunner.query(`DROP TYPE "public"."reconciliation_decision_outcome_enum"`);
        await queryRunner.query(`DROP TYPE "public"."reconciliation_decision_action_enum"`);
        await queryRunner.query(`DROP TABLE "reconciliation_finding"`);
        await queryRunner.query(`DROP TYPE "public"."reconciliation_class"`);
        await queryRunner.query(`DROP TABLE "reconciliation_run"`);
        await queryRunner.query(`DROP TYPE "public"."reconciliation_run_status_enum"`);
        await queryRunner.query(`DROP TYPE "public"."reconciliation_run_mode_enum"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/** Regime transfers: every insured of the source organismes changes fund on one date, each keeping their card. */
export class RegimeTransfers1795465000000 implements MigrationInterface {
    name = 'RegimeTransfers1795465000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "regime_transfer" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "effective_date" date NOT NULL, "mappings" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "insured_count" integer NOT NULL DEFAULT '0', "cards_count" integer NOT NULL DEFAULT '0', "skipped_count" integer NOT NULL DEFAULT '0', "mutations_count" integer NOT NULL DEFAULT '0', "applied_count" integer NOT NULL DEFAULT '0', "cursor_organisme" character(9), "cursor_beneficiary" uuid, "failure" character varying(500), "requested_by" uuid, "request_id" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "recorded_at" TIMESTAMP WITH TIME ZONE, "applied_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "regime_transfer_status" CHECK (status IN ('pending', 'recording', 'recorded', 'applied', 'failed')), CONSTRAINT "PK_bbf4dd4f96548427456dc35e2cc" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "regime_transfer_created" ON "regime_transfer"  ("created_at") `);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD "transfer_id" uuid`);
        await queryRunner.query(`CREATE INDEX "card_mutation_transfer" ON "card_mutation"  ("transfer_id") WHERE transfer_id IS NOT NULL`);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD CONSTRAINT "card_mutation_transfer_fk" FOREIGN KEY ("transfer_id") REFERENCES "regime_transfer"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // A regime transfer changes fund like a fund change: never to the same organisme.
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP CONSTRAINT "card_mutation_organismes"`);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD CONSTRAINT "card_mutation_organismes" CHECK (kind NOT IN ('fund_change', 'regime_transfer') OR from_organisme <> to_organisme)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP CONSTRAINT "card_mutation_organismes"`);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD CONSTRAINT "card_mutation_organismes" CHECK (kind <> 'fund_change' OR from_organisme <> to_organisme)`);
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP CONSTRAINT "card_mutation_transfer_fk"`);
        await queryRunner.query(`DROP INDEX "public"."card_mutation_transfer"`);
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP COLUMN "transfer_id"`);
        await queryRunner.query(`DROP INDEX "public"."regime_transfer_created"`);
        await queryRunner.query(`DROP TABLE "regime_transfer"`);
    }

}

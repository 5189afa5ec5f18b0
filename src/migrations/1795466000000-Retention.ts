import { MigrationInterface, QueryRunner } from "typeorm";

export class Retention1795466000000 implements MigrationInterface {
    name = 'Retention1795466000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "fund_event_horizon" ("organisme_code" character(9) NOT NULL, "tx_id" bigint NOT NULL, "id" bigint NOT NULL, "purged_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fund_event_horizon" PRIMARY KEY ("organisme_code"))`);
        await queryRunner.query(`CREATE INDEX "fund_event_position" ON "fund_event" ("tx_id", "id") `);
        await queryRunner.query(`CREATE INDEX "webhook_delivery_finished" ON "webhook_delivery" ("event_id") WHERE status <> 'pending'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."webhook_delivery_finished"`);
        await queryRunner.query(`DROP INDEX "public"."fund_event_position"`);
        await queryRunner.query(`DROP TABLE "fund_event_horizon"`);
    }

}

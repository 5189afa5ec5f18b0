import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The console's data (issue 15): figures read at each scrape and dashboard, and the indexes of its searches.
 *
 * - `insight_snapshot`: one row (id 1) holding the business figures (cards by state, open and stuck requests by
 *   status, per organisme) that the singleton job `insight.refresh-figures` recounts each minute: /metrics and the
 *   dashboard read this row instead of counting a million cards at every scrape or page.
 * - `beneficiary_by_birth_date`: the search by name and birth date reads one birth date's insured (a few hundred at
 *   most in a million) and filters them by name.
 * - `opposition_change_by_serial`: the insured's timeline reads the oppositions of their cards.
 */
export class ConsoleData1795536000000 implements MigrationInterface {
    name = 'ConsoleData1795536000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "insight_snapshot" ("id" smallint NOT NULL, "taken_at" TIMESTAMP WITH TIME ZONE NOT NULL, "figures" jsonb NOT NULL, CONSTRAINT "insight_snapshot_one_row" CHECK (id = 1), CONSTRAINT "PK_insight_snapshot" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "beneficiary_by_birth_date" ON "beneficiary" ("birth_date") `);
        await queryRunner.query(`CREATE INDEX "opposition_change_by_serial" ON "opposition_change" ("serial") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."opposition_change_by_serial"`);
        await queryRunner.query(`DROP INDEX "public"."beneficiary_by_birth_date"`);
        await queryRunner.query(`DROP TABLE "insight_snapshot"`);
    }
}

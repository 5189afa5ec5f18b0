import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A reconciliation run classifies the card base in holder ranges, several at once (docs/reconciliation.md,
 * docs/benchmarks.md "Reconciliation (dry run)"); what it writes is made cheaper to write and to read back:
 *
 * - `reconciliation_finding`'s key becomes (run, serial, class): the CSV report pages along it (each page was a sort
 *   of the whole run's findings), and a run writes its findings in serial order.
 * - The by-organisme index goes (its duplicate keys were more than half the cost of writing a finding); the counts
 *   per regime, fund, organisme and class are written once when a run ends, into `reconciliation_count`, which the
 *   API reads. The runs already done get theirs here.
 */
export class ReconciliationInRanges1795546000000 implements MigrationInterface {
    name = 'ReconciliationInRanges1795546000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "reconciliation_count" ("run_id" uuid NOT NULL, "regime_code" character(2) NOT NULL, "fund_code" character(5) NOT NULL, "organisme_code" character(9) NOT NULL, "class" "public"."reconciliation_class" NOT NULL, "cards" integer NOT NULL, CONSTRAINT "PK_reconciliation_count" PRIMARY KEY ("run_id", "regime_code", "fund_code", "organisme_code", "class"))`);
        await queryRunner.query(`INSERT INTO "reconciliation_count" ("run_id", "regime_code", "fund_code", "organisme_code", "class", "cards") SELECT "run_id", "regime_code", "fund_code", "organisme_code", "class", count(*) FROM "reconciliation_finding" f WHERE EXISTS (SELECT 1 FROM "reconciliation_run" r WHERE r."id" = f."run_id" AND r."status" = 'done') GROUP BY 1, 2, 3, 4, 5`);
        await queryRunner.query(`DROP INDEX "public"."reconciliation_finding_by_organisme"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_finding" DROP CONSTRAINT "PK_reconciliation_finding"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_finding" ADD CONSTRAINT "PK_reconciliation_finding" PRIMARY KEY ("run_id", "serial", "class")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "reconciliation_finding" DROP CONSTRAINT "PK_reconciliation_finding"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_finding" ADD CONSTRAINT "PK_reconciliation_finding" PRIMARY KEY ("run_id", "card_id", "class")`);
        await queryRunner.query(`CREATE INDEX "reconciliation_finding_by_organisme" ON "reconciliation_finding" ("run_id", "organisme_code") `);
        await queryRunner.query(`DROP TABLE "reconciliation_count"`);
    }
}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * One usable card per holder, for every usable state: a `shipped` card is accepted at kiosks and pharmacies as an
 * `active` one is, so the partial unique index now covers both (it covered `active` only). A database holding a
 * holder with two usable cards stops here with a message saying how to find them: which card goes is an
 * operator's decision (oppose or destroy the extra one), never the migration's.
 */
export class OneUsableCardPerHolder1795468100000 implements MigrationInterface {
    name = 'OneUsableCardPerHolder1795468100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DO $$
DECLARE holders int;
BEGIN
  SELECT count(*) INTO holders FROM (SELECT beneficiary_id FROM card WHERE state IN ('shipped', 'active') GROUP BY beneficiary_id HAVING count(*) > 1) d;
  IF holders > 0 THEN
    RAISE EXCEPTION '% holder(s) have more than one usable (shipped or active) card; oppose or destroy the extra ones, then start again. Find them with: SELECT beneficiary_id, array_agg(serial) FROM card WHERE state IN (''shipped'', ''active'') GROUP BY beneficiary_id HAVING count(*) > 1', holders;
  END IF;
END $$`);
        await queryRunner.query(`DROP INDEX "public"."card_one_active_per_beneficiary"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_one_usable_per_beneficiary" ON "card" ("beneficiary_id") WHERE state IN ('shipped', 'active')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_one_usable_per_beneficiary"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_one_active_per_beneficiary" ON "card" ("beneficiary_id") WHERE state = 'active'`);
    }

}

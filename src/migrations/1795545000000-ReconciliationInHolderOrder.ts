import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Reconciliation reads the usable cards and the affiliations in holder order, both from an index that holds what
 * the classification needs, so the affiliation check is a merge join of two index-only scans instead of a hash of
 * every current affiliation (docs/reconciliation.md, docs/benchmarks.md "Reconciliation (dry run)"):
 *
 * - `card_usable_by_holder` now also holds each usable card's organisme and id (INCLUDE): the pass counting each
 *   holder's usable cards and checking their organisme never reads the card table.
 * - `affiliation_by_holder` (beneficiary_id, organisme_code) INCLUDE (valid_from, valid_to) replaces the plain index
 *   on `affiliation.beneficiary_id` (it serves every lookup by holder the old one did, and the foreign key's).
 *
 * Neither can be described to TypeORM (no INCLUDE): the entities declare them with `synchronize: false`.
 */
export class ReconciliationInHolderOrder1795545000000 implements MigrationInterface {
    name = 'ReconciliationInHolderOrder1795545000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_usable_by_holder"`);
        await queryRunner.query(`CREATE INDEX "card_usable_by_holder" ON "card" ("beneficiary_id") INCLUDE ("organisme_code", "id") WHERE state IN ('shipped', 'active')`);
        await queryRunner.query(`CREATE INDEX "affiliation_by_holder" ON "affiliation" ("beneficiary_id", "organisme_code") INCLUDE ("valid_from", "valid_to")`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7fd739b7646561331f503dc2a1"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "IDX_7fd739b7646561331f503dc2a1" ON "affiliation" ("beneficiary_id") `);
        await queryRunner.query(`DROP INDEX "public"."affiliation_by_holder"`);
        await queryRunner.query(`DROP INDEX "public"."card_usable_by_holder"`);
        await queryRunner.query(`CREATE INDEX "card_usable_by_holder" ON "card" ("beneficiary_id") WHERE state IN ('shipped', 'active')`);
    }
}

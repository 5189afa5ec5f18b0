import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The requests by status and status date, for the open statuses only: every query that reads it asks for open
 * requests (pipeline counts and stuck lists, the re-injector, reminders and expiry), while completed, expired and
 * cancelled requests (nearly all of them, and more every day) each held an entry and every request paid one more index
 * write when it closed (the emission chain completes 100,000 in a run).
 */
export class OpenRequestsByStatus1795510100000 implements MigrationInterface {
    name = 'OpenRequestsByStatus1795510100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_6f77c20f6c309e13e41999cd80"`);
        await queryRunner.query(`CREATE INDEX "card_request_open_by_status" ON "card_request" ("status", "status_changed_at") WHERE status IN ('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_request_open_by_status"`);
        await queryRunner.query(`CREATE INDEX "IDX_6f77c20f6c309e13e41999cd80" ON "card_request" ("status", "status_changed_at") `);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The ordered requests in the batch builder's pick order (oldest order first, then id): the pick reads them from
 * this index and stops at the batch size, instead of joining and sorting every ordered card for each batch.
 * Partial: a request is in it only while it is ordered, so the other moves do not pay for it.
 */
export class OrderedRequestsInPickOrder1795490000000 implements MigrationInterface {
    name = 'OrderedRequestsInPickOrder1795490000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "card_request_ordered_in_pick_order" ON "card_request" ("status_changed_at", "id") WHERE status = 'ordered'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_request_ordered_in_pick_order"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A young person's own card (issue 13 item 4): who opened a card request.
 *
 * - `card_request.origin`: `fund` (a fund's call, including a parent's fund for a dependant from 12) or
 *   `sixteenth_birthday` (the daily job, for a dependant reaching 16).
 * - `card_request_sixteenth_birthday_once`: the job opens at most one request per young person, ever, whatever the
 *   number of instances running it at once or the days it runs (a request cancelled or expired is not reopened by
 *   the job; the fund may open another).
 */
export class OwnCardRequests1795526000000 implements MigrationInterface {
    name = 'OwnCardRequests1795526000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "card_request" ADD "origin" character varying(24) NOT NULL DEFAULT 'fund'`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_origin" CHECK (origin IN ('fund', 'sixteenth_birthday'))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_request_sixteenth_birthday_once" ON "card_request" ("beneficiary_id") WHERE origin = 'sixteenth_birthday'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_request_sixteenth_birthday_once"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_origin"`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP COLUMN "origin"`);
    }

}

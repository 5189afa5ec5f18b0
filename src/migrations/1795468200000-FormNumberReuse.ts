import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Form numbers are reused instead of running out. The 7-digit sequence behind them gives about 9 million forms
 * ever; once it is spent, the number of a request closed for FORM_NUMBER_REUSE_DAYS is released and given again.
 *
 * - form_number_released_at: set when the number was given to a newer request (null: the request holds it).
 * - card_request_form_number_held: a number is held by one request at most (it replaces the unique index over
 *   every request ever made), so a number keyed in by the digitisation centre designates one request.
 * - card_request_form_number_held_while_awaiting_photo: a request that can still receive a photo by its number
 *   (form_sent, photo_received, photo_rejected) always holds it.
 * - card_request_form_number_reusable: the closed requests still holding their number, oldest closure first.
 * - next_form_sequence(): the next sequence value, or NULL once the sequence is spent (instead of an error that
 *   would abort the caller's transaction).
 */
export class FormNumberReuse1795468200000 implements MigrationInterface {
    name = 'FormNumberReuse1795468200000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "card_request" ADD "form_number_released_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`DROP INDEX "public"."IDX_25cf0da0bf126b1e0f25d09d36"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_request_form_number_held" ON "card_request" ("form_number") WHERE form_number_released_at IS NULL`);
        await queryRunner.query(`CREATE INDEX "card_request_form_number_reusable" ON "card_request" ("status_changed_at") WHERE form_number_released_at IS NULL AND status IN ('completed', 'expired', 'cancelled')`);
        await queryRunner.query(`ALTER TABLE "card_request" ADD CONSTRAINT "card_request_form_number_held_while_awaiting_photo" CHECK (form_number_released_at IS NULL OR status NOT IN ('form_sent', 'photo_received', 'photo_rejected'))`);
        await queryRunner.query(`CREATE FUNCTION next_form_sequence() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  RETURN nextval('card_request_form_seq');
EXCEPTION WHEN sequence_generator_limit_exceeded THEN
  RETURN NULL;
END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION next_form_sequence()`);
        await queryRunner.query(`ALTER TABLE "card_request" DROP CONSTRAINT "card_request_form_number_held_while_awaiting_photo"`);
        await queryRunner.query(`DROP INDEX "public"."card_request_form_number_reusable"`);
        await queryRunner.query(`DROP INDEX "public"."card_request_form_number_held"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_25cf0da0bf126b1e0f25d09d36" ON "card_request" ("form_number") `);
        await queryRunner.query(`ALTER TABLE "card_request" DROP COLUMN "form_number_released_at"`);
    }

}

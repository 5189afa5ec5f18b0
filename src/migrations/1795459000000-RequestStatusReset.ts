import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A request that changes status starts its new step afresh: the re-injection count and the review flag belong
 * to a step, so the database resets them on every status change, whichever code moved the request.
 * Also a partial index for the pipeline's card counts.
 */
export class RequestStatusReset1795459000000 implements MigrationInterface {
    name = 'RequestStatusReset1795459000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION card_request_new_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.reinjections := 0;
    NEW.needs_review := false;
    NEW.status_changed_at := now();
  END IF;
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_request_new_step BEFORE UPDATE OF status ON "card_request" FOR EACH ROW EXECUTE FUNCTION card_request_new_step()`);
        await queryRunner.query(`CREATE INDEX "card_in_chain_by_state" ON "card" ("state") WHERE state IN ('ordered', 'in_personalisation', 'shipped', 'returned_undeliverable')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."card_in_chain_by_state"`);
        await queryRunner.query(`DROP TRIGGER card_request_new_step ON "card_request"`);
        await queryRunner.query(`DROP FUNCTION card_request_new_step()`);
    }
}

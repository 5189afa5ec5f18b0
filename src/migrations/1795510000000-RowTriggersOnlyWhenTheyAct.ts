import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Row triggers fire only for the rows they act on (a WHEN clause costs no function call and queues no event):
 * - card_opposition_change wrote a change row only when a card entered or left `opposed`, but ran for every card
 *   inserted and every state change (three times per card of the emission chain); it now runs for those rows alone,
 *   as two triggers (an INSERT trigger cannot look at OLD). The function is unchanged.
 * - card_request_new_step resets a request's step fields (re-injections, review flag, status date) on a status
 *   change; a statement that already sets them (the emission chain's set-based moves) no longer calls it.
 */
export class RowTriggersOnlyWhenTheyAct1795510000000 implements MigrationInterface {
    name = 'RowTriggersOnlyWhenTheyAct1795510000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER card_opposition_change ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_opposition_change_at_insert AFTER INSERT ON "card" FOR EACH ROW
  WHEN (NEW.state = 'opposed') EXECUTE FUNCTION card_opposition_change()`);
        await queryRunner.query(`CREATE TRIGGER card_opposition_change AFTER UPDATE OF state ON "card" FOR EACH ROW
  WHEN ((OLD.state = 'opposed') IS DISTINCT FROM (NEW.state = 'opposed')) EXECUTE FUNCTION card_opposition_change()`);
        await queryRunner.query(`DROP TRIGGER card_request_new_step ON "card_request"`);
        await queryRunner.query(`CREATE TRIGGER card_request_new_step BEFORE UPDATE OF status ON "card_request" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND (NEW.reinjections <> 0 OR NEW.needs_review OR NEW.status_changed_at IS DISTINCT FROM now()))
  EXECUTE FUNCTION card_request_new_step()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER card_request_new_step ON "card_request"`);
        await queryRunner.query(`CREATE TRIGGER card_request_new_step BEFORE UPDATE OF status ON "card_request" FOR EACH ROW EXECUTE FUNCTION card_request_new_step()`);
        await queryRunner.query(`DROP TRIGGER card_opposition_change ON "card"`);
        await queryRunner.query(`DROP TRIGGER card_opposition_change_at_insert ON "card"`);
        await queryRunner.query(`CREATE TRIGGER card_opposition_change AFTER INSERT OR UPDATE OF state ON "card" FOR EACH ROW EXECUTE FUNCTION card_opposition_change()`);
    }
}

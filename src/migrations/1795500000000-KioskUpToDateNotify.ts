import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Each instance keeps in memory the cards a kiosk/2 check can answer `nothing_to_do` for without reading the
 * database (usable, with keys, target version ≤ confirmed version; src/update/up-to-date-cards.service.ts). These
 * triggers tell every instance, by NOTIFY on `kiosk_card_changed` (payload: the serial), of each change that can make
 * such a card no longer up to date: its state leaving the usable ones, its serial or confirmed version changing while it was up to
 * date, its target version rising above its confirmed version, its keys going. The notification is sent at commit,
 * whoever wrote (the application, a trigger, an operator's SQL); an instance that loses it reloads everything.
 * A confirm (the version rising to a target above it) sends none: such a card was not up to date.
 */
export class KioskUpToDateNotify1795500000000 implements MigrationInterface {
    name = 'KioskUpToDateNotify1795500000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION kiosk_card_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  IF TG_TABLE_NAME = 'card' THEN
    -- The version alone moving up to a target above it (a confirm): the card was pending, no instance holds it.
    IF TG_OP = 'UPDATE' AND NEW.state = OLD.state AND NEW.serial IS NOT DISTINCT FROM OLD.serial
       AND NEW.data_version > OLD.data_version
       AND (SELECT u.target_version FROM card_update_state u WHERE u.card_id = OLD.id) > OLD.data_version THEN
      RETURN NULL;
    END IF;
    s := OLD.serial;
  ELSIF TG_TABLE_NAME = 'card_update_state' THEN
    SELECT c.serial INTO s FROM card c
     WHERE c.id = NEW.card_id AND c.state IN ('shipped', 'active') AND NEW.target_version > c.data_version;
  ELSE -- card_key
    SELECT c.serial INTO s FROM card c WHERE c.id = OLD.card_id;
  END IF;
  IF s IS NOT NULL THEN
    PERFORM pg_notify('kiosk_card_changed', s::text);
  END IF;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER "kiosk_card_changed" AFTER UPDATE OF state, serial, data_version ON "card" FOR EACH ROW WHEN (OLD.state IN ('shipped', 'active') AND OLD.serial IS NOT NULL AND (NEW.state NOT IN ('shipped', 'active') OR NEW.serial IS DISTINCT FROM OLD.serial OR NEW.data_version IS DISTINCT FROM OLD.data_version)) EXECUTE FUNCTION kiosk_card_changed()`);
        await queryRunner.query(`CREATE TRIGGER "kiosk_card_deleted" AFTER DELETE ON "card" FOR EACH ROW WHEN (OLD.state IN ('shipped', 'active') AND OLD.serial IS NOT NULL) EXECUTE FUNCTION kiosk_card_changed()`);
        await queryRunner.query(`CREATE TRIGGER "kiosk_card_target_added" AFTER INSERT ON "card_update_state" FOR EACH ROW WHEN (NEW.target_version > 0) EXECUTE FUNCTION kiosk_card_changed()`);
        await queryRunner.query(`CREATE TRIGGER "kiosk_card_target_raised" AFTER UPDATE OF target_version ON "card_update_state" FOR EACH ROW WHEN (NEW.target_version > OLD.target_version) EXECUTE FUNCTION kiosk_card_changed()`);
        await queryRunner.query(`CREATE TRIGGER "kiosk_card_keys_gone" AFTER DELETE ON "card_key" FOR EACH ROW EXECUTE FUNCTION kiosk_card_changed()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER "kiosk_card_keys_gone" ON "card_key"`);
        await queryRunner.query(`DROP TRIGGER "kiosk_card_target_raised" ON "card_update_state"`);
        await queryRunner.query(`DROP TRIGGER "kiosk_card_target_added" ON "card_update_state"`);
        await queryRunner.query(`DROP TRIGGER "kiosk_card_deleted" ON "card"`);
        await queryRunner.query(`DROP TRIGGER "kiosk_card_changed" ON "card"`);
        await queryRunner.query(`DROP FUNCTION kiosk_card_changed()`);
    }
}

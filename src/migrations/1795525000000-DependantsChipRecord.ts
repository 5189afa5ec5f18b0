import { MigrationInterface, QueryRunner } from "typeorm";

/** Card states whose chip records follow the register (as in migration ChipRecordsFromRegister). */
const IN_USE = `('ordered', 'in_personalisation', 'shipped', 'active', 'returned_undeliverable')`;

/**
 * Hand-written: the chip's `dependants` record (the card holder's children carried on the card), written by the
 * database from the register, like `identity` and `organisme`.
 *
 * - chip_dependants_record(holder): the canonical content, one entry per attachment of the holder not yet ended
 *   (valid_to null or after today), ordered by birth date, birth rank: {identity (the chip_identity_record shape; nir
 *   null for a newborn without one), coverage, aldPeriods (the rights the holder's regime gives the child, from the
 *   attachment), attachedFrom, attachedTo}. A test holds it equal to src/update/card-records.ts.
 * - Only cards with their chip's keys carry it: the family is disclosed to a card that proves its presence (kiosk/2,
 *   records sealed to the card), never in clear to a kiosk/1. A card gets it when its keys are recorded (the vendor's
 *   return file), and again whenever it comes back in use.
 * - Recomputed for every in-use card of every parent concerned on any attachment write (insert, update, delete:
 *   statement-level triggers with transition tables) and on a dependant's NIR or civil-status change; card_data_write
 *   only moves a card's version when the content changed, so an unchanged family costs the card nothing. Each
 *   rewrite is audited `card.data_changed` (source `register`), like identity and organisme.
 * - A card whose holder never had dependants gets no record (an empty list is written only to replace a non-empty one).
 * - When a young person's own card becomes active, their attachments end (ended today; one not begun yet is removed,
 *   audited `attachment.ended`), so both parents' cards get a pending update, and they become an insured in their own
 *   right: an affiliation to the card's organisme from today, unless they already have one (the NIR is kept).
 *
 * Writers of one parent's cards queue on those cards' row locks before the content is read, so the last writer to
 * commit always writes the family as committed.
 */
export class DependantsChipRecord1795525000000 implements MigrationInterface {
    name = 'DependantsChipRecord1795525000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION chip_dependants_record(p_holder uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'identity', chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank),
           'coverage', a.coverage, 'aldPeriods', a.ald_periods,
           'attachedFrom', to_char(a.valid_from, 'YYYY-MM-DD'), 'attachedTo', to_char(a.valid_to, 'YYYY-MM-DD'))
         ORDER BY b.birth_date, b.birth_rank, a.valid_from, b.id), '[]'::jsonb)
    FROM attachment a JOIN beneficiary b ON b.id = a.dependant_id
   WHERE a.parent_id = p_holder AND (a.valid_to IS NULL OR a.valid_to > current_date)
$$`);
        await queryRunner.query(`CREATE FUNCTION chip_dependants_refresh(p_holders uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(p_holders), 0) = 0 THEN RETURN; END IF;
  -- Lock the cards first, then read the family in statements of their own: they see what an earlier writer committed.
  PERFORM 1 FROM card WHERE beneficiary_id = ANY (p_holders) AND state IN ${IN_USE} ORDER BY id FOR UPDATE;
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT NULL, 'system', NULL, 'card.data_changed', 'card', c.id::text, c.organisme_code,
         jsonb_build_object('serial', lpad(c.serial::text, 12, '0'), 'recordType', w.out_record_type, 'version', w.out_version, 'source', 'register')
    FROM (SELECT array_agg(x.id ORDER BY x.id) AS ids, count(*)::int AS n, array_agg(x.content ORDER BY x.id) AS contents
            FROM (SELECT c.id, chip_dependants_record(c.beneficiary_id) AS content,
                         EXISTS (SELECT 1 FROM card_data_record r WHERE r.card_id = c.id AND r.record_type = 'dependants') AS had
                    FROM card c
                   WHERE c.beneficiary_id = ANY (p_holders) AND c.state IN ${IN_USE}
                     AND EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id)) x
           WHERE x.had OR x.content <> '[]'::jsonb) y
   CROSS JOIN LATERAL card_data_write(y.ids, array_fill('dependants'::varchar, ARRAY[y.n]), y.contents) w
    JOIN card c ON c.id = w.out_card_id
   WHERE y.n > 0;
END $$`);

        // Any attachment write: the cards of every parent it names (before and after an update).
        await queryRunner.query(`CREATE FUNCTION attachment_chip_dependants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM chip_dependants_refresh(ARRAY(SELECT DISTINCT parent_id FROM new_attachments));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM chip_dependants_refresh(ARRAY(SELECT DISTINCT parent_id FROM old_attachments));
  ELSE
    PERFORM chip_dependants_refresh(ARRAY(SELECT parent_id FROM new_attachments UNION SELECT parent_id FROM old_attachments));
  END IF;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER attachment_chip_dependants_insert AFTER INSERT ON "attachment" REFERENCING NEW TABLE AS new_attachments
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_chip_dependants()`);
        await queryRunner.query(`CREATE TRIGGER attachment_chip_dependants_update AFTER UPDATE ON "attachment" REFERENCING OLD TABLE AS old_attachments NEW TABLE AS new_attachments
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_chip_dependants()`);
        await queryRunner.query(`CREATE TRIGGER attachment_chip_dependants_delete AFTER DELETE ON "attachment" REFERENCING OLD TABLE AS old_attachments
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_chip_dependants()`);

        // A dependant's NIR or civil status changes: the cards of their parents.
        await queryRunner.query(`CREATE FUNCTION beneficiary_chip_dependants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chip_dependants_refresh(ARRAY(
    SELECT DISTINCT a.parent_id
      FROM new_beneficiaries nb
      JOIN old_beneficiaries ob ON ob.id = nb.id
      JOIN attachment a ON a.dependant_id = nb.id
     WHERE (nb.nir, nb.first_name, nb.birth_name, nb.usage_name, nb.birth_date, nb.birth_rank)
           IS DISTINCT FROM (ob.nir, ob.first_name, ob.birth_name, ob.usage_name, ob.birth_date, ob.birth_rank)));
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER beneficiary_chip_dependants AFTER UPDATE ON "beneficiary" REFERENCING OLD TABLE AS old_beneficiaries NEW TABLE AS new_beneficiaries
  FOR EACH STATEMENT EXECUTE FUNCTION beneficiary_chip_dependants()`);

        // A card's keys are recorded (the vendor's return file): from now on it can carry the family.
        await queryRunner.query(`CREATE FUNCTION card_key_chip_dependants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chip_dependants_refresh(ARRAY(
    SELECT DISTINCT c.beneficiary_id FROM new_keys k JOIN card c ON c.id = k.card_id
     WHERE EXISTS (SELECT 1 FROM attachment a WHERE a.parent_id = c.beneficiary_id)));
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_key_chip_dependants AFTER INSERT ON "card_key" REFERENCING NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION card_key_chip_dependants()`);

        // A card back in use (an opposition withdrawn...): the family, if it drifted meanwhile.
        await queryRunner.query(`CREATE FUNCTION card_chip_dependants_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chip_dependants_refresh(ARRAY[NEW.beneficiary_id]);
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_chip_dependants_follow AFTER UPDATE OF state ON "card" FOR EACH ROW
  WHEN (NEW.state IN ${IN_USE} AND OLD.state NOT IN ${IN_USE})
  EXECUTE FUNCTION card_chip_dependants_follow()`);

        // A young person's own card becomes active: they leave their parents' cards and are insured in their own right.
        await queryRunner.query(`CREATE FUNCTION card_own_card_ends_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only the card of a dependant (attached now or later): anyone else's card changes nothing here.
  IF NOT EXISTS (SELECT 1 FROM attachment a WHERE a.dependant_id = NEW.beneficiary_id AND (a.valid_to IS NULL OR a.valid_to > current_date)) THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT NULL, 'system', NULL, 'attachment.ended', 'beneficiary', a.dependant_id::text, NEW.organisme_code,
         jsonb_build_object('attachmentId', a.id::text, 'parentId', a.parent_id, 'reason', 'own_card_active',
                            'serial', lpad(NEW.serial::text, 12, '0'))
    FROM attachment a
   WHERE a.dependant_id = NEW.beneficiary_id AND (a.valid_to IS NULL OR a.valid_to > current_date);
  DELETE FROM attachment WHERE dependant_id = NEW.beneficiary_id AND valid_from >= current_date;
  UPDATE attachment SET valid_to = current_date, updated_at = now()
   WHERE dependant_id = NEW.beneficiary_id AND valid_from < current_date AND (valid_to IS NULL OR valid_to > current_date);
  INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from)
  SELECT NEW.beneficiary_id, NEW.organisme_code, current_date
   WHERE NOT EXISTS (SELECT 1 FROM affiliation f WHERE f.beneficiary_id = NEW.beneficiary_id AND (f.valid_to IS NULL OR f.valid_to > current_date));
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_own_card_ends_attachments AFTER UPDATE OF state ON "card" FOR EACH ROW
  WHEN (NEW.state = 'active' AND OLD.state <> 'active') EXECUTE FUNCTION card_own_card_ends_attachments()`);
        await queryRunner.query(`CREATE TRIGGER card_own_card_ends_attachments_at_insert AFTER INSERT ON "card" FOR EACH ROW
  WHEN (NEW.state = 'active') EXECUTE FUNCTION card_own_card_ends_attachments()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER card_own_card_ends_attachments_at_insert ON "card"`);
        await queryRunner.query(`DROP TRIGGER card_own_card_ends_attachments ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_own_card_ends_attachments()`);
        await queryRunner.query(`DROP TRIGGER card_chip_dependants_follow ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_chip_dependants_follow()`);
        await queryRunner.query(`DROP TRIGGER card_key_chip_dependants ON "card_key"`);
        await queryRunner.query(`DROP FUNCTION card_key_chip_dependants()`);
        await queryRunner.query(`DROP TRIGGER beneficiary_chip_dependants ON "beneficiary"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_chip_dependants()`);
        await queryRunner.query(`DROP TRIGGER attachment_chip_dependants_delete ON "attachment"`);
        await queryRunner.query(`DROP TRIGGER attachment_chip_dependants_update ON "attachment"`);
        await queryRunner.query(`DROP TRIGGER attachment_chip_dependants_insert ON "attachment"`);
        await queryRunner.query(`DROP FUNCTION attachment_chip_dependants()`);
        await queryRunner.query(`DROP FUNCTION chip_dependants_refresh(uuid[])`);
        await queryRunner.query(`DROP FUNCTION chip_dependants_record(uuid)`);
    }

}

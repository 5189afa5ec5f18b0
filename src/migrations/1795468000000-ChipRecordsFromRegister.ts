import { MigrationInterface, QueryRunner } from "typeorm";

/** Card states whose chip records follow the register (the cards still in use, as mutations move them). */
const IN_USE = `('ordered', 'in_personalisation', 'shipped', 'active', 'returned_undeliverable')`;

/**
 * Hand-written: the chip's identity and organisme records come from the register, never from a fund.
 *
 * - chip_identity_record / chip_organisme_record: the canonical content of the two records (the shape
 *   src/update/card-records.ts documents; a test holds them equal).
 * - card_data_write: THE versioned write of whole records, for many cards at once (funds' records too): a record
 *   whose content changed takes the card's target version + 1 (+ 2 ... for a card's next records), and the target
 *   follows. Writers of a card queue on its row lock, like the kiosk's exchange issue.
 * - A new card in use is issued with its identity (version data_version + 1) and organisme (+ 2) records, and its
 *   confirmed version is raised to match: the vendor personalises the chip with exactly that data.
 * - Every register change rewrites them, in the same transaction, whoever makes it (REST, bulk import, NIR change,
 *   mutation, regime transfer, an operator's SQL): a beneficiary's NIR or civil status changes → identity of each of
 *   their cards in use; a card's managing organisme changes → organisme; a card back in use after an opposition
 *   withdrawn → both, if they drifted meanwhile. Each rewrite is audited `card.data_changed` (source `register`).
 * - Existing cards in use get the register's content now (a pending update where it was missing or differed).
 */
export class ChipRecordsFromRegister1795468000000 implements MigrationInterface {
    name = 'ChipRecordsFromRegister1795468000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION chip_identity_record(p_nir char, p_first_name varchar, p_birth_name varchar, p_usage_name varchar, p_birth_date date, p_birth_rank smallint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('nir', p_nir::text, 'firstName', p_first_name, 'birthName', p_birth_name, 'usageName', p_usage_name,
                            'birthDate', to_char(p_birth_date, 'YYYY-MM-DD'), 'birthRank', p_birth_rank::int)
$$`);
        await queryRunner.query(`CREATE FUNCTION chip_organisme_record(p_code char) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('code', p_code::text, 'regimeCode', substr(p_code, 1, 2), 'caisseCode', substr(p_code, 3, 3), 'centreCode', substr(p_code, 6, 4))
$$`);
        await queryRunner.query(`CREATE FUNCTION card_data_write(p_cards uuid[], p_types varchar[], p_contents jsonb[])
RETURNS TABLE (out_card_id uuid, out_record_type varchar, out_version integer) LANGUAGE plpgsql AS $$
BEGIN
  -- Lock first, then read the versions in a statement of its own: it sees what a writer that held the lock committed.
  PERFORM 1 FROM card WHERE id = ANY (p_cards) ORDER BY id FOR UPDATE;
  RETURN QUERY
  WITH input AS (
    SELECT x.card_id, x.record_type, x.content, x.ord
      FROM unnest(p_cards, p_types, p_contents) WITH ORDINALITY AS x(card_id, record_type, content, ord)
  ), changed AS (
    SELECT i.* FROM input i
      LEFT JOIN card_data_record r ON r.card_id = i.card_id AND r.record_type = i.record_type
     WHERE r.card_id IS NULL OR r.content IS DISTINCT FROM i.content
  ), numbered AS (
    SELECT ch.card_id, ch.record_type, ch.content,
           (coalesce(u.target_version, 0) + row_number() OVER (PARTITION BY ch.card_id ORDER BY ch.ord))::int AS version
      FROM changed ch LEFT JOIN card_update_state u ON u.card_id = ch.card_id
  ), written AS (
    INSERT INTO card_data_record AS r (card_id, record_type, content, version)
    SELECT n.card_id, n.record_type, n.content, n.version FROM numbered n
    ON CONFLICT (card_id, record_type) DO UPDATE SET content = excluded.content, version = excluded.version, updated_at = now()
    RETURNING r.card_id, r.record_type, r.version
  ), target AS (
    INSERT INTO card_update_state AS s (card_id, target_version)
    SELECT n.card_id, max(n.version) FROM numbered n GROUP BY n.card_id
    ON CONFLICT (card_id) DO UPDATE SET target_version = excluded.target_version
  )
  SELECT w.card_id, w.record_type, w.version FROM written w;
END $$`);

        // Issue: the confirmed version covers the two records the vendor writes at personalisation.
        await queryRunner.query(`CREATE FUNCTION card_chip_version_at_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IN ${IN_USE} THEN NEW.data_version := NEW.data_version + 2; END IF;
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_chip_version_at_issue BEFORE INSERT ON "card" FOR EACH ROW EXECUTE FUNCTION card_chip_version_at_issue()`);
        await queryRunner.query(`CREATE FUNCTION card_chip_records_at_issue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO card_data_record (card_id, record_type, content, version)
  SELECT n.id, t.record_type,
         CASE t.record_type WHEN 'identity' THEN chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank)
                            ELSE chip_organisme_record(n.organisme_code) END,
         n.data_version - t.back
    FROM new_cards n JOIN beneficiary b ON b.id = n.beneficiary_id
   CROSS JOIN (VALUES ('identity', 1), ('organisme', 0)) AS t(record_type, back)
   WHERE n.state IN ${IN_USE};
  INSERT INTO card_update_state (card_id, target_version) SELECT n.id, n.data_version FROM new_cards n WHERE n.state IN ${IN_USE};
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_chip_records_at_issue AFTER INSERT ON "card" REFERENCING NEW TABLE AS new_cards FOR EACH STATEMENT EXECUTE FUNCTION card_chip_records_at_issue()`);

        // A card changes managing organisme (mutation, regime transfer) or comes back in use: both records from the register.
        await queryRunner.query(`CREATE FUNCTION card_chip_records_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT NULL, 'system', NULL, 'card.data_changed', 'card', NEW.id::text, NEW.organisme_code,
         jsonb_build_object('serial', lpad(NEW.serial::text, 12, '0'), 'recordType', w.out_record_type, 'version', w.out_version, 'source', 'register')
    FROM beneficiary b
   CROSS JOIN LATERAL card_data_write(ARRAY[NEW.id, NEW.id], ARRAY['identity', 'organisme']::varchar[],
         ARRAY[chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank), chip_organisme_record(NEW.organisme_code)]) w
   WHERE b.id = NEW.beneficiary_id;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_chip_records_follow AFTER UPDATE OF organisme_code, state ON "card" FOR EACH ROW
  WHEN (NEW.state IN ${IN_USE} AND (OLD.organisme_code IS DISTINCT FROM NEW.organisme_code OR OLD.state NOT IN ${IN_USE}))
  EXECUTE FUNCTION card_chip_records_follow()`);

        // A beneficiary's NIR or civil status changes: the identity record of each of their cards in use.
        await queryRunner.query(`CREATE FUNCTION beneficiary_chip_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT NULL, 'system', NULL, 'card.data_changed', 'card', c.id::text, c.organisme_code,
         jsonb_build_object('serial', lpad(c.serial::text, 12, '0'), 'recordType', w.out_record_type, 'version', w.out_version, 'source', 'register')
    FROM (SELECT array_agg(c.id ORDER BY c.id) AS ids, count(*)::int AS n,
                 array_agg(chip_identity_record(nb.nir, nb.first_name, nb.birth_name, nb.usage_name, nb.birth_date, nb.birth_rank) ORDER BY c.id) AS contents
            FROM new_beneficiaries nb
            JOIN old_beneficiaries ob ON ob.id = nb.id
            JOIN card c ON c.beneficiary_id = nb.id AND c.state IN ${IN_USE}
           WHERE (nb.nir, nb.first_name, nb.birth_name, nb.usage_name, nb.birth_date, nb.birth_rank)
                 IS DISTINCT FROM (ob.nir, ob.first_name, ob.birth_name, ob.usage_name, ob.birth_date, ob.birth_rank)) x
   CROSS JOIN LATERAL card_data_write(x.ids, array_fill('identity'::varchar, ARRAY[x.n]), x.contents) w
    JOIN card c ON c.id = w.out_card_id;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER beneficiary_chip_identity AFTER UPDATE ON "beneficiary" REFERENCING OLD TABLE AS old_beneficiaries NEW TABLE AS new_beneficiaries
  FOR EACH STATEMENT EXECUTE FUNCTION beneficiary_chip_identity()`);

        // Cards already in use: the register's content, by chunks (a pending update where a record was missing or differed).
        await queryRunner.query(`DO $$
DECLARE
  last_id uuid := '00000000-0000-0000-0000-000000000000';
  ids uuid[];
BEGIN
  LOOP
    SELECT array_agg(id ORDER BY id) INTO ids FROM (SELECT id FROM card WHERE id > last_id AND state IN ${IN_USE} ORDER BY id LIMIT 10000) s;
    EXIT WHEN ids IS NULL;
    PERFORM count(*) FROM (
      SELECT array_agg(c.id ORDER BY c.id, t.ord) AS cards, array_agg(t.record_type ORDER BY c.id, t.ord) AS types,
             array_agg(CASE t.record_type WHEN 'identity' THEN chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank)
                                          ELSE chip_organisme_record(c.organisme_code) END ORDER BY c.id, t.ord) AS contents
        FROM card c JOIN beneficiary b ON b.id = c.beneficiary_id
       CROSS JOIN (VALUES ('identity'::varchar, 1), ('organisme'::varchar, 2)) AS t(record_type, ord)
       WHERE c.id = ANY (ids)) a
     CROSS JOIN LATERAL card_data_write(a.cards, a.types, a.contents);
    last_id := ids[array_length(ids, 1)];
  END LOOP;
END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER beneficiary_chip_identity ON "beneficiary"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_chip_identity()`);
        await queryRunner.query(`DROP TRIGGER card_chip_records_follow ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_chip_records_follow()`);
        await queryRunner.query(`DROP TRIGGER card_chip_records_at_issue ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_chip_records_at_issue()`);
        await queryRunner.query(`DROP TRIGGER card_chip_version_at_issue ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_chip_version_at_issue()`);
        await queryRunner.query(`DROP FUNCTION card_data_write(uuid[], varchar[], jsonb[])`);
        await queryRunner.query(`DROP FUNCTION chip_organisme_record(char)`);
        await queryRunner.query(`DROP FUNCTION chip_identity_record(char, varchar, varchar, varchar, date, smallint)`);
    }

}

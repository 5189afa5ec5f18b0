import { MigrationInterface, QueryRunner } from "typeorm";

/** Card states whose chip records follow the register (as in migration ChipRecordsFromRegister). */
const IN_USE = `('ordered', 'in_personalisation', 'shipped', 'active', 'returned_undeliverable')`;

const DEPENDANT_ENTRY = `jsonb_build_object(
           'identity', chip_identity_record(b.nir, b.first_name, b.birth_name, b.usage_name, b.birth_date, b.birth_rank),
           'coverage', a.coverage, 'aldPeriods', a.ald_periods,
           'attachedFrom', to_char(a.valid_from, 'YYYY-MM-DD'), 'attachedTo', to_char(a.valid_to, 'YYYY-MM-DD'))`;

/**
 * Hand-written: the chip's `dependants` record written for many holders in one pass (the content unchanged from
 * migration DependantsChipRecord).
 *
 * - The exclusion constraint `attachment_once_per_parent` (same rule, same name) is keyed on the pair as one text
 *   expression instead of two uuid columns. Its GiST index led by `dependant_id` was what the planner took for every
 *   lookup by `parent_id` (the record, the family rules, the per-card limit): estimated like the btree
 *   `attachment_by_parent`, but a GiST search on its second column visits most of the index (1,456 pages for 2 rows
 *   at 390,000 attachments, 8 ms instead of 0.03). Keyed on an expression, no plain column lookup can use it.
 * - chip_dependants_records(holders): the record's content for every holder given that has a current attachment, in
 *   one statement (attachments by `attachment_by_parent`, grouped by parent); chip_dependants_record(holder) is that
 *   function for one holder, so the canonical content has one definition.
 * - chip_dependants_refresh(holders): the contents of all the holders' keyed cards in use joined in one statement,
 *   each computed once (it was computed twice per card, in the filter and the select list, by a per-row call), and
 *   whether the card already had the record by its key, not by a scan of card_data_record; then the one versioned
 *   write (card_data_write) and the audit entries as before, each with the serial and organisme of the card as read
 *   in that statement.
 */
export class DependantsRecordSetBased1795537000000 implements MigrationInterface {
    name = 'DependantsRecordSetBased1795537000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "attachment" DROP CONSTRAINT "attachment_once_per_parent"`);
        await queryRunner.query(`ALTER TABLE "attachment" ADD CONSTRAINT "attachment_once_per_parent"
  EXCLUDE USING gist (("dependant_id"::text || "parent_id"::text) WITH =, daterange("valid_from", "valid_to", '[)') WITH &&)`);

        await queryRunner.query(`CREATE FUNCTION chip_dependants_records(p_holders uuid[]) RETURNS TABLE (holder uuid, content jsonb)
LANGUAGE sql STABLE AS $$
  SELECT a.parent_id, jsonb_agg(${DEPENDANT_ENTRY} ORDER BY b.birth_date, b.birth_rank, a.valid_from, b.id)
    FROM attachment a JOIN beneficiary b ON b.id = a.dependant_id
   WHERE a.parent_id = ANY (p_holders) AND (a.valid_to IS NULL OR a.valid_to > current_date)
   GROUP BY a.parent_id
$$`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION chip_dependants_record(p_holder uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT r.content FROM chip_dependants_records(ARRAY[p_holder]) r), '[]'::jsonb)
$$`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION chip_dependants_refresh(p_holders uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(p_holders), 0) = 0 THEN RETURN; END IF;
  -- Lock the cards first, then read the family in statements of their own: they see what an earlier writer committed.
  PERFORM 1 FROM card WHERE beneficiary_id = ANY (p_holders) AND state IN ${IN_USE} ORDER BY id FOR UPDATE;
  -- The audit entries take the card's serial and organisme from the cards read here (locked above): joining the
  -- write's output back to card was planned for its default 1,000 rows, a scan of every card for one holder.
  WITH x AS MATERIALIZED (
    SELECT c.id, c.serial, c.organisme_code, coalesce(f.content, '[]'::jsonb) AS content, r.card_id IS NOT NULL AS had
      FROM card c
      LEFT JOIN chip_dependants_records(p_holders) f ON f.holder = c.beneficiary_id
      LEFT JOIN card_data_record r ON r.card_id = c.id AND r.record_type = 'dependants'
     WHERE c.beneficiary_id = ANY (p_holders) AND c.state IN ${IN_USE}
       AND EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id)
  ), y AS (
    SELECT array_agg(x.id ORDER BY x.id) AS ids, count(*)::int AS n, array_agg(x.content ORDER BY x.id) AS contents
      FROM x WHERE x.had OR x.content <> '[]'::jsonb
  )
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT NULL, 'system', NULL, 'card.data_changed', 'card', x.id::text, x.organisme_code,
         jsonb_build_object('serial', lpad(x.serial::text, 12, '0'), 'recordType', w.out_record_type, 'version', w.out_version, 'source', 'register')
    FROM y
   CROSS JOIN LATERAL card_data_write(y.ids, array_fill('dependants'::varchar, ARRAY[y.n]), y.contents) w
    JOIN x ON x.id = w.out_card_id
   WHERE y.n > 0;
END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE OR REPLACE FUNCTION chip_dependants_refresh(p_holders uuid[]) RETURNS void LANGUAGE plpgsql AS $$
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
        await queryRunner.query(`CREATE OR REPLACE FUNCTION chip_dependants_record(p_holder uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(${DEPENDANT_ENTRY}
         ORDER BY b.birth_date, b.birth_rank, a.valid_from, b.id), '[]'::jsonb)
    FROM attachment a JOIN beneficiary b ON b.id = a.dependant_id
   WHERE a.parent_id = p_holder AND (a.valid_to IS NULL OR a.valid_to > current_date)
$$`);
        await queryRunner.query(`DROP FUNCTION chip_dependants_records(uuid[])`);
        await queryRunner.query(`ALTER TABLE "attachment" DROP CONSTRAINT "attachment_once_per_parent"`);
        await queryRunner.query(`ALTER TABLE "attachment" ADD CONSTRAINT "attachment_once_per_parent"
  EXCLUDE USING gist ("dependant_id" WITH =, "parent_id" WITH =, daterange("valid_from", "valid_to", '[)') WITH &&)`);
    }

}

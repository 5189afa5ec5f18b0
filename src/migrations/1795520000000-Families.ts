import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: families in the register (children carried on their parents' cards).
 *
 * An attachment ("rattachement") says that a dependant (a beneficiary, usually a child under 16 with no card of its
 * own) is carried, over a period, on the cards of one insured parent. The parent's fund manages it, and writes on it
 * the dependant's own rights as that parent's regime covers them (coverage codes and ALD periods, the shapes of the
 * `coverage` and `ald_periods` chip records). The family rules live here, not only in code:
 * - a person is never attached to themself (attachment_not_self), periods are ordered (attachment_period);
 * - the same child is never attached twice to the same parent over overlapping periods (attachment_once_per_parent);
 * - a dependant has at most two parents at any time (attachment_two_parents), a parent is never a dependant and a
 *   dependant is never a parent over overlapping periods (attachment_parent_is_dependant,
 *   attachment_dependant_is_parent): checked once per statement by a trigger that first locks every person of the
 *   new rows in id order, so two concurrent attachments of one family queue and the second sees the first (READ
 *   COMMITTED: each statement of the trigger reads what committed before it).
 */
export class Families1795520000000 implements MigrationInterface {
    name = 'Families1795520000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "attachment" (
            "id" BIGSERIAL NOT NULL,
            "dependant_id" uuid NOT NULL,
            "parent_id" uuid NOT NULL,
            "valid_from" date NOT NULL,
            "valid_to" date,
            "coverage" jsonb NOT NULL DEFAULT '[]',
            "ald_periods" jsonb NOT NULL DEFAULT '[]',
            "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            CONSTRAINT "PK_attachment" PRIMARY KEY ("id"),
            CONSTRAINT "attachment_not_self" CHECK ("dependant_id" <> "parent_id"),
            CONSTRAINT "attachment_period" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from"),
            CONSTRAINT "attachment_rights_shape" CHECK (jsonb_typeof("coverage") = 'array' AND jsonb_typeof("ald_periods") = 'array'),
            CONSTRAINT "attachment_once_per_parent" EXCLUDE USING gist ("dependant_id" WITH =, "parent_id" WITH =, daterange("valid_from", "valid_to", '[)') WITH &&),
            CONSTRAINT "FK_attachment_dependant" FOREIGN KEY ("dependant_id") REFERENCES "beneficiary"("id") ON DELETE CASCADE,
            CONSTRAINT "FK_attachment_parent" FOREIGN KEY ("parent_id") REFERENCES "beneficiary"("id") ON DELETE RESTRICT)`);
        await queryRunner.query(`CREATE INDEX "attachment_by_dependant" ON "attachment" ("dependant_id")`);
        await queryRunner.query(`CREATE INDEX "attachment_by_parent" ON "attachment" ("parent_id")`);
        // One check per statement (transition tables), not per row: a bulk import or a seed of a million attachments
        // is one pass over the new rows joined to the table, where a row trigger's cached plan re-read it row by row.
        await queryRunner.query(`CREATE FUNCTION attachment_family_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM beneficiary
   WHERE id IN (SELECT dependant_id FROM new_rows UNION SELECT parent_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  IF EXISTS (SELECT 1 FROM new_rows n
               JOIN attachment a ON a.dependant_id = n.dependant_id
                AND daterange(a.valid_from, a.valid_to, '[)') && daterange(n.valid_from, n.valid_to, '[)')
              GROUP BY n.id HAVING count(DISTINCT a.parent_id) > 2) THEN
    RAISE EXCEPTION 'a dependant has at most two parents at a time'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'attachment_two_parents', TABLE = 'attachment';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n
               JOIN attachment a ON a.dependant_id = n.parent_id
                AND daterange(a.valid_from, a.valid_to, '[)') && daterange(n.valid_from, n.valid_to, '[)')) THEN
    RAISE EXCEPTION 'a dependant cannot be a parent over the same period'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'attachment_parent_is_dependant', TABLE = 'attachment';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n
               JOIN attachment a ON a.parent_id = n.dependant_id
                AND daterange(a.valid_from, a.valid_to, '[)') && daterange(n.valid_from, n.valid_to, '[)')) THEN
    RAISE EXCEPTION 'a parent cannot be a dependant over the same period'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'attachment_dependant_is_parent', TABLE = 'attachment';
  END IF;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER attachment_family_rules AFTER INSERT ON "attachment" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_family_rules()`);
        await queryRunner.query(`CREATE TRIGGER attachment_family_rules_changed AFTER UPDATE ON "attachment" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_family_rules()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER attachment_family_rules_changed ON "attachment"`);
        await queryRunner.query(`DROP TRIGGER attachment_family_rules ON "attachment"`);
        await queryRunner.query(`DROP FUNCTION attachment_family_rules()`);
        await queryRunner.query(`DROP TABLE "attachment"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: a newborn may enter the register before INSEE gives it a NIR (families, births).
 *
 * `beneficiary.nir` becomes nullable, for dependants only: a person without NIR has no affiliation of their own and no
 * card, and the database says so whoever writes (a check_violation naming the rule):
 * - affiliation_needs_nir: an affiliation is refused for a beneficiary without NIR;
 * - card_needs_nir: a card is refused for a beneficiary without NIR;
 * - beneficiary_nir_kept: a NIR is never taken away from a beneficiary (set once, then only changed);
 * - beneficiary_nir_temporary: "temporary" describes a NIR, so a person without one is not temporary.
 * The affiliation and card checks take no lock (a NIR once set is never taken away, so a holder seen with one keeps
 * it) and run once per INSERT statement; an unknown beneficiary is left to the foreign keys.
 * The unique index on nir keeps working (NULLs are distinct).
 */
export class DependantsWithoutNir1795521000000 implements MigrationInterface {
    name = 'DependantsWithoutNir1795521000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "beneficiary" ALTER COLUMN "nir" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "beneficiary" ADD CONSTRAINT "beneficiary_nir_temporary" CHECK (nir IS NOT NULL OR NOT nir_temporary)`);
        // The same for the rare row moved to another beneficiary (no transition table: UPDATE OF a column list).
        await queryRunner.query(`CREATE FUNCTION beneficiary_row_has_nir() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM beneficiary b WHERE b.id = NEW.beneficiary_id AND b.nir IS NULL) THEN
    RAISE EXCEPTION 'a beneficiary without NIR has no affiliation and no card'
      USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$`);
        // A NIR is never taken away (beneficiary_nir_kept below): one seen here stays, so no row lock is needed, and
        // the check is one statement per INSERT (the emission chain inserts thousands of cards at once; a row trigger
        // reading and locking each holder's row cost a write per card). An unknown beneficiary is left to the foreign key.
        await queryRunner.query(`CREATE FUNCTION beneficiary_has_nir() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n JOIN beneficiary b ON b.id = n.beneficiary_id WHERE b.nir IS NULL) THEN
    RAISE EXCEPTION 'a beneficiary without NIR has no affiliation and no card'
      USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER affiliation_needs_nir AFTER INSERT ON "affiliation" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION beneficiary_has_nir('affiliation_needs_nir')`);
        await queryRunner.query(`CREATE TRIGGER affiliation_moved_needs_nir AFTER UPDATE OF beneficiary_id ON "affiliation"
  FOR EACH ROW WHEN (OLD.beneficiary_id IS DISTINCT FROM NEW.beneficiary_id) EXECUTE FUNCTION beneficiary_row_has_nir('affiliation_needs_nir')`);
        await queryRunner.query(`CREATE TRIGGER card_needs_nir AFTER INSERT ON "card" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION beneficiary_has_nir('card_needs_nir')`);
        await queryRunner.query(`CREATE TRIGGER card_moved_needs_nir AFTER UPDATE OF beneficiary_id ON "card"
  FOR EACH ROW WHEN (OLD.beneficiary_id IS DISTINCT FROM NEW.beneficiary_id) EXECUTE FUNCTION beneficiary_row_has_nir('card_needs_nir')`);
        await queryRunner.query(`CREATE FUNCTION beneficiary_nir_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a NIR is never taken away from a beneficiary'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'beneficiary_nir_kept', TABLE = 'beneficiary';
END $$`);
        await queryRunner.query(`CREATE TRIGGER beneficiary_nir_kept BEFORE UPDATE OF nir ON "beneficiary"
  FOR EACH ROW WHEN (OLD.nir IS NOT NULL AND NEW.nir IS NULL) EXECUTE FUNCTION beneficiary_nir_kept()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER beneficiary_nir_kept ON "beneficiary"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_nir_kept()`);
        await queryRunner.query(`DROP TRIGGER card_moved_needs_nir ON "card"`);
        await queryRunner.query(`DROP TRIGGER card_needs_nir ON "card"`);
        await queryRunner.query(`DROP TRIGGER affiliation_moved_needs_nir ON "affiliation"`);
        await queryRunner.query(`DROP TRIGGER affiliation_needs_nir ON "affiliation"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_has_nir()`);
        await queryRunner.query(`DROP FUNCTION beneficiary_row_has_nir()`);
        await queryRunner.query(`ALTER TABLE "beneficiary" DROP CONSTRAINT "beneficiary_nir_temporary"`);
        await queryRunner.query(`ALTER TABLE "beneficiary" ALTER COLUMN "nir" SET NOT NULL`);
    }

}

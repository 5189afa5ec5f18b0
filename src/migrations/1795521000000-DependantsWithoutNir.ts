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
 * The affiliation and card triggers read the beneficiary's row FOR SHARE, so a NIR being set meanwhile is waited for;
 * an unknown beneficiary is left to the foreign keys.
 * The unique index on nir keeps working (NULLs are distinct).
 */
export class DependantsWithoutNir1795521000000 implements MigrationInterface {
    name = 'DependantsWithoutNir1795521000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "beneficiary" ALTER COLUMN "nir" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "beneficiary" ADD CONSTRAINT "beneficiary_nir_temporary" CHECK (nir IS NOT NULL OR NOT nir_temporary)`);
        await queryRunner.query(`CREATE FUNCTION beneficiary_has_nir() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- An unknown beneficiary is left to the foreign key (its own error); a NIR being set meanwhile is waited for.
  PERFORM 1 FROM beneficiary WHERE id = NEW.beneficiary_id AND nir IS NULL FOR SHARE;
  IF FOUND THEN
    RAISE EXCEPTION 'a beneficiary without NIR has no affiliation and no card'
      USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER affiliation_needs_nir BEFORE INSERT OR UPDATE OF beneficiary_id ON "affiliation"
  FOR EACH ROW EXECUTE FUNCTION beneficiary_has_nir('affiliation_needs_nir')`);
        await queryRunner.query(`CREATE TRIGGER card_needs_nir BEFORE INSERT OR UPDATE OF beneficiary_id ON "card"
  FOR EACH ROW EXECUTE FUNCTION beneficiary_has_nir('card_needs_nir')`);
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
        await queryRunner.query(`DROP TRIGGER card_needs_nir ON "card"`);
        await queryRunner.query(`DROP TRIGGER affiliation_needs_nir ON "affiliation"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_has_nir()`);
        await queryRunner.query(`ALTER TABLE "beneficiary" DROP CONSTRAINT "beneficiary_nir_temporary"`);
        await queryRunner.query(`ALTER TABLE "beneficiary" ALTER COLUMN "nir" SET NOT NULL`);
    }

}

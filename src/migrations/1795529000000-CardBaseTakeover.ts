import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Taking over a card base (issue 14), the part every step of it shares:
 *
 * - `card.origin`: `issued` (made by this system's chain) or `imported` (taken over from the system it replaces).
 * - `card.generation`: 1 = a card without photo (first generation), 2 = with photo. Every card this system issues
 *   carries a photo.
 * - `card.beneficiary_id` may be null for an imported card only: a holder the register does not know is kept and
 *   flagged (the imported card's side row keeps the NIR it named), never dropped, and linked when the register
 *   learns the person.
 * - `card.awaiting_reconciliation`: an imported card not yet reconciled. The legacy base holds people with several
 *   usable cards; "one usable card per holder" (`card_one_usable_per_beneficiary`) now covers every card but those,
 *   and reconciliation is what brings them under it: it keeps one card per person (clearing the flag, the index
 *   then holds it) and opposes the others.
 * - the opposition reason `surplus`: a usable card opposed because its holder holds another one.
 * - `beneficiary.died_on`: the register learns dates of death.
 * - `imported_card`: what the taken-over base said of an imported card beyond the card row (issue and last update
 *   dates, dependants carried, and the holder's NIR only when the register does not know the holder).
 * - `beneficiary_nir_history`: each NIR a person was known by before a NIR change (a temporary NIR replaced by the
 *   definitive one, or a correction), written by the database whoever changes the NIR; it links a card of the old
 *   base made under the old NIR to the person.
 */
export class CardBaseTakeover1795529000000 implements MigrationInterface {
    name = 'CardBaseTakeover1795529000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TYPE "public"."opposition_reason" ADD VALUE IF NOT EXISTS 'surplus'`);
        await queryRunner.query(`CREATE TYPE "public"."card_origin" AS ENUM('issued', 'imported')`);
        await queryRunner.query(`ALTER TABLE "card" ADD "origin" "public"."card_origin" NOT NULL DEFAULT 'issued'`);
        await queryRunner.query(`ALTER TABLE "card" ADD "generation" smallint NOT NULL DEFAULT '2'`);
        await queryRunner.query(`ALTER TABLE "card" ADD "awaiting_reconciliation" boolean NOT NULL DEFAULT false`);
        await queryRunner.query(`ALTER TABLE "card" ALTER COLUMN "beneficiary_id" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "card_generation" CHECK (generation IN (1, 2))`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "card_holder_known_unless_imported" CHECK (beneficiary_id IS NOT NULL OR origin = 'imported')`);
        await queryRunner.query(`ALTER TABLE "card" ADD CONSTRAINT "card_reconciliation_imported_only" CHECK (NOT awaiting_reconciliation OR origin = 'imported')`);
        await queryRunner.query(`DROP INDEX "public"."card_one_usable_per_beneficiary"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_one_usable_per_beneficiary" ON "card" ("beneficiary_id") WHERE state IN ('shipped', 'active') AND NOT awaiting_reconciliation`);
        await queryRunner.query(`CREATE TABLE "imported_card" ("card_id" uuid NOT NULL, "holder_nir" character(15), "issued_on" date NOT NULL, "last_updated_on" date, "dependants_carried" smallint NOT NULL DEFAULT '0', CONSTRAINT "imported_card_dependants" CHECK (dependants_carried BETWEEN 0 AND 99), CONSTRAINT "PK_imported_card" PRIMARY KEY ("card_id"))`);
        await queryRunner.query(`ALTER TABLE "imported_card" ADD CONSTRAINT "imported_card_card_fk" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "beneficiary" ADD "died_on" date`);
        await queryRunner.query(`CREATE TABLE "beneficiary_nir_history" ("nir" character(15) NOT NULL, "beneficiary_id" uuid NOT NULL, "replaced_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_beneficiary_nir_history" PRIMARY KEY ("nir"))`);
        await queryRunner.query(`CREATE INDEX "beneficiary_nir_history_beneficiary" ON "beneficiary_nir_history" ("beneficiary_id") `);
        await queryRunner.query(`ALTER TABLE "beneficiary_nir_history" ADD CONSTRAINT "beneficiary_nir_history_beneficiary_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "beneficiary"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // Hand-added: the history is the database's, whoever changes a NIR (a NIR-change mutation, a correction).
        await queryRunner.query(`CREATE FUNCTION beneficiary_nir_history_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO beneficiary_nir_history (nir, beneficiary_id) VALUES (OLD.nir, OLD.id)
    ON CONFLICT (nir) DO UPDATE SET beneficiary_id = EXCLUDED.beneficiary_id, replaced_at = now();
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER beneficiary_nir_history_record AFTER UPDATE OF nir ON "beneficiary"
  FOR EACH ROW WHEN (OLD.nir IS NOT NULL AND OLD.nir IS DISTINCT FROM NEW.nir) EXECUTE FUNCTION beneficiary_nir_history_record()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER beneficiary_nir_history_record ON "beneficiary"`);
        await queryRunner.query(`DROP FUNCTION beneficiary_nir_history_record()`);
        await queryRunner.query(`DROP TABLE "beneficiary_nir_history"`);
        await queryRunner.query(`ALTER TABLE "beneficiary" DROP COLUMN "died_on"`);
        await queryRunner.query(`DROP TABLE "imported_card"`);
        await queryRunner.query(`DROP INDEX "public"."card_one_usable_per_beneficiary"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "card_one_usable_per_beneficiary" ON "card" ("beneficiary_id") WHERE state IN ('shipped', 'active')`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "card_reconciliation_imported_only"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "card_holder_known_unless_imported"`);
        await queryRunner.query(`ALTER TABLE "card" DROP CONSTRAINT "card_generation"`);
        await queryRunner.query(`ALTER TABLE "card" ALTER COLUMN "beneficiary_id" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "awaiting_reconciliation"`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "generation"`);
        await queryRunner.query(`ALTER TABLE "card" DROP COLUMN "origin"`);
        await queryRunner.query(`DROP TYPE "public"."card_origin"`);
        // The enum value 'surplus' stays: PostgreSQL cannot drop a value from an enum.
    }

}

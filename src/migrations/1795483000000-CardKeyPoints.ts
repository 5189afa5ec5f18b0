import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A chip public key belongs to one card whatever its role: the unique indexes of card_key refuse a key reported
 * twice as `auth` or twice as `enc`, not one card's `auth` key reported as another card's `enc` key (nor one card
 * reporting the same point for both). card_key_point holds every point once (its primary key is the arbiter, also
 * between two return files ingested at once), filled by a trigger on card_key; the keys of a card never change.
 */
export class CardKeyPoints1795483000000 implements MigrationInterface {
    name = 'CardKeyPoints1795483000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "card_key" ADD CONSTRAINT "card_key_pairs_differ" CHECK (auth_public_key <> enc_public_key)`);
        await queryRunner.query(`CREATE TABLE "card_key_point" ("point" bytea NOT NULL, "card_id" uuid NOT NULL, CONSTRAINT "card_key_point_once" PRIMARY KEY ("point"), CONSTRAINT "card_key_point_card" FOREIGN KEY ("card_id") REFERENCES "card_key"("card_id") ON DELETE CASCADE)`);
        await queryRunner.query(`CREATE INDEX "card_key_point_by_card" ON "card_key_point" ("card_id")`);
        await queryRunner.query(`INSERT INTO "card_key_point" (point, card_id) SELECT auth_public_key, card_id FROM card_key UNION ALL SELECT enc_public_key, card_id FROM card_key`);
        await queryRunner.query(`CREATE FUNCTION card_key_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.auth_public_key IS DISTINCT FROM OLD.auth_public_key OR NEW.enc_public_key IS DISTINCT FROM OLD.enc_public_key THEN
      RAISE EXCEPTION 'a card''s chip keys never change' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  INSERT INTO card_key_point (point, card_id) VALUES (NEW.auth_public_key, NEW.card_id), (NEW.enc_public_key, NEW.card_id);
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER "card_key_points" AFTER INSERT OR UPDATE ON "card_key" FOR EACH ROW EXECUTE FUNCTION card_key_points()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER "card_key_points" ON "card_key"`);
        await queryRunner.query(`DROP FUNCTION card_key_points()`);
        await queryRunner.query(`DROP TABLE "card_key_point"`);
        await queryRunner.query(`ALTER TABLE "card_key" DROP CONSTRAINT "card_key_pairs_differ"`);
    }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Opposition lists: the change log every list is built from, and the produced lists (one number sequence for
 * full and incremental lists, at most one list per kind and period). A trigger on `card` writes a change row
 * whenever a card enters or leaves opposition, in the same transaction, whichever code moved it.
 */
export class OppositionLists1795460000000 implements MigrationInterface {
    name = 'OppositionLists1795460000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "opposition_change" ("id" BIGSERIAL NOT NULL, "serial" bigint NOT NULL, "op" character varying(6) NOT NULL, "reason" "public"."opposition_reason", "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "list_number" integer, CONSTRAINT "opposition_change_op" CHECK (op IN ('add', 'remove')), CONSTRAINT "PK_f039eeaaa88f6212fa794917c09" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "opposition_change_by_list" ON "opposition_change" ("list_number") `);
        await queryRunner.query(`CREATE INDEX "opposition_change_unlisted" ON "opposition_change" ("id") WHERE list_number IS NULL`);
        await queryRunner.query(`CREATE TABLE "opposition_list" ("number" integer NOT NULL, "kind" character varying(12) NOT NULL, "period" character varying(40) NOT NULL, "base_number" integer, "produced_at" TIMESTAMP WITH TIME ZONE NOT NULL, "entry_count" integer NOT NULL, "additions" integer NOT NULL, "removals" integer NOT NULL, "text_sha256" character(64) NOT NULL, "text_bytes" bigint NOT NULL, "text_file" character varying(64) NOT NULL, "text_signature" text NOT NULL, "compact_sha256" character(64) NOT NULL, "compact_bytes" bigint NOT NULL, "compact_file" character varying(64) NOT NULL, "compact_signature" text NOT NULL, "key_id" character varying(16) NOT NULL, CONSTRAINT "opposition_list_once_per_period" UNIQUE ("kind", "period"), CONSTRAINT "opposition_list_kind" CHECK (kind IN ('full', 'incremental')), CONSTRAINT "PK_3a23ad6ced20fda1bb126bc348b" PRIMARY KEY ("number"))`);
        await queryRunner.query(`CREATE FUNCTION card_opposition_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'opposed' AND (TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM 'opposed') THEN
    INSERT INTO opposition_change (serial, op, reason) VALUES (NEW.serial, 'add', NEW.opposition_reason);
  ELSIF TG_OP = 'UPDATE' AND OLD.state = 'opposed' AND NEW.state IS DISTINCT FROM 'opposed' THEN
    INSERT INTO opposition_change (serial, op, reason) VALUES (OLD.serial, 'remove', OLD.opposition_reason);
  END IF;
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER card_opposition_change AFTER INSERT OR UPDATE OF state ON "card" FOR EACH ROW EXECUTE FUNCTION card_opposition_change()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER card_opposition_change ON "card"`);
        await queryRunner.query(`DROP FUNCTION card_opposition_change()`);
        await queryRunner.query(`DROP TABLE "opposition_list"`);
        await queryRunner.query(`DROP INDEX "public"."opposition_change_unlisted"`);
        await queryRunner.query(`DROP INDEX "public"."opposition_change_by_list"`);
        await queryRunner.query(`DROP TABLE "opposition_change"`);
    }
}

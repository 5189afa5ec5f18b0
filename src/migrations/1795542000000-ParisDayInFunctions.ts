import { MigrationInterface, QueryRunner } from "typeorm";

/** Every function of the schema whose body says `current_date`, with its definition as PostgreSQL holds it. */
const FUNCTIONS_SAYING = (word: string) => `SELECT p.oid::regprocedure::text AS name, pg_get_functiondef(p.oid) AS def
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND p.prokind = 'f' AND p.proname <> 'paris_today'
   AND pg_get_functiondef(p.oid) ~* '${word}'`;

/**
 * Hand-written: "today" in the database is the Paris day, as it is in the application (`parisToday()`).
 *
 * The register's functions (an own card ending the child's attachments, the dependants record's current
 * attachments) said `current_date`, the day of the session's time zone: UTC here, so between midnight and 1 or
 * 2 a.m. in Paris an attachment ended "yesterday" and a record kept an attachment that had ended. `paris_today()`
 * is the one definition; every function of the schema that said `current_date` is recreated with it (its body
 * otherwise as PostgreSQL holds it), so none is missed and none is copied here by hand.
 */
export class ParisDayInFunctions1795542000000 implements MigrationInterface {
    name = 'ParisDayInFunctions1795542000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION paris_today() RETURNS date LANGUAGE sql STABLE
  AS $$ SELECT (now() AT TIME ZONE 'Europe/Paris')::date $$`);
        const rows: { name: string; def: string }[] = await queryRunner.query(FUNCTIONS_SAYING('\\mcurrent_date\\M'));
        for (const r of rows) {
            await queryRunner.query(r.def.replace(/\bcurrent_date\b/gi, 'paris_today()'));
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const rows: { name: string; def: string }[] = await queryRunner.query(FUNCTIONS_SAYING('paris_today\\(\\)'));
        for (const r of rows) {
            await queryRunner.query(r.def.replace(/paris_today\(\)/g, 'current_date'));
        }
        await queryRunner.query(`DROP FUNCTION paris_today()`);
    }
}

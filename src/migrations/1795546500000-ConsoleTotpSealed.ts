import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A console agent's TOTP secret is no longer kept in clear (docs/console.md): `totp_sealed` holds it sealed with
 * AES-256-GCM under a key of DATA_DIR/keys (console-totp.key), bound to the agent's id, so the database alone (a
 * backup, a replica, a dump) cannot make an agent's codes. The agents made before keep `totp_secret` until the
 * application's next start seals it and clears it (a key file cannot be read from SQL); exactly one of the two is
 * set. Going down needs every agent's secret in clear again: it refuses while a sealed one exists.
 */
export class ConsoleTotpSealed1795546500000 implements MigrationInterface {
    name = 'ConsoleTotpSealed1795546500000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "console_agent" ADD "totp_sealed" bytea`);
        await queryRunner.query(`ALTER TABLE "console_agent" ALTER COLUMN "totp_secret" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "console_agent" ADD CONSTRAINT "console_agent_totp_once" CHECK ((totp_secret IS NULL) <> (totp_sealed IS NULL))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "console_agent" DROP CONSTRAINT "console_agent_totp_once"`);
        await queryRunner.query(`ALTER TABLE "console_agent" ALTER COLUMN "totp_secret" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "console_agent" DROP COLUMN "totp_sealed"`);
    }
}

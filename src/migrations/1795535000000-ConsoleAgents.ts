import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The console (issue 15): agents who sign in, their sessions, and the agent in the audit trail.
 *
 * - `console_agent`: a person of an operator or fund partner (trigger `console_agent_partner_kind`: no other kind),
 *   login unique, Argon2id password hash, TOTP secret and the last time step accepted, failed attempts and lockout.
 * - `console_session`: a signed-in browser, by a SHA-256 of its token only; absolute and idle expiry, revocation.
 * - `audit_entry.actor_agent_id`: the agent who acted through the console (null for keys, jobs and the CLI).
 */
export class ConsoleAgents1795535000000 implements MigrationInterface {
    name = 'ConsoleAgents1795535000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "console_agent" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" uuid NOT NULL, "login" character varying(64) NOT NULL, "display_name" character varying(120) NOT NULL, "password_hash" character varying(200) NOT NULL, "must_change_password" boolean NOT NULL DEFAULT true, "totp_secret" bytea NOT NULL, "totp_last_step" bigint NOT NULL DEFAULT '0', "failed_attempts" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "disabled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_by_agent_id" uuid, CONSTRAINT "console_agent_failures" CHECK (failed_attempts >= 0), CONSTRAINT "PK_console_agent" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "console_agent_partner" ON "console_agent" ("partner_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "console_agent_login" ON "console_agent" ("login") `);
        await queryRunner.query(`CREATE TABLE "console_session" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" bytea NOT NULL, "agent_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "csrf_token" character varying(64) NOT NULL, CONSTRAINT "PK_console_session" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "console_session_token" ON "console_session" ("token_hash") `);
        await queryRunner.query(`CREATE INDEX "console_session_agent" ON "console_session" ("agent_id") `);
        await queryRunner.query(`ALTER TABLE "audit_entry" ADD "actor_agent_id" uuid`);
        await queryRunner.query(`ALTER TABLE "console_agent" ADD CONSTRAINT "console_agent_partner_fk" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "console_session" ADD CONSTRAINT "console_session_agent_fk" FOREIGN KEY ("agent_id") REFERENCES "console_agent"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // Only operators' and funds' people use the console; the partner's kind never changes, so checking it when
        // the agent is written is enough.
        await queryRunner.query(`CREATE FUNCTION console_agent_partner_kind() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM partner p WHERE p.id = NEW.partner_id AND p.kind IN ('operator', 'fund')) THEN
                RAISE EXCEPTION 'a console agent belongs to an operator or a fund partner' USING ERRCODE = '23514', CONSTRAINT = 'console_agent_partner_kind';
              END IF;
              RETURN NEW;
            END $$`);
        await queryRunner.query(`CREATE TRIGGER console_agent_partner_kind BEFORE INSERT OR UPDATE OF partner_id ON console_agent FOR EACH ROW EXECUTE FUNCTION console_agent_partner_kind()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER console_agent_partner_kind ON console_agent`);
        await queryRunner.query(`DROP FUNCTION console_agent_partner_kind()`);
        await queryRunner.query(`ALTER TABLE "console_session" DROP CONSTRAINT "console_session_agent_fk"`);
        await queryRunner.query(`ALTER TABLE "console_agent" DROP CONSTRAINT "console_agent_partner_fk"`);
        await queryRunner.query(`ALTER TABLE "audit_entry" DROP COLUMN "actor_agent_id"`);
        await queryRunner.query(`DROP TABLE "console_session"`);
        await queryRunner.query(`DROP TABLE "console_agent"`);
    }
}

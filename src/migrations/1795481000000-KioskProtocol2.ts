import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Kiosk protocol 2 (docs/formats/kiosk-protocol-2.md).
 *
 * - `kiosk_exchange.challenge_digest`: the SHA-256 of the challenge whose card proof opened a kiosk/2 exchange
 *   (null for kiosk/1 exchanges). Unique: a challenge opens one exchange at most, whatever the instance or the race.
 * - `api_key_suspension`: keys suspended by the enumeration guard (a kiosk asking about many cards without their
 *   proof), one open suspension per key at most; a key with an open suspension authenticates nowhere. Lifted by an
 *   operator (kept, with who and when), never deleted.
 */
export class KioskProtocol21795481000000 implements MigrationInterface {
    name = 'KioskProtocol21795481000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" ADD "challenge_digest" bytea`);
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" ADD CONSTRAINT "kiosk_exchange_challenge_digest" CHECK (challenge_digest IS NULL OR length(challenge_digest) = 32)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "kiosk_exchange_challenge_once" ON "kiosk_exchange" ("challenge_digest") WHERE challenge_digest IS NOT NULL`);
        await queryRunner.query(`CREATE TABLE "api_key_suspension" (
            "id" BIGSERIAL NOT NULL,
            "api_key_id" uuid NOT NULL,
            "reason" character varying(32) NOT NULL,
            "unproven_cards" integer NOT NULL,
            "threshold" integer NOT NULL,
            "suspended_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            "lifted_at" TIMESTAMP WITH TIME ZONE,
            "lifted_by_partner_id" uuid,
            "lifted_by_kind" character varying(32),
            CONSTRAINT "PK_api_key_suspension" PRIMARY KEY ("id"),
            CONSTRAINT "api_key_suspension_lift" CHECK ((lifted_at IS NULL) = (lifted_by_kind IS NULL) AND (lifted_at IS NULL OR lifted_at >= suspended_at)),
            CONSTRAINT "FK_api_key_suspension_key" FOREIGN KEY ("api_key_id") REFERENCES "api_key"("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "api_key_suspension_open" ON "api_key_suspension" ("api_key_id") WHERE lifted_at IS NULL`);
        await queryRunner.query(`CREATE INDEX "api_key_suspension_by_key" ON "api_key_suspension" ("api_key_id", "lifted_at")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "api_key_suspension"`);
        await queryRunner.query(`DROP INDEX "public"."kiosk_exchange_challenge_once"`);
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" DROP CONSTRAINT "kiosk_exchange_challenge_digest"`);
        await queryRunner.query(`ALTER TABLE "kiosk_exchange" DROP COLUMN "challenge_digest"`);
    }

}

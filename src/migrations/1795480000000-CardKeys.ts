import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The public keys of a card's chip (kiosk protocol 2): born in the chip at personalisation, reported by the vendor
 * in its return file, used to check the card's proofs of presence (auth, ECDSA P-256) and to seal its records
 * (enc, ECDH P-256). Each is the 65-byte uncompressed point. The private halves never leave the chip. A card
 * without a row has no key (made before kiosk/2, or imported) and stays on kiosk/1 until its cut-off date.
 */
export class CardKeys1795480000000 implements MigrationInterface {
    name = 'CardKeys1795480000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "card_key" (
            "card_id" uuid NOT NULL,
            "auth_public_key" bytea NOT NULL,
            "enc_public_key" bytea NOT NULL,
            "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            CONSTRAINT "PK_card_key" PRIMARY KEY ("card_id"),
            CONSTRAINT "card_key_points" CHECK (length("auth_public_key") = 65 AND get_byte("auth_public_key", 0) = 4
                AND length("enc_public_key") = 65 AND get_byte("enc_public_key", 0) = 4 AND "auth_public_key" <> "enc_public_key"),
            CONSTRAINT "FK_card_key_card" FOREIGN KEY ("card_id") REFERENCES "card"("id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "card_key"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

/** Mutations that keep the card (issue #6 §2): a change of fund moves the card, its serial kept. */
export class CardMutations1795463000000 implements MigrationInterface {
    name = 'CardMutations1795463000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "card_mutation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "beneficiary_id" uuid NOT NULL, "card_id" uuid, "from_organisme" character(9) NOT NULL, "to_organisme" character(9) NOT NULL, "effective_date" date NOT NULL, "applied_at" TIMESTAMP WITH TIME ZONE, "kind" character varying(16) NOT NULL DEFAULT 'fund_change', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "card_mutation_organismes" CHECK (kind <> 'fund_change' OR from_organisme <> to_organisme), CONSTRAINT "PK_259cc7c7270da27edcea824ca5a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "card_mutation_beneficiary" ON "card_mutation"  ("beneficiary_id") `);
        await queryRunner.query(`CREATE INDEX "card_mutation_due" ON "card_mutation"  ("effective_date") WHERE applied_at IS NULL`);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD CONSTRAINT "card_mutation_beneficiary_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "beneficiary"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "card_mutation" ADD CONSTRAINT "card_mutation_card_fk" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP CONSTRAINT "card_mutation_card_fk"`);
        await queryRunner.query(`ALTER TABLE "card_mutation" DROP CONSTRAINT "card_mutation_beneficiary_fk"`);
        await queryRunner.query(`DROP INDEX "public"."card_mutation_due"`);
        await queryRunner.query(`DROP INDEX "public"."card_mutation_beneficiary"`);
        await queryRunner.query(`DROP TABLE "card_mutation"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

export class RequestCardIndex1795461187396 implements MigrationInterface {
    name = 'RequestCardIndex1795461187396'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "IDX_a3e6c4cc522678e459a72dfacc" ON "card_request"  ("card_id") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_a3e6c4cc522678e459a72dfacc"`);
    }

}

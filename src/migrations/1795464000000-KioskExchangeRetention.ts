import { MigrationInterface, QueryRunner } from "typeorm";

export class KioskExchangeRetention1795464000000 implements MigrationInterface {
    name = 'KioskExchangeRetention1795464000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "kiosk_exchange_finished" ON "kiosk_exchange" ("finished_at") WHERE status <> 'issued'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."kiosk_exchange_finished"`);
    }

}

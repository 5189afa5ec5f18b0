import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Which worker instance runs which job. Each instance holds a session advisory lock keyed by its id for its whole
 * life (the server frees it the moment the process or its connection dies); a job it fetched is claimed here in the
 * fetch's own transaction. Another instance that can take a dead instance's lock re-queues its claimed jobs at once
 * instead of waiting for pg-boss's expiry (src/platform/jobs/job-leases.repository.ts).
 */
export class JobLeases1795470000000 implements MigrationInterface {
    name = 'JobLeases1795470000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "job_instance" (
            "id" integer GENERATED ALWAYS AS IDENTITY NOT NULL,
            "host" text NOT NULL,
            "pid" integer NOT NULL,
            "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            "server_started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
            CONSTRAINT "PK_job_instance" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "job_claim" (
            "job_id" uuid NOT NULL,
            "instance_id" integer NOT NULL,
            "token" uuid NOT NULL,
            "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            CONSTRAINT "PK_job_claim" PRIMARY KEY ("job_id"),
            CONSTRAINT "FK_job_claim_instance" FOREIGN KEY ("instance_id") REFERENCES "job_instance"("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_job_claim_instance" ON "job_claim" ("instance_id")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "job_claim"`);
        await queryRunner.query(`DROP TABLE "job_instance"`);
    }

}

import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * How services, jobs and controllers reach the database without touching the ORM: a unit of work runs in one
 * transaction and hands its EntityManager (used only as a type outside repositories) to the repositories it calls.
 */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The pool's manager, outside any transaction: for single reads whose statements need no common snapshot. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** A health probe: does the database answer a trivial statement? */
  async ping(): Promise<boolean> {
    await this.dataSource.query('SELECT 1');
    return true;
  }
}

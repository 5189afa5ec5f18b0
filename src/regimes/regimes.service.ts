import { Injectable, Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Transactions } from '../platform/database/transactions.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { RegimesErrors } from './regimes.errors.js';
import { projectRoot } from '../platform/files/project-root.js';
import { parseReferenceCsv } from './reference-csv.js';
import { RegimesRepository } from './regimes.repository.js';

export const BUNDLED_REFERENCE = () => path.join(projectRoot(), 'data', 'reference', 'organismes.csv');

@Injectable()
export class RegimesService {
  private readonly logger = new Logger('regimes');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: RegimesRepository,
    private readonly audit: AuditService,
  ) {}

  /** Loads an operator's reference file: all of it or, if any line is bad, none of it (422 with every bad line). */
  async load(actor: Actor, csv: string, overwrite = true) {
    const { rows, errors } = parseReferenceCsv(csv);
    if (!rows) throw RegimesErrors.REFERENCE_FILE_INVALID(errors);
    return this.tx.run(async (em) => {
      const counts = await this.repo.upsert(em, rows, overwrite);
      await this.audit.record(em, actor, {
        action: 'reference.loaded',
        entityType: 'reference',
        entityId: 'organismes',
        details: { ...counts, overwrite },
      });
      return {
        written: counts,
        inFile: { regimes: rows.regimes.length, funds: rows.funds.length, organismes: rows.organismes.length },
      };
    });
  }

  /** The start-up seed: adds the bundled organismes that are missing, never overwrites an operator's change. */
  async seedBundled(actor: Actor): Promise<void> {
    const res = await this.load(actor, readFileSync(BUNDLED_REFERENCE(), 'utf8'), false);
    if (res.written.organismes > 0) this.logger.log(`reference data: ${res.written.organismes} organismes added`);
  }

  organismeExists(code: string): Promise<boolean> {
    return this.repo.organismeExists(code);
  }
  listRegimes() {
    return this.repo.listRegimes();
  }
  listFunds(regimeCode?: string) {
    return this.repo.listFunds(regimeCode);
  }
  listOrganismes(filter: { regimeCode?: string; fundCode?: string }) {
    return this.repo.listOrganismes(filter);
  }

  async getOrganisme(code: string) {
    const o = await this.repo.findOrganisme(code);
    if (!o) throw RegimesErrors.ORGANISME_NOT_FOUND();
    return o;
  }
}

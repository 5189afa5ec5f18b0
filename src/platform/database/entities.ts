import { Card } from '../../cards/card.entity.js';
import { ApiKey, Partner } from '../../partners/partner.entity.js';
import { Fund, Organisme, Regime } from '../../regimes/regime.entity.js';
import { Affiliation, Beneficiary } from '../../register/beneficiary.entity.js';
import { BulkImport, BulkImportReject } from '../../register/bulk-import.entity.js';
import { AuditEntry } from '../audit/audit-entry.entity.js';

/** Every entity, listed once, for the app, the CLI, the migration tooling and the tests. */
export const ENTITIES = [Regime, Fund, Organisme, Partner, ApiKey, Beneficiary, Affiliation, BulkImport, BulkImportReject, Card, AuditEntry];

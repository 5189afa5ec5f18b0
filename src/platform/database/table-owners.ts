/**
 * One owner per table: for every table the migrations create (pg-boss's own schema aside), the one repository file
 * whose statements write it (INSERT, UPDATE, DELETE, COPY … FROM, TRUNCATE, or TypeORM writes through the table's
 * entity). Other modules reach those writes through the owner's module service; other repositories may still read
 * the table, joins included. test/table-owners.test.ts checks this catalogue against the migrated schema and
 * against every write statement under src/.
 */
export interface TableOwnership {
  /** The repository file (path from the project root) that writes the table. */
  owner: string;
  /** A table written only by the database's own triggers (no statement of the application writes it): which ones. */
  triggers?: string;
  /** Other files allowed to write the table, each with its reason. Keep this short: each entry is a debt or a hot path. */
  exceptions?: Record<string, string>;
}

const KIOSK2_CONFIRM =
  'The kiosk/2 acknowledged confirm (CONFIRM_ACKNOWLEDGED_SQL) is one named prepared statement that moves the card, closes ' +
  'the exchange, records the update state and the audit entry in one round trip: it is the hot path of the kiosk protocol.';

const SEED =
  'The synthetic seed (npm run seed:synthetic, benchmarks) bulk-loads generated data with COPY on its own connection, outside the running product.';

export const TABLE_OWNERS: Record<string, TableOwnership> = {
  affiliation: {
    owner: 'src/register/beneficiary.repository.ts',
    exceptions: { 'src/synthetic/synthetic.repository.ts': SEED },
  },
  api_key: { owner: 'src/partners/partner.repository.ts' },
  attachment: {
    owner: 'src/register/attachment.repository.ts',
    exceptions: { 'src/synthetic/synthetic.repository.ts': SEED },
  },
  api_key_suspension: { owner: 'src/partners/key-suspension.repository.ts' },
  console_agent: { owner: 'src/console/agents/console-agent.repository.ts' },
  console_session: { owner: 'src/console/auth/console-session.repository.ts' },
  audit_entry: {
    owner: 'src/platform/audit/audit.repository.ts',
    exceptions: {
      'src/cards/card.repository.ts':
        `${KIOSK2_CONFIRM} And the emission chain's set-based card moves (batches, return files) audit each card and step ` +
        'in the statement that moves them: 5,000 to 10,000 entries per step otherwise went from Node and back.',
      'src/update/kiosk.repository.ts':
        'A kiosk check issues the exchange and audits the data sent in one prepared statement (the hot path of the kiosk protocol).',
    },
  },
  beneficiary: {
    owner: 'src/register/beneficiary.repository.ts',
    exceptions: { 'src/synthetic/synthetic.repository.ts': SEED },
  },
  beneficiary_nir_history: {
    owner: 'src/register/beneficiary.repository.ts',
    exceptions: {
      'src/synthetic/synthetic.repository.ts': `${SEED} A synthetic card base records the temporary NIRs its cards were made under.`,
    },
    triggers: 'beneficiary_nir_history_record (beneficiary): the database records a NIR replaced, whoever replaces it',
  },
  bulk_import: { owner: 'src/register/bulk-import.repository.ts' },
  imported_card: {
    owner: 'src/takeover/imported-card.repository.ts',
    exceptions: {
      'src/cards/card.repository.ts':
        "The card-base import's chunk inserts its cards and what the old base said of them in one statement (INSERT … " +
        "RETURNING into imported_card): a second statement had to find the chunk's cards again in the whole card table, " +
        'a scan that grew with every chunk (10 million cards: 200 chunks, each scanning up to 10 million rows).',
    },
  },
  card_base_import: { owner: 'src/takeover/card-base-import.repository.ts' },
  card_base_import_chunk: { owner: 'src/takeover/card-base-import.repository.ts' },
  card_base_import_reject: { owner: 'src/takeover/card-base-import.repository.ts' },
  card_base_line: { owner: 'src/takeover/card-base-import.repository.ts' },
  bulk_import_reject: { owner: 'src/register/bulk-import.repository.ts' },
  campaign: { owner: 'src/campaigns/campaign.repository.ts' },
  campaign_capacity_day: { owner: 'src/campaigns/campaign.repository.ts' },
  campaign_member: { owner: 'src/campaigns/campaign.repository.ts' },
  campaign_wave: { owner: 'src/campaigns/campaign.repository.ts' },
  card: { owner: 'src/cards/card.repository.ts' },
  card_data_record: {
    owner: 'src/update/card-data.repository.ts',
    triggers:
      'card_chip_records_at_issue and card_chip_records_follow (card), beneficiary_chip_identity (beneficiary): the chip records follow the register; ' +
      'the dependants record: attachment_chip_dependants_* (attachment), beneficiary_chip_dependants (beneficiary), card_key_chip_dependants (card_key), card_chip_dependants_follow (card)',
  },
  card_key: { owner: 'src/cards/card-key.repository.ts' },
  card_key_point: {
    owner: 'src/cards/card-key.repository.ts',
    triggers: 'card_key_points (card_key): one row per public point a card holds',
  },
  card_mutation: { owner: 'src/update/mutations.repository.ts' },
  card_request: { owner: 'src/emission/requests/card-request.repository.ts' },
  card_request_step: { owner: 'src/emission/requests/card-request.repository.ts' },
  card_update_state: {
    owner: 'src/update/kiosk.repository.ts',
    exceptions: { 'src/cards/card.repository.ts': KIOSK2_CONFIRM },
  },
  fund: { owner: 'src/regimes/regimes.repository.ts', exceptions: { 'src/synthetic/synthetic.repository.ts': SEED } },
  fund_event: { owner: 'src/events/fund-event.repository.ts' },
  fund_event_horizon: { owner: 'src/events/fund-event.repository.ts' },
  job_claim: { owner: 'src/platform/jobs/job-leases.repository.ts' },
  job_instance: { owner: 'src/platform/jobs/job-leases.repository.ts' },
  kiosk_exchange: {
    owner: 'src/update/kiosk.repository.ts',
    exceptions: { 'src/cards/card.repository.ts': KIOSK2_CONFIRM },
  },
  opposition_change: {
    owner: 'src/opposition/opposition.repository.ts',
    triggers: 'card_opposition_change (card) adds the rows; list production stamps them',
  },
  opposition_list: { owner: 'src/opposition/opposition.repository.ts' },
  organisme: {
    owner: 'src/regimes/regimes.repository.ts',
    exceptions: { 'src/synthetic/synthetic.repository.ts': SEED },
  },
  partner: { owner: 'src/partners/partner.repository.ts' },
  personalisation_batch: { owner: 'src/emission/personalisation/batch.repository.ts' },
  insight_snapshot: { owner: 'src/insight/insight.repository.ts' },
  photo: { owner: 'src/photo/photo.repository.ts' },
  regime: { owner: 'src/regimes/regimes.repository.ts', exceptions: { 'src/synthetic/synthetic.repository.ts': SEED } },
  reconciliation_count: { owner: 'src/reconciliation/reconciliation.repository.ts' },
  reconciliation_decision: { owner: 'src/reconciliation/reconciliation.repository.ts' },
  reconciliation_finding: { owner: 'src/reconciliation/reconciliation.repository.ts' },
  reconciliation_run: { owner: 'src/reconciliation/reconciliation.repository.ts' },
  regime_transfer: { owner: 'src/update/regime-transfers.repository.ts' },
  serial_allocator: { owner: 'src/cards/card.repository.ts' },
  sftp_public_key: { owner: 'src/emission/vendors/vendor.repository.ts' },
  vendor_profile: { owner: 'src/emission/vendors/vendor.repository.ts' },
  vendor_return_file: { owner: 'src/emission/returns/return-file.repository.ts' },
  webhook_delivery: {
    owner: 'src/events/webhook.repository.ts',
    exceptions: {
      'src/events/fund-event.repository.ts':
        'Appending events records their pending deliveries in the same statement (one round trip however many events and subscriptions).',
    },
  },
  webhook_subscription: { owner: 'src/events/webhook.repository.ts' },
};

/** Temporary tables (ON COMMIT DROP) a repository creates for one transaction: the one file that creates and writes each. */
export const TEMPORARY_TABLES: Record<string, string> = {
  register_import_stage: 'src/register/beneficiary.repository.ts',
  card_import_stage: 'src/takeover/card-base-import.repository.ts',
};

/** Tables of the public schema that belong to a framework, not to the product (never written by the application's code). */
export const FRAMEWORK_TABLES: Record<string, string> = {
  schema_migration: "the migrations run so far, written by TypeORM's migration runner",
};

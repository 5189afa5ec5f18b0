import { Campaign, CampaignCapacityDay, CampaignWave } from '../../campaigns/campaign.entity.js';
import { CampaignMember } from '../../campaigns/campaign-member.entity.js';
import { Card } from '../../cards/card.entity.js';
import { ApiKey, Partner } from '../../partners/partner.entity.js';
import { Fund, Organisme, Regime } from '../../regimes/regime.entity.js';
import { Affiliation, Beneficiary, BeneficiaryNirHistory } from '../../register/beneficiary.entity.js';
import { BulkImport, BulkImportReject } from '../../register/bulk-import.entity.js';
import { AuditEntry } from '../audit/audit-entry.entity.js';
import { PersonalisationBatch, SerialAllocator } from '../../emission/personalisation/personalisation-batch.entity.js';
import { CardRequest, CardRequestStep } from '../../emission/requests/card-request.entity.js';
import { VendorReturnFile } from '../../emission/returns/vendor-return-file.entity.js';
import { SftpPublicKey, VendorProfile } from '../../emission/vendors/vendor.entity.js';
import { FundEvent, FundEventHorizon, WebhookDelivery, WebhookSubscription } from '../../events/fund-event.entity.js';
import { Photo } from '../../photo/photo.entity.js';
import { InsightSnapshot } from '../../insight/insight-snapshot.entity.js';
import { OppositionChange, OppositionList } from '../../opposition/opposition.entity.js';
import { CardDataRecord, CardUpdateState, KioskExchange } from '../../update/card-update.entity.js';
import { CardMutation } from '../../update/mutation.entity.js';
import { RegimeTransfer } from '../../update/regime-transfer.entity.js';
import { ImportedCard } from '../../takeover/imported-card.entity.js';
import { CardBaseImport, CardBaseImportChunk, CardBaseImportReject } from '../../takeover/card-base-import.entity.js';
import {
  ReconciliationDecision,
  ReconciliationFinding,
  ReconciliationCount,
  ReconciliationRun,
} from '../../reconciliation/reconciliation.entity.js';
import { ConsoleAgent, ConsoleSession } from '../../console/agents/console-agent.entity.js';

/** Every entity, listed once, for the app, the CLI, the migration tooling and the tests. */
export const ENTITIES = [
  Regime,
  Fund,
  Organisme,
  Partner,
  ApiKey,
  Beneficiary,
  BeneficiaryNirHistory,
  Affiliation,
  BulkImport,
  BulkImportReject,
  Card,
  AuditEntry,
  CardRequest,
  CardRequestStep,
  Photo,
  InsightSnapshot,
  VendorProfile,
  SftpPublicKey,
  PersonalisationBatch,
  SerialAllocator,
  VendorReturnFile,
  FundEvent,
  FundEventHorizon,
  WebhookSubscription,
  WebhookDelivery,
  OppositionChange,
  OppositionList,
  CardDataRecord,
  CardUpdateState,
  KioskExchange,
  CardMutation,
  RegimeTransfer,
  ImportedCard,
  Campaign,
  CampaignWave,
  CampaignCapacityDay,
  CampaignMember,
  CardBaseImport,
  CardBaseImportChunk,
  CardBaseImportReject,
  ReconciliationRun,
  ReconciliationFinding,
  ReconciliationCount,
  ReconciliationDecision,
  ConsoleAgent,
  ConsoleSession,
];

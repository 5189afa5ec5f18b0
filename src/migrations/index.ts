import { Foundation1795455628677 } from './1795455628677-Foundation.js';
import { Emission1795457276131 } from './1795457276131-Emission.js';
import { RequestStatusReset1795459000000 } from './1795459000000-RequestStatusReset.js';
import { OppositionLists1795460000000 } from './1795460000000-OppositionLists.js';
import { RequestCardIndex1795461187396 } from './1795461187396-RequestCardIndex.js';
import { OnlineUpdates1795462000000 } from './1795462000000-OnlineUpdates.js';
import { CardMutations1795463000000 } from './1795463000000-CardMutations.js';
import { KioskExchangeRetention1795464000000 } from './1795464000000-KioskExchangeRetention.js';
import { RegimeTransfers1795465000000 } from './1795465000000-RegimeTransfers.js';
import { Retention1795466000000 } from './1795466000000-Retention.js';
import { VendorFileRetention1795467000000 } from './1795467000000-VendorFileRetention.js';
import { ChipRecordsFromRegister1795468000000 } from './1795468000000-ChipRecordsFromRegister.js';
import { OneUsableCardPerHolder1795468100000 } from './1795468100000-OneUsableCardPerHolder.js';
import { FormNumberReuse1795468200000 } from './1795468200000-FormNumberReuse.js';
import { JobLeases1795470000000 } from './1795470000000-JobLeases.js';
import { CardKeys1795480000000 } from './1795480000000-CardKeys.js';
import { KioskProtocol21795481000000 } from './1795481000000-KioskProtocol2.js';
import { VendorEncryption1795482000000 } from './1795482000000-VendorEncryption.js';
import { CardKeyPoints1795483000000 } from './1795483000000-CardKeyPoints.js';
import { OrderedRequestsInPickOrder1795490000000 } from './1795490000000-OrderedRequestsInPickOrder.js';
import { Families1795520000000 } from './1795520000000-Families.js';
import { DependantsChipRecord1795525000000 } from './1795525000000-DependantsChipRecord.js';
import { OwnCardRequests1795526000000 } from './1795526000000-OwnCardRequests.js';

/** Committed migrations, in order. Generated with `npm run migration:generate`, never edited once landed. */
export const MIGRATIONS = [Foundation1795455628677, Emission1795457276131, RequestStatusReset1795459000000, OppositionLists1795460000000, RequestCardIndex1795461187396, OnlineUpdates1795462000000, CardMutations1795463000000, KioskExchangeRetention1795464000000, RegimeTransfers1795465000000, Retention1795466000000, VendorFileRetention1795467000000, ChipRecordsFromRegister1795468000000, OneUsableCardPerHolder1795468100000, FormNumberReuse1795468200000, JobLeases1795470000000, CardKeys1795480000000, KioskProtocol21795481000000, VendorEncryption1795482000000, CardKeyPoints1795483000000, OrderedRequestsInPickOrder1795490000000, Families1795520000000, DependantsChipRecord1795525000000, OwnCardRequests1795526000000];

import { Injectable } from '@nestjs/common';
import { Transactions } from '../../platform/database/transactions.js';
import { AppConfig } from '../../config/app-config.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { parisToday } from '../../register/beneficiary-input.js';
import { CardRequestRepository } from './card-request.repository.js';
import { REQUEST_ENTITY, requestNotFound, scopeOf } from './card-requests.service.js';
import { RequestFormContent, RequestFormRenderer } from './request-form.renderer.js';
import { frenchDate } from './request-rules.js';
import { isUuid } from '../../platform/validation/ids.js';

export interface RenderedForm {
  fileName: string;
  pdf: Buffer;
}

/** The pre-filled form of a request (docs/formats/card-request-form.md), dated the day it was sent. */
@Injectable()
export class RequestFormService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: CardRequestRepository,
    private readonly renderer: RequestFormRenderer,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /** Renders the form; the read of identity and address leaves an access trail, as a beneficiary read does. */
  async render(actor: Actor, id: string): Promise<RenderedForm> {
    const scope = scopeOf(actor);
    if (!isUuid(id)) throw requestNotFound();
    const data = await this.tx.run(async (em) => {
      const d = await this.repo.formData(scope, id, em);
      if (!d) throw requestNotFound();
      await this.audit.record(em, actor, {
        action: 'card_request.form_printed',
        entityType: REQUEST_ENTITY,
        entityId: id,
        organismeCode: actor.organismeCode,
        details: { formNumber: d.formNumber },
      });
      return d;
    });
    const content: RequestFormContent = {
      formNumber: data.formNumber,
      // The date the form was sent (Paris), so printing it again gives the same document.
      sentOn: frenchDate(parisToday(data.createdAt)),
      firstName: data.firstName,
      birthName: data.birthName,
      usageName: data.usageName,
      birthDate: frenchDate(data.birthDate),
      addressLines: data.addressLines,
      senderLines: [data.organismeName, data.organismeCity ?? '']
        .map((l) => l.toLocaleUpperCase('fr-FR'))
        .filter((l) => l !== ''),
      returnAddressLines: this.config.photoCentreAddress
        .split('|')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
      replyWithinDays: this.config.formReminderDays,
    };
    return { fileName: `carte-vitale-formulaire-${data.formNumber}.pdf`, pdf: await this.renderer.render(content) };
  }
}

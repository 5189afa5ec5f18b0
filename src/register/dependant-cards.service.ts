import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AttachmentRepository } from './attachment.repository.js';

/**
 * What the emission chain asks the register about dependants and their own card (issue 13 item 4): the young person
 * a parent's fund may open a card for, whether someone is a dependant, who reaches 16 soon. All in the caller's
 * transaction; the register's tables stay the register's.
 */
@Injectable()
export class DependantCardsService {
  constructor(private readonly attachments: AttachmentRepository) {}

  /** The dependant, locked, when attached today to a parent the fund of `organismeCode` manages; null otherwise. */
  lockDependantOfIn(
    em: EntityManager,
    scope: { organismeCode: string; today: string },
    dependantId: string,
  ): Promise<{ id: string; birthDate: string } | null> {
    return this.attachments.lockDependantOf(em, scope.organismeCode, scope.today, dependantId);
  }

  isDependantIn(em: EntityManager, beneficiaryId: string, today: string): Promise<boolean> {
    return this.attachments.isDependant(em, beneficiaryId, today);
  }

  /** Dependants reaching the age by `bornBy` with nothing under way yet, and the organisme of their first parent. */
  dueForOwnCardIn(
    em: EntityManager,
    today: string,
    bornBy: string,
    afterId: string | null,
    limit: number,
  ): Promise<Array<{ dependantId: string; organismeCode: string }>> {
    return this.attachments.dueForOwnCard(em, today, bornBy, afterId, limit);
  }
}

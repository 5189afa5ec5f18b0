import { describe, expect, it } from 'vitest';
import type { DashboardView, TimelineEntryView } from '../src/insight/dto/insight.dto.js';
import type { ConsolePrincipal } from '../src/platform/auth/console-principal.js';
import { dashboardPage } from '../src/console/pages/dashboard.page.js';
import { describe as describeEntry } from '../src/console/pages/insured.page.js';
import { counted, plural } from '../src/console/ui/labels.js';

const agent = (kind: 'operator' | 'fund' = 'operator'): ConsolePrincipal =>
  ({
    agentId: 'a',
    sessionId: 's',
    login: 'agent',
    displayName: 'Agent',
    partnerId: 'p',
    partnerName: 'Partenaire',
    kind,
    organismeCode: kind === 'fund' ? '017510001' : null,
    csrfToken: 't',
    mustChangePassword: false,
  }) as ConsolePrincipal;

/** Text of a page as read: tags out, spaces collapsed. */
const words = (s: string) =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();

describe('French plural agreement', () => {
  it('is singular for 0 and 1 (and below 2), plural from 2', () => {
    expect(counted(0, 'demande', 'demandes')).toBe('0 demande');
    expect(counted(1, 'demande', 'demandes')).toBe('1 demande');
    expect(counted(1.5, 'jour', 'jours', 1)).toBe('1,5 jour');
    expect(counted(2, 'demande', 'demandes')).toBe('2 demandes');
    expect(counted(12345, 'octet', 'octets')).toBe('12\u202f345 octets');
    expect(plural(-1, 'a', 'b')).toBe('a');
  });

  it('the dashboard prints each count with its noun agreeing', () => {
    const d: DashboardView = {
      organismeCode: null,
      figuresTakenAt: null,
      stuckAfterHours: 1,
      cards: [],
      requests: [
        { status: 'form_sent', count: 1, stuck: 1 },
        { status: 'photo_received', count: 0, stuck: 0 },
        { status: 'ordered', count: 2, stuck: 2 },
      ],
      stuckCount: 0,
      stuck: [],
      leadTimeDays: 1,
      leadTimes: [],
      kioskPerHour: [],
      oppositionLists: [],
      failingJobs: [],
    };
    const text = words(dashboardPage(agent(), d).value);
    expect(text).toContain('Formulaire envoyé 1 demande en cours 1 bloquée');
    expect(text).toContain('Photo reçue 0 demande en cours');
    expect(text).toContain('Carte commandée 2 demandes en cours 2 bloquées');
    expect(text).toContain('depuis plus de 1 heure.');
    expect(text).toContain('(dernier jour)');
    expect(text).not.toMatch(/\b[01] \S+s\b/);
  });
});

describe("the insured's history in French", () => {
  const entry = (kind: TimelineEntryView['kind'], details: Record<string, unknown>): TimelineEntryView => ({
    at: new Date('2026-03-01T10:00:00Z'),
    kind,
    id: '1',
    details,
  });
  const say = (e: TimelineEntryView) => {
    const h = describeEntry(e);
    return h === null ? null : words(h.value);
  };
  /** Codes of the read model that must never reach the agent as they are. */
  const ENGLISH =
    /\b(issued|confirmed|failed|superseded|fund_change|nir_change|regime_transfer|lost|stolen|fraud|active|opposed|shipped|ordered|data_written)\b/;

  it('says every kind of entry in French, with what changed', () => {
    const lines = [
      say(entry('kiosk_exchange', { serial: '100000000001', result: 'confirmed', baseVersion: 0, targetVersion: 2 })),
      say(entry('kiosk_exchange', { serial: '100000000001', result: 'superseded', baseVersion: 1, targetVersion: 1 })),
      say(
        entry('card_state', {
          serial: '100000000001',
          action: 'card.oppose',
          from: 'active',
          to: 'opposed',
          reason: 'stolen',
        }),
      ),
      say(entry('card_state', { serial: '100000000001', action: 'card.data_written', from: 0, to: 2 })),
      say(entry('opposition', { serial: '100000000001', op: 'add', reason: 'lost', listNumber: 12 })),
      say(
        entry('mutation', {
          kind: 'fund_change',
          fromOrganisme: '017510001',
          toOrganisme: '016910001',
          effectiveDate: '2026-04-01',
          applied: false,
        }),
      ),
      say(
        entry('mutation', {
          kind: 'nir_change',
          fromOrganisme: '017510001',
          toOrganisme: '017510001',
          effectiveDate: '2026-04-01',
          applied: true,
        }),
      ),
      say(entry('request', { formNumber: '10000016', status: 'photo_received' })),
    ];
    expect(lines).toEqual([
      'Carte 100000000001 : mise à jour en borne confirmée (version 0 → 2)',
      'Carte 100000000001 : mise à jour en borne remplacée par un échange plus récent (version 1)',
      'Carte 100000000001 : Active → En opposition (motif : vol)',
      'Carte 100000000001 : données écrites en borne (version 0 → 2)',
      'Carte 100000000001 : mise en opposition (motif : perte), liste n° 12',
      "Changement d'organisme : 017510001 → 016910001, effet le 01/04/2026 (en attente)",
      'Changement de NIR, organisme 017510001, effet le 01/04/2026 (appliqué)',
      'Demande 10000016 : Photo reçue',
    ]);
    for (const l of lines) expect(l).not.toMatch(ENGLISH);
  });

  it('does not show a line that changed nothing (data rewritten at the version it had)', () => {
    expect(say(entry('card_state', { serial: '100000000001', action: 'card.data_written', from: 2, to: 2 }))).toBe(
      null,
    );
  });
});

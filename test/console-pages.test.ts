import { describe, expect, it } from 'vitest';
import type { DashboardView } from '../src/insight/dto/insight.dto.js';
import type { ConsolePrincipal } from '../src/platform/auth/console-principal.js';
import { dashboardPage } from '../src/console/pages/dashboard.page.js';
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

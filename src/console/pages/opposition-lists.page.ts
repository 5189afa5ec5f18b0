import type { OppositionListView } from '../../opposition/dto/opposition.dto.js';
import type { SigningKeyView } from '../../platform/crypto/signing-key.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { ListPage } from '../../platform/openapi/list-page.js';
import { html, type SafeHtml } from '../ui/html.js';
import { csrfField, layout } from '../ui/layout.js';
import { counted } from '../ui/labels.js';
import { badge, cell, count, dateTime, table } from './format.js';

const KIND: Record<string, string> = { full: 'Complète', incremental: 'Incrémentale' };

/** Published lists, newest first, paged. */
export function oppositionListsPage(agent: ConsolePrincipal, d: ListPage<OppositionListView>): SafeHtml {
  return layout({
    title: "Listes d'opposition",
    agent,
    current: '/console/listes-opposition',
    main: html`<h1>Listes d'opposition publiées</h1>
      ${table(
        'Listes, les plus récentes en premier',
        ['Numéro', 'Type', 'Période', 'Base', 'Entrées', 'Ajouts', 'Retraits', 'Clé', 'Produite le'],
        d.items.map((l) => [
          html`<a href="/console/listes-opposition/${l.number}">${l.number}</a>`,
          cell(KIND[l.kind] ?? l.kind),
          cell(l.period),
          cell(l.baseNumber),
          cell(count(l.entryCount)),
          cell(count(l.additions)),
          cell(count(l.removals)),
          html`<code>${l.keyId}</code>`,
          cell(dateTime(l.producedAt)),
        ]),
        'aucune liste publiée.',
      )}
      ${d.next ? html`<p><a class="fr-link" href="/console/listes-opposition?avant=${d.next}">Listes plus anciennes</a></p>` : ''}`,
  });
}

const file = (label: string, f: OppositionListView['text']) =>
  html`<h2>${label}</h2>
    <dl>
      <dt>Fichier</dt>
      <dd><code>${f.file}</code> (${counted(f.bytes, 'octet', 'octets')})</dd>
      <dt>SHA-256</dt>
      <dd><code>${f.sha256}</code></dd>
      <dt>Signature Ed25519 (base64)</dt>
      <dd><code class="console-break">${f.signature}</code></dd>
    </dl>`;

/** One list: its counts and both files' digests and signatures. */
export function oppositionListPage(agent: ConsolePrincipal, l: OppositionListView): SafeHtml {
  return layout({
    title: `Liste d'opposition ${l.number}`,
    agent,
    current: '/console/listes-opposition',
    main: html`<h1>Liste d'opposition n° ${l.number}</h1>
      <dl>
        <dt>Type</dt>
        <dd>
          ${KIND[l.kind] ?? l.kind}${l.kind === 'incremental' ? html` (sur la liste complète n° ${l.baseNumber ?? 'vide'})` : ''}
        </dd>
        <dt>Période</dt>
        <dd>${l.period}</dd>
        <dt>Produite le</dt>
        <dd>${dateTime(l.producedAt)}</dd>
        <dt>Entrées / ajouts / retraits</dt>
        <dd id="list-counts">${count(l.entryCount)} / ${count(l.additions)} / ${count(l.removals)}</dd>
        <dt>Clé de signature</dt>
        <dd><code>${l.keyId}</code></dd>
      </dl>
      ${file('Fichier texte', l.text)} ${file('Fichier compact', l.compact)}
      <p><a class="fr-link" href="/console/listes-opposition">Retour aux listes</a></p>`,
  });
}

const keysTable = (keys: SigningKeyView[]) =>
  table(
    'Clés publiées, de la plus ancienne à la plus récente',
    ['Identifiant', 'Algorithme', 'État'],
    keys.map((k) => [
      html`<code>${k.keyId}</code>`,
      cell(k.algorithm),
      k.current ? badge('Clé de signature actuelle', 'success') : badge('Vérification seulement', 'info'),
    ]),
    'aucune clé.',
  );

/** The published keys; rotate (with confirmation). */
export function signingKeysPage(agent: ConsolePrincipal, keys: SigningKeyView[]): SafeHtml {
  return layout({
    title: 'Clés de signature',
    agent,
    current: '/console/cles-de-signature',
    main: html`<h1>Clés de signature</h1>
      <p>
        Les listes d'opposition et les reçus sont signés en Ed25519. Les anciennes clés restent publiées pour vérifier
        ce qu'elles ont signé.
      </p>
      ${keysTable(keys)}
      <p>
        <a class="fr-btn fr-btn--secondary" href="/console/cles-de-signature/rotation">Changer de clé de signature</a>
      </p>`,
  });
}

export function signingKeyRotateConfirmPage(agent: ConsolePrincipal, keys: SigningKeyView[]): SafeHtml {
  const current = keys.find((k) => k.current);
  return layout({
    title: 'Changer de clé de signature : confirmation',
    agent,
    current: '/console/cles-de-signature',
    main: html`<h1>Changer de clé de signature ?</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <p>
          Une nouvelle clé Ed25519 signera désormais les listes et les reçus. La clé actuelle
          ${current ? html`(<code>${current.keyId}</code>)` : ''} reste publiée pour vérifier ce qu'elle a signé.
        </p>
      </div>
      <form method="post" action="/console/cles-de-signature/rotation">
        ${csrfField(agent)}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button class="fr-btn" type="submit">Confirmer : changer de clé</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console/cles-de-signature">Ne rien faire</a></li>
        </ul>
      </form>`,
  });
}

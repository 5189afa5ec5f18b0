import type { BatchFileService } from '../../emission/personalisation/batch-file.service.js';
import type { ReturnIntakeService } from '../../emission/returns/return-intake.service.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from '../ui/html.js';
import { layout } from '../ui/layout.js';
import { badge, cell, count, dateTime, table } from './format.js';

type BatchRow = Awaited<ReturnType<BatchFileService['list']>>[number];
type BatchDetail = NonNullable<Awaited<ReturnType<BatchFileService['detail']>>>;
type ReturnFile = Awaited<ReturnType<ReturnIntakeService['files']>>[number];
type ReturnFileDetail = NonNullable<Awaited<ReturnType<ReturnIntakeService['file']>>>;
const RETURN_STATUS: Record<string, [string, 'success' | 'error' | 'info']> = {
  received: ['Reçu, en attente', 'info'],
  ingested: ['Intégré', 'success'],
  refused: ['Refusé', 'error'],
};
const returnStatus = (s: string) => badge(...(RETURN_STATUS[s] ?? [s, 'info']));

/** Batches, newest first, paged. */
export function batchesPage(agent: ConsolePrincipal, items: BatchRow[], next: string | null): SafeHtml {
  return layout({
    title: 'Lots de personnalisation',
    agent,
    current: '/console/lots',
    main: html`<h1>Lots de personnalisation</h1>
      ${table(
        'Lots, les plus récents en premier',
        ['Numéro', 'Fabricant', 'État', 'Cartes', 'Fichier', 'Créé le'],
        items.map((b) => [
          html`<a href="/console/lots/${b.id}">${b.batchNumber}</a>`,
          cell(b.vendorLogin),
          cell(b.status),
          cell(count(b.cardCount)),
          cell(b.fileName),
          cell(dateTime(b.createdAt)),
        ]),
        'aucun lot.',
      )}
      ${next ? html`<p><a class="fr-link" href="/console/lots?avant=${next}">Lots plus anciens</a></p>` : ''}`,
  });
}

/** One batch: its cards count and their states now, its file. */
export function batchPage(agent: ConsolePrincipal, b: BatchDetail): SafeHtml {
  return layout({
    title: `Lot ${b.batchNumber}`,
    agent,
    current: '/console/lots',
    main: html`<h1>Lot n° ${b.batchNumber}</h1>
      <dl>
        <dt>Fabricant</dt>
        <dd>${b.vendorLogin}</dd>
        <dt>État du lot</dt>
        <dd id="batch-status">${b.status}</dd>
        <dt>Cartes</dt>
        <dd id="batch-cards">${count(b.cardCount)}</dd>
        <dt>Fichier</dt>
        <dd>
          ${b.fileName ? html`<code>${b.fileName}</code> (format perso/${b.persoVersion ?? '?'})` : 'pas encore écrit'}
          ${b.fileName || b.vendorAgeRecipient ? '' : ' — le fabricant n’a pas encore de destinataire age'}
        </dd>
        <dt>SHA-256 du fichier</dt>
        <dd><code>${b.sha256 ?? '—'}</code></dd>
        <dt>Créé / écrit</dt>
        <dd>${dateTime(b.createdAt)} / ${dateTime(b.writtenAt)}</dd>
      </dl>
      ${table(
        'Cartes du lot par état',
        ['État de la carte', 'Cartes'],
        b.cardStates.map((s) => [cell(s.state), cell(count(s.cards))]),
        'aucune carte.',
      )}
      <p><a class="fr-link" href="/console/lots">Retour aux lots</a></p>`,
  });
}

/** Return files, newest first, paged. */
export function returnFilesPage(agent: ConsolePrincipal, items: ReturnFile[], next: string | null): SafeHtml {
  return layout({
    title: 'Fichiers retour',
    agent,
    current: '/console/fichiers-retour',
    main: html`<h1>Fichiers retour des fabricants</h1>
      ${table(
        'Fichiers retour, les plus récents en premier',
        ['Fichier', 'Fabricant', 'État', 'Lignes', 'Appliquées', 'Rejetées', 'Reçu le'],
        items.map((f) => [
          html`<a href="/console/fichiers-retour/${f.id}">${f.fileName}</a>`,
          cell(f.vendorLogin),
          returnStatus(f.status),
          cell(count(f.lineCount)),
          cell(count(f.appliedCount)),
          cell(count(f.rejectedCount)),
          cell(dateTime(f.receivedAt)),
        ]),
        'aucun fichier retour.',
      )}
      ${next ? html`<p><a class="fr-link" href="/console/fichiers-retour?avant=${next}">Fichiers plus anciens</a></p>` : ''}`,
  });
}

/** One return file: counts, and its reject lines (line number and code) while the reject file is in the outbox. */
export function returnFilePage(agent: ConsolePrincipal, f: ReturnFileDetail): SafeHtml {
  return layout({
    title: `Fichier retour ${f.fileName}`,
    agent,
    current: '/console/fichiers-retour',
    main: html`<h1>Fichier retour ${f.fileName}</h1>
      <dl>
        <dt>Fabricant</dt>
        <dd>${f.vendorLogin}</dd>
        <dt>État</dt>
        <dd>${returnStatus(f.status)}${f.failure ? html` — <code>${f.failure}</code>` : ''}</dd>
        <dt>Lignes / appliquées / rejetées</dt>
        <dd id="return-counts">${count(f.lineCount)} / ${count(f.appliedCount)} / ${count(f.rejectedCount)}</dd>
        <dt>SHA-256</dt>
        <dd><code>${f.sha256}</code></dd>
        <dt>Reçu / intégré</dt>
        <dd>${dateTime(f.receivedAt)} / ${dateTime(f.ingestedAt)}</dd>
      </dl>
      <h2>Lignes rejetées</h2>
      ${
        f.rejects === null
          ? html`<p>
              ${
                f.rejectedCount || f.status === 'refused'
                  ? html`Le fichier de rejet <code>${f.rejectFile}</code> n'est plus dans le dépôt du fabricant.`
                  : 'Aucune ligne rejetée.'
              }
            </p>`
          : html`${table(
              `Lignes rejetées (fichier ${f.rejectFile})`,
              ['Ligne', 'Code', 'Motif'],
              f.rejects.map((r) => [cell(r.line), html`<code>${r.code}</code>`, cell(r.message)]),
              'aucune ligne rejetée.',
            )}${
              f.rejectsTruncated
                ? html`<p>
                    ${f.rejects.length < 2 ? 'La première ligne rejetée est montrée' : `Les ${count(f.rejects.length)} premières lignes rejetées sont montrées`}
                    ; toutes sont dans le fichier de rejet <code>${f.rejectFile}</code> du fabricant.
                  </p>`
                : ''
            }`
      }
      <p><a class="fr-link" href="/console/fichiers-retour">Retour aux fichiers retour</a></p>`,
  });
}

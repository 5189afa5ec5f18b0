import { Injectable } from '@nestjs/common';
import PDFDocument from 'pdfkit';
import { code128Widths } from './code128.js';

/** Version of the form layout (docs/formats/card-request-form.md); printed in the footer and the PDF metadata. */
export const FORM_VERSION = 'card-request-form/1';

/** Field lengths of the real form; longer values are cut, never wrapped, so the layout cannot move. */
export const FORM_LIMITS = {
  firstName: 45,
  birthName: 63,
  usageName: 42,
  addressLines: 6,
  addressLine: 38,
  senderLines: 2,
  senderLine: 50,
  returnLines: 6,
  returnLine: 38,
} as const;

export interface RequestFormContent {
  formNumber: string;
  /** dd/mm/yyyy: the day the form was sent. */
  sentOn: string;
  firstName: string;
  birthName: string;
  usageName: string | null;
  /** dd/mm/yyyy */
  birthDate: string;
  addressLines: string[];
  senderLines: string[];
  returnAddressLines: string[];
  replyWithinDays: number;
}

const MM = 72 / 25.4;
const mm = (v: number) => v * MM;
/** The fixed creation date written in the PDF metadata: the same request gives the same bytes. */
const EPOCH = new Date(Date.UTC(2000, 0, 1));

/**
 * Draws the pre-filled card request form (A4, one page) with pdfkit: the PDF side effect of step 1. Standard
 * Helvetica only (no font file), content streams left uncompressed so the printed text can be checked, and a
 * fixed creation date: the output is deterministic for a given content.
 */
@Injectable()
export class RequestFormRenderer {
  render(c: RequestFormContent): Promise<Buffer> {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 0,
      compress: false,
      info: {
        Title: `Demande de carte Vitale - formulaire ${c.formNumber}`,
        Subject: FORM_VERSION,
        Author: cut(c.senderLines[0] ?? '', 50),
        Creator: 'vitale-backoffice',
        Producer: 'vitale-backoffice',
        CreationDate: EPOCH,
      },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });
    this.draw(doc, c);
    doc.end();
    return done;
  }

  private draw(doc: PDFKit.PDFDocument, c: RequestFormContent): void {
    const left = mm(20);
    const width = mm(170);

    // Sender (the fund) top left, date top right.
    doc.font('Helvetica-Bold').fontSize(10);
    c.senderLines
      .slice(0, FORM_LIMITS.senderLines)
      .forEach((l, i) => doc.text(cut(l, FORM_LIMITS.senderLine), left, mm(15) + i * 13, { lineBreak: false }));
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(`Le ${c.sentOn}`, mm(140), mm(15), { width: mm(50), align: 'right', lineBreak: false });

    // The insured's address, where a right-hand window envelope shows it.
    doc.font('Helvetica').fontSize(10);
    c.addressLines
      .slice(0, FORM_LIMITS.addressLines)
      .forEach((l, i) => doc.text(cut(l, FORM_LIMITS.addressLine), mm(110), mm(45) + i * 12, { lineBreak: false }));

    // Title, form number and its barcode.
    doc.font('Helvetica-Bold').fontSize(16).text('Demande de carte Vitale', left, mm(85), { lineBreak: false });
    doc.font('Helvetica').fontSize(11).text(`Formulaire n\u00b0 ${c.formNumber}`, left, mm(94), { lineBreak: false });
    this.barcode(doc, c.formNumber, left, mm(100), mm(0.38), mm(12));
    doc.font('Courier').fontSize(10).text(c.formNumber, left, mm(113.5), { lineBreak: false });

    // Photo box, right of the title: the size of the photo to stick.
    const photoLeft = mm(155);
    const photoTop = mm(78);
    doc
      .save()
      .lineWidth(0.8)
      .dash(3, { space: 2 })
      .rect(photoLeft, photoTop, mm(35), mm(45))
      .stroke()
      .undash()
      .restore();
    doc
      .font('Helvetica')
      .fontSize(7)
      .text('Collez ici votre photo d\u2019identit\u00e9 en couleur', photoLeft + mm(3), photoTop + mm(17), {
        width: mm(29),
        align: 'center',
      });
    doc
      .font('Helvetica-Bold')
      .fontSize(7)
      .text('35 \u00d7 45 mm', photoLeft + mm(3), photoTop + mm(25), {
        width: mm(29),
        align: 'center',
        lineBreak: false,
      });

    // Identity box, full width (a birth name has up to 63 characters): printed from the register, not to be corrected.
    const idTop = mm(130);
    doc.lineWidth(0.8).rect(left, idTop, width, mm(42)).stroke();
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .text(
        'Vos informations d\u2019identit\u00e9 (\u00e0 v\u00e9rifier, ne pas corriger)',
        left + mm(3),
        idTop + mm(3),
        { lineBreak: false },
      );
    const rows: [string, string][] = [
      ['Nom de naissance', cut(c.birthName, FORM_LIMITS.birthName)],
      ['Nom d\u2019usage', cut(c.usageName ?? '', FORM_LIMITS.usageName)],
      ['Pr\u00e9nom', cut(c.firstName, FORM_LIMITS.firstName)],
      ['Date de naissance', c.birthDate],
    ];
    const valueLeft = left + mm(33);
    const valueWidth = left + width - mm(3) - valueLeft;
    rows.forEach(([label, value], i) => {
      const y = idTop + mm(11) + i * mm(7.5);
      doc
        .font('Helvetica')
        .fontSize(8)
        .text(label, left + mm(3), y, { lineBreak: false });
      doc
        .font('Helvetica-Bold')
        .fontSize(fitSize(doc, value, valueWidth, 9.5, 6))
        .text(value, valueLeft, y, { lineBreak: false });
    });

    // Instructions.
    const steps = [
      'V\u00e9rifiez votre identit\u00e9 ci-dessus. Ne la corrigez pas sur ce formulaire : signalez toute erreur \u00e0 votre caisse.',
      'Collez dans le cadre une photo d\u2019identit\u00e9 r\u00e9cente, en couleur, de 35 \u00d7 45 mm, sur un fond clair et uni, visage de face et t\u00eate nue.',
      'Joignez la copie d\u2019une pi\u00e8ce d\u2019identit\u00e9 en cours de validit\u00e9.',
      `Renvoyez ce formulaire dans les ${c.replyWithinDays} jours \u00e0 l\u2019adresse ci-dessous.`,
    ];
    doc.font('Helvetica-Bold').fontSize(10).text('Comment faire', left, mm(180), { lineBreak: false });
    doc.font('Helvetica').fontSize(9);
    let y = mm(187);
    steps.forEach((s, i) => {
      doc.text(`${i + 1}. ${s}`, left, y, { width, lineGap: 1 });
      y = doc.y + mm(2.5);
    });

    // Return address of the photo centre.
    const retTop = mm(232);
    doc.lineWidth(0.8).rect(left, retTop, mm(90), mm(38)).stroke();
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .text('\u00c0 renvoyer \u00e0 :', left + mm(3), retTop + mm(3), { lineBreak: false });
    doc.font('Helvetica').fontSize(10);
    c.returnAddressLines
      .slice(0, FORM_LIMITS.returnLines)
      .forEach((l, i) =>
        doc.text(cut(l, FORM_LIMITS.returnLine), left + mm(3), retTop + mm(10) + i * 12, { lineBreak: false }),
      );

    doc
      .font('Helvetica')
      .fontSize(6)
      .text(`${FORM_VERSION} \u2013 ${c.formNumber}`, left, mm(285), { lineBreak: false });
  }

  /** Code 128 drawn as filled rectangles, with its 10-module quiet zones. */
  private barcode(doc: PDFKit.PDFDocument, text: string, x: number, y: number, module: number, height: number): void {
    let at = x + 10 * module;
    code128Widths(text).forEach((w, i) => {
      if (i % 2 === 0) doc.rect(at, y, w * module, height);
      at += w * module;
    });
    doc.fillColor('black').fill();
  }
}

/** The largest font size (by half points) at which `text` fits `width` in the current font. */
function fitSize(doc: PDFKit.PDFDocument, text: string, width: number, max: number, min: number): number {
  for (let size = max; size > min; size -= 0.5) {
    if (doc.fontSize(size).widthOfString(text) <= width) return size;
  }
  return min;
}

function cut(value: string, max: number): string {
  return [...value].slice(0, max).join('');
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkBeneficiary, checkBirthRank, isIsoDate } from '../src/register/beneficiary-input.js';
import { checkAddress, checkName } from '../src/register/identity.js';
import { CSV_HEADER, inspectImport, parseImport } from '../src/register/import-parser.js';
import { maskNir, nirAgreesWithBirthDate, nirKey, validateNir } from '../src/register/nir.js';

/** Key computed independently of the code under test: 97 - (n mod 97), with 2A = 19 and 2B = 18. */
function referenceKey(body13: string): string {
  const n = BigInt(body13.replace('2A', '19').replace('2B', '18'));
  return String(97n - (n % 97n)).padStart(2, '0');
}

describe('NIR', () => {
  it('accepts a valid NIR and returns its 15-character form', () => {
    const body = '1850575123456';
    const r = validateNir(body + referenceKey(body));
    expect(r).toEqual({ ok: true, nir: body + referenceKey(body), temporary: false, sex: 1 });
    expect(validateNir('2690149588157')).toMatchObject({ ok: false, code: 'NIR_FORMAT' }); // 13 characters, no key
  });

  it('refuses a wrong key with NIR_KEY_MISMATCH', () => {
    const body = '2850575123456';
    const key = referenceKey(body);
    const wrong = String((Number(key) % 97) + 1).padStart(2, '0');
    expect(validateNir(body + wrong)).toMatchObject({ ok: false, code: 'NIR_KEY_MISMATCH' });
  });

  it('computes Corsican keys with 2A = 19 and 2B = 18', () => {
    for (const body of ['185052A123456', '292122B045123', '175012B045123']) {
      expect(body).toMatch(/^[12]\d{4}2[AB]\d{6}$/);
      const key = referenceKey(body);
      expect(nirKey(body)).toBe(key);
      expect(validateNir(body + key)).toMatchObject({ ok: true, nir: body + key, temporary: false });
      // The same digits with 19/18 written out give the same key, but 2A and 2B must not be swapped.
      const swapped = body.includes('2A') ? body.replace('2A', '2B') : body.replace('2B', '2A');
      expect(validateNir(swapped + key)).toMatchObject({ ok: false, code: 'NIR_KEY_MISMATCH' });
    }
    expect(nirKey('185052A123456')).toBe(referenceKey('1850519123456'));
    expect(nirKey('185052B123456')).toBe(referenceKey('1850518123456'));
    expect(validateNir('185052a123456' + nirKey('185052A123456'))).toMatchObject({ ok: true }); // lower case normalised
  });

  it('accepts temporary numbers (7 and 8) and flags them', () => {
    for (const first of ['7', '8']) {
      const body = `${first}850575123456`;
      const r = validateNir(body + referenceKey(body));
      expect(r).toEqual({ ok: true, nir: body + referenceKey(body), temporary: true, sex: null });
    }
  });

  it('accepts spaces (and dots) between groups', () => {
    const body = '2690149588157';
    const key = referenceKey(body);
    expect(validateNir(`2 69 01 49 588 157 ${key}`)).toMatchObject({ ok: true, nir: body + key });
    expect(validateNir(` 2 69 01 49 588 157  ${key} `)).toMatchObject({ ok: true, nir: body + key });
  });

  it('refuses bad shapes with stable codes', () => {
    const body = '3850575123456';
    expect(validateNir(body + referenceKey(body))).toMatchObject({ ok: false, code: 'NIR_SEX_INVALID' });
    const zeroMonth = '1850075123456';
    expect(validateNir(zeroMonth + referenceKey(zeroMonth))).toMatchObject({ ok: false, code: 'NIR_MONTH_INVALID' });
    for (const bad of [
      '',
      '12345',
      '18505751234567890',
      '1850575I23456 12',
      '18505751234AB12',
      '185052C12345601',
      'abcdefghijklmno',
    ]) {
      expect(validateNir(bad), bad).toMatchObject({
        ok: false,
        code: expect.stringMatching(/^NIR_(FORMAT|SEX_INVALID)$/),
      });
    }
    expect(validateNir(undefined as unknown as string)).toMatchObject({ ok: false, code: 'NIR_FORMAT' });
  });

  it('accepts only the months a NIR can hold: 01-12, 20-42, 50-99', () => {
    const withMonth = (mm: string) => {
      const body = `185${mm}75123456`;
      return body + referenceKey(body);
    };
    for (const mm of ['01', '12', '20', '30', '42', '50', '99'])
      expect(validateNir(withMonth(mm)), mm).toMatchObject({ ok: true });
    for (const mm of ['00', '13', '19', '43', '45', '49']) {
      expect(validateNir(withMonth(mm)), mm).toMatchObject({
        ok: false,
        code: 'NIR_MONTH_INVALID',
        message: expect.stringContaining('01 to 12, 20 to 42 or 50 to 99'),
      });
    }
    // The same rule for temporary numbers and Corsican ones.
    const temp = '885137512345'.padEnd(13, '6');
    expect(validateNir(temp + referenceKey(temp))).toMatchObject({ ok: false, code: 'NIR_MONTH_INVALID' });
    const corsica = '185452A123456';
    expect(validateNir(corsica + referenceKey(corsica))).toMatchObject({ ok: false, code: 'NIR_MONTH_INVALID' });
  });

  it('compares the year and month with the birth date when the month is a real one', () => {
    const nir = (b: string) => b + referenceKey(b);
    expect(nirAgreesWithBirthDate(nir('1850575123456'), '1985-05-14')).toBe(true);
    expect(nirAgreesWithBirthDate(nir('1850575123456'), '1985-06-14')).toBe(false); // month
    expect(nirAgreesWithBirthDate(nir('1850575123456'), '1986-05-14')).toBe(false); // year
    expect(nirAgreesWithBirthDate(nir('1850575123456'), '1885-05-14')).toBe(true); // only the last two digits of the year
    expect(nirAgreesWithBirthDate(nir('185052A123456'), '1985-05-14')).toBe(true); // Corsica
    expect(nirAgreesWithBirthDate(nir('185302A123456'), '1990-01-01')).toBe(true); // month 30: the date was unknown
    expect(nirAgreesWithBirthDate(nir('1856299123456'), '1990-01-01')).toBe(true); // month 62 (born abroad)
    expect(nirAgreesWithBirthDate(nir('7850575123456'), '1990-01-01')).toBe(true); // temporary: not yet tied to the civil status
  });

  it('masks a NIR to its sex digit and key', () => {
    expect(maskNir('185057512345678')).toBe(`1${'*'.repeat(12)}78`);
  });
});

describe('civil-status names', () => {
  it('accepts accents, hyphens, apostrophes and spaces, normalised to capitals', () => {
    expect(checkName('firstName', 'Marie-Hélène')).toEqual({ ok: true, value: 'MARIE-HÉLÈNE' });
    expect(checkName('birthName', 'd’Artagnan')).toEqual({ ok: true, value: "D'ARTAGNAN" });
    expect(checkName('birthName', '  de   la  Tour ')).toEqual({ ok: true, value: 'DE LA TOUR' });
    expect(checkName('firstName', 'Zoë')).toEqual({ ok: true, value: 'ZOË' });
    expect(checkName('birthName', 'Lætitia Œuvray')).toEqual({ ok: true, value: 'LÆTITIA ŒUVRAY' });
  });

  it('refuses digits, underscores, emojis and other signs', () => {
    for (const bad of ['Jean2', 'Jean_Pierre', 'Jean 😀', 'Jean@', '-Jean', 'Jean--Pierre', 'Jean.']) {
      expect(checkName('firstName', bad), bad).toMatchObject({ ok: false, code: 'NAME_INVALID_CHARACTERS' });
    }
    expect(checkName('firstName', '   ')).toMatchObject({ ok: false, code: 'NAME_EMPTY' });
  });

  it('refuses names longer than the form allows (45 / 63 / 42)', () => {
    expect(checkName('firstName', 'A'.repeat(45))).toMatchObject({ ok: true });
    expect(checkName('firstName', 'A'.repeat(46))).toMatchObject({ ok: false, code: 'NAME_TOO_LONG' });
    expect(checkName('birthName', 'B'.repeat(63))).toMatchObject({ ok: true });
    expect(checkName('birthName', 'B'.repeat(64))).toMatchObject({ ok: false, code: 'NAME_TOO_LONG' });
    expect(checkName('usageName', 'C'.repeat(43))).toMatchObject({ ok: false, code: 'NAME_TOO_LONG' });
  });

  it('checks addresses: 1 to 6 lines of at most 38 characters', () => {
    expect(checkAddress(['12 rue des Lilas', '', '75011 Paris'])).toEqual({
      ok: true,
      value: ['12 rue des Lilas', '75011 Paris'],
    });
    expect(checkAddress([])).toMatchObject({ ok: false, code: 'ADDRESS_INVALID' });
    expect(checkAddress(Array(7).fill('X'))).toMatchObject({ ok: false, code: 'ADDRESS_INVALID' });
    expect(checkAddress(['X'.repeat(39)])).toMatchObject({ ok: false, code: 'ADDRESS_INVALID' });
  });
});

describe('beneficiary input rules', () => {
  const today = '2026-06-15';
  const body = '2850575123456';
  const base = {
    nir: body + referenceKey(body),
    firstName: 'Anne',
    birthName: 'Durand',
    birthDate: '1985-05-14',
    addressLines: ['1 RUE A', '75001 PARIS'],
  };

  it('normalises and fills defaults (birth rank 1, affiliation from today)', () => {
    expect(checkBeneficiary(base, today)).toEqual({
      ok: true,
      value: {
        ...base,
        firstName: 'ANNE',
        birthName: 'DURAND',
        usageName: null,
        nirTemporary: false,
        birthRank: 1,
        affiliatedFrom: today,
      },
    });
  });

  it('names the faulty field without quoting it', () => {
    expect(checkBeneficiary({ ...base, birthDate: '1985-02-30' }, today)).toMatchObject({
      ok: false,
      error: { code: 'DATE_INVALID', field: 'birthDate' },
    });
    expect(checkBeneficiary({ ...base, birthDate: '1985-06-14' }, today)).toMatchObject({
      ok: false,
      error: { code: 'NIR_BIRTH_DATE_MISMATCH', field: 'nir' },
    });
    expect(checkBeneficiary({ ...base, birthDate: '1984-05-14' }, today)).toMatchObject({
      ok: false,
      error: { code: 'NIR_BIRTH_DATE_MISMATCH', field: 'nir' },
    });
    expect(checkBeneficiary({ ...base, birthDate: '2027-01-01' }, today)).toMatchObject({
      ok: false,
      error: { code: 'DATE_INVALID', field: 'birthDate' },
    });
    expect(checkBeneficiary({ ...base, affiliatedFrom: '2026-06-16' }, today)).toMatchObject({
      ok: false,
      error: { code: 'DATE_INVALID', field: 'affiliatedFrom' },
    });
    expect(checkBeneficiary({ ...base, addressLines: ['OK', 'X'.repeat(39)] }, today)).toMatchObject({
      ok: false,
      error: { code: 'ADDRESS_INVALID', field: 'addressLines[1]' },
    });
    const r = checkBeneficiary({ ...base, firstName: 'Anne99' }, today);
    expect(r).toMatchObject({ ok: false, error: { code: 'NAME_INVALID_CHARACTERS', field: 'firstName' } });
    expect(JSON.stringify(r)).not.toContain('Anne99');
    expect(checkBirthRank(0)).toMatchObject({ ok: false });
    expect(checkBirthRank(10)).toMatchObject({ ok: false });
    expect(checkBirthRank('2')).toEqual({ ok: true, value: 2 });
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
  });
});

describe('import file parsing (beneficiaries-import/1)', () => {
  const today = '2026-06-15';
  const nir = (b: string) => b + referenceKey(b);
  const header = CSV_HEADER.join(';');

  it('reports bad CSV lines by physical line number with the CSV column name', () => {
    const text = [
      header,
      `${nir('1850575123456')};Jean;Martin;;1985-05-14;;1 RUE A;75001 PARIS;;;;;`,
      '',
      `${nir('1850575123457')};Jean2;Martin;;1985-05-14;;1 RUE A;;;;;;`,
      `${nir('1850575123458')};Jean;Martin;;1985-05-14;1;1 RUE A`,
      `${nir('1850575123456')};Paul;Martin;;1985-05-14;;1 RUE A;;;;;;`,
      `${nir('1850575123459')};Paul;Martin;;1985-05-14;;1 RUE A;${'X'.repeat(40)};;;;;`,
    ].join('\r\n');
    const p = parseImport('csv', text, today);
    expect(p.total).toBe(5);
    expect(p.rows.map((r) => r.line)).toEqual([2]);
    expect(p.rejects).toEqual([
      { line: 4, code: 'NAME_INVALID_CHARACTERS', field: 'first_name', message: expect.any(String) },
      { line: 5, code: 'FIELD_COUNT', field: null, message: expect.any(String) },
      { line: 6, code: 'DUPLICATE_IN_FILE', field: 'nir', message: 'the same NIR is already on line 2' },
      { line: 7, code: 'ADDRESS_INVALID', field: 'address_line_2', message: expect.any(String) },
    ]);
    expect(JSON.stringify(p.rejects)).not.toMatch(/JEAN|Jean2|1850575/);
  });

  it('reads NDJSON and reports JSON and type errors', () => {
    const good = {
      nir: nir('2850575123456'),
      firstName: 'Léa',
      birthName: 'Roux',
      birthDate: '1985-05-02',
      addressLines: ['1 RUE B'],
    };
    const text = [
      JSON.stringify(good),
      '{"nir": ',
      JSON.stringify({ ...good, nir: 12 }),
      JSON.stringify({ ...good, extra: 1 }),
      '[1]',
    ].join('\n');
    const p = parseImport('ndjson', text, today);
    expect(p.rows).toHaveLength(1);
    expect(p.rows[0]).toMatchObject({ line: 1, firstName: 'LÉA', birthRank: 1, affiliatedFrom: today });
    expect(p.rejects.map((r) => [r.line, r.code, r.field])).toEqual([
      [2, 'JSON_INVALID', null],
      [3, 'FIELD_TYPE', 'nir'],
      [4, 'FIELD_UNKNOWN', 'extra'],
      [5, 'JSON_INVALID', null],
    ]);
  });

  it('refuses a whole file only for its shape: header, emptiness, row limit', () => {
    expect(() => inspectImport('csv', 'nir;name\n1;2', 10)).toThrow(
      expect.objectContaining({ code: 'IMPORT_HEADER_INVALID' }),
    );
    expect(() => inspectImport('csv', header + '\n\n', 10)).toThrow(expect.objectContaining({ code: 'IMPORT_EMPTY' }));
    expect(() => inspectImport('ndjson', '{}\n{}\n{}', 2)).toThrow(
      expect.objectContaining({ code: 'IMPORT_TOO_MANY_ROWS' }),
    );
    expect(inspectImport('csv', '\ufeff' + header + '\nx\n\ny\n', 10)).toBe(2);
  });
});

describe('the documented examples (docs/formats/beneficiaries-import.md)', () => {
  const doc = readFileSync(new URL('../docs/formats/beneficiaries-import.md', import.meta.url), 'utf8');
  const block = (lang: string) => [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].find((m) => m[1] === lang)![2];

  it('the CSV example parses as the text says', () => {
    const p = parseImport('csv', block('csv'), '2026-01-01');
    expect(p.total).toBe(3);
    expect(p.rows.map((r) => r.line)).toEqual([2]);
    expect(p.rejects.map((r) => [r.line, r.code, r.field])).toEqual([
      [3, 'NIR_KEY_MISMATCH', 'nir'],
      [4, 'NAME_INVALID_CHARACTERS', 'first_name'],
    ]);
    expect(block('csv').split('\n')[0]).toBe(CSV_HEADER.join(';'));
  });

  it('the NDJSON example parses as the text says', () => {
    const p = parseImport('ndjson', block('json'), '2026-01-01');
    expect(p.rows).toEqual([expect.objectContaining({ line: 1, nirTemporary: true, affiliatedFrom: '2025-09-01' })]);
    expect(p.rejects.map((r) => [r.line, r.code, r.field])).toEqual([[2, 'FIELD_MISSING', 'addressLines']]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { base32, hotp, matchTotp, otpauthUri, totpAt } from '../src/console/auth/totp.js';
import { escapeHtml, html, SafeHtml } from '../src/console/ui/html.js';
import { hashPassword, verifyPassword } from '../src/console/auth/passwords.js';

describe('TOTP (RFC 6238 / RFC 4226)', () => {
  // RFC 6238 appendix B: the seeds are the ASCII of "1234567890" repeated to the hash's size; 8 digits.
  const seeds = {
    sha1: Buffer.from('12345678901234567890'),
    sha256: Buffer.from('12345678901234567890123456789012'),
    sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
  };
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('at %i s gives the RFC codes', (time, sha1, sha256, sha512) => {
    expect(totpAt(seeds.sha1, time, 8, 'sha1')).toBe(sha1);
    expect(totpAt(seeds.sha256, time, 8, 'sha256')).toBe(sha256);
    expect(totpAt(seeds.sha512, time, 8, 'sha512')).toBe(sha512);
  });

  it('HOTP matches RFC 4226 appendix D', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expected.forEach((code, i) => expect(hotp(seeds.sha1, BigInt(i))).toBe(code));
  });

  it('accepts a code one step either side, not two, and only six digits', () => {
    const now = 1_800_000_000;
    const step = BigInt(Math.floor(now / 30));
    expect(matchTotp(seeds.sha1, totpAt(seeds.sha1, now), now)).toBe(step);
    expect(matchTotp(seeds.sha1, totpAt(seeds.sha1, now - 30), now)).toBe(step - 1n);
    expect(matchTotp(seeds.sha1, totpAt(seeds.sha1, now + 30), now)).toBe(step + 1n);
    expect(matchTotp(seeds.sha1, totpAt(seeds.sha1, now - 60), now)).toBeNull();
    expect(matchTotp(seeds.sha1, 'abcdef', now)).toBeNull();
  });

  it('writes secrets in RFC 4648 base32 and the Key Uri Format', () => {
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(otpauthUri(seeds.sha1, 'alice')).toBe(
      'otpauth://totp/Carte%20Vitale%20console%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Carte+Vitale+console&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('Argon2id passwords', () => {
  it('hashes with Argon2id and verifies only the right password', async () => {
    const h = await hashPassword('a long enough password');
    expect(h.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await verifyPassword(h, 'a long enough password')).toBe(true);
    expect(await verifyPassword(h, 'a long enough passworD')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});

describe('the html template', () => {
  it('escapes every interpolation, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
    );
    expect(escapeHtml('`')).toBe('&#96;');
  });

  it('passes nested fragments and lists unescaped, renders nothing for null, undefined and false', () => {
    const items = ['a<b', 'c'].map((s) => html`<li>${s}</li>`);
    expect(
      html`<ul>
          ${items}
        </ul>
        ${null}${undefined}${false}${0}`.value.replace(/\s+/g, ''),
    ).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
  });

  it('cannot be made from a runtime string', () => {
    expect(() => new SafeHtml(Symbol('SafeHtml'), '<script>')).toThrow(TypeError);
    expect(() => html`${{ toString: () => '<b>' } as unknown as string}`).toThrow(TypeError);
  });
});

describe('console sources', () => {
  it('build markup only with the html template (no tag in a plain string or an untagged template)', () => {
    const files = readdirSync('src/console', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && f !== path.join('ui', 'html.ts'))
      .map((f) => path.join('src/console', f));
    const offending: string[] = [];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      // A quoted string or an untagged template literal that opens an HTML tag.
      for (const m of src.matchAll(/(?<!html)(['"`])\s*<\/?[a-zA-Z!][^'"`]*/g))
        offending.push(`${f}: ${m[0].slice(0, 40)}`);
    }
    expect(files.length).toBeGreaterThan(5);
    expect(offending).toEqual([]);
  });
});

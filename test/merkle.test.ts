import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTree, leafHash, nodeHash, rootFromProof } from '../src/platform/crypto/merkle.js';
import { treeHeadMessage } from '../src/platform/crypto/signing.service.js';
import { sign } from 'node:crypto';
import { verifyReceipt } from '../src/update/receipts.js';

/** RFC 9162 MTH written as the RFC says (split at the largest power of two below n), to check the level builder. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`doc ${i}`)));

describe('Merkle trees (RFC 9162)', () => {
  it('known vectors: the empty-prefix leaf hash and a two-leaf root', () => {
    // SHA-256(0x00) and SHA-256(0x01 || h || h): fixed values, so a change of prefixes or order is caught.
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    const h = leafHash(Buffer.alloc(0));
    expect(buildTree([h, h]).root.toString('hex')).toBe(nodeHash(h, h).toString('hex'));
  });

  it('the level-by-level root equals the RFC definition, and every proof of every size leads to it', () => {
    for (let n = 1; n <= 70; n++) {
      const l = leaves(n);
      const { root, proofs } = buildTree(l);
      expect(root.equals(mth(l))).toBe(true);
      for (let i = 0; i < n; i++) {
        expect(rootFromProof(l[i], i, n, proofs[i])?.equals(root)).toBe(true);
        expect(proofs[i].length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }
    }
  });

  it('a proof fails for another leaf, another index, another size or a changed hash', () => {
    const l = leaves(13);
    const { root, proofs } = buildTree(l);
    expect(rootFromProof(l[4], 5, 13, proofs[5])?.equals(root) ?? false).toBe(false);
    expect(rootFromProof(l[5], 4, 13, proofs[5])?.equals(root) ?? false).toBe(false);
    // (Another size with the same left/right turns gives the same root: the signed tree head binds the size.)
    expect(rootFromProof(l[5], 5, 6, proofs[5])?.equals(root) ?? false).toBe(false);
    const bad = proofs[5].map((p) => Buffer.from(p));
    bad[1][0] ^= 1;
    expect(rootFromProof(l[5], 5, 13, bad)?.equals(root) ?? false).toBe(false);
    expect(rootFromProof(l[5], 13, 13, proofs[5])).toBeNull();
    expect(rootFromProof(l[0], 0, 1, [l[1]])).toBeNull();
  });

  it('verifyReceipt: a genuine batch member verifies; a receipt moved to another index or tree size does not', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const payloads = ['a', 'b', 'c'].map((x) => Buffer.from(JSON.stringify({ serial: x })));
    const { root, proofs } = buildTree(payloads.map(leafHash));
    const signature = sign(null, treeHeadMessage(3, root), privateKey).toString('base64');
    const receipt = (i: number) => ({
      payload: payloads[i].toString('base64'),
      signature,
      algorithm: 'Ed25519' as const,
      tree: { size: 3, index: i, path: proofs[i].map((p) => p.toString('base64')) },
    });
    expect(verifyReceipt(receipt(2), publicKey)).toEqual({ serial: 'c' });
    expect(verifyReceipt({ ...receipt(2), tree: { ...receipt(2).tree, index: 1 } }, publicKey)).toBeNull();
    expect(verifyReceipt({ ...receipt(2), tree: { ...receipt(2).tree, size: 4 } }, publicKey)).toBeNull();
    expect(verifyReceipt({ ...receipt(1), payload: payloads[2].toString('base64') }, publicKey)).toBeNull();
    expect(verifyReceipt(receipt(0), generateKeyPairSync('ed25519').publicKey)).toBeNull();
  });
});

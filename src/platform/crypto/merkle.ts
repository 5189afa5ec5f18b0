import { createHash } from 'node:crypto';

/**
 * Merkle trees as defined by RFC 9162 (Certificate Transparency 2.0), section 2.1: SHA-256, leaves hashed with a
 * 0x00 prefix and inner nodes with 0x01, unbalanced trees split at the largest power of two below the size.
 * Used to sign a batch of small documents with one signature: each document carries its inclusion proof.
 */
const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export function leafHash(data: Buffer): Buffer {
  return createHash('sha256').update(LEAF).update(data).digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/**
 * The root (RFC 9162 MTH) and every leaf's inclusion proof (RFC 9162 PATH, nearest sibling first) of the tree over
 * these leaf hashes, built level by level: nodes are paired left to right and an odd last node is carried up
 * unchanged, which gives the same tree as the RFC's split at the largest power of two (n - 1 hashes in all).
 */
export function buildTree(leaves: readonly Buffer[]): { root: Buffer; proofs: Buffer[][] } {
  if (leaves.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const proofs: Buffer[][] = leaves.map(() => []);
  // For each leaf, its node's position on the current level.
  const at = leaves.map((_, i) => i);
  let level = [...leaves];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    for (let leaf = 0; leaf < leaves.length; leaf++) {
      const pos = at[leaf];
      const sibling = pos % 2 === 1 ? pos - 1 : pos + 1;
      if (sibling < level.length) proofs[leaf].push(level[sibling]);
      at[leaf] = pos >> 1;
    }
    level = next;
  }
  return { root: level[0], proofs };
}

/**
 * The root a leaf and its proof lead to (RFC 9162 section 2.1.3.2), or null when the proof cannot belong to a
 * tree of that size. The caller compares the result with a signed root.
 */
export function rootFromProof(leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

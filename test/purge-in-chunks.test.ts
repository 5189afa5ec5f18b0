import { describe, expect, it } from 'vitest';
import { purgeInChunks } from '../src/platform/jobs/purge-in-chunks.js';

describe('purgeInChunks', () => {
  it('runs chunks until one takes fewer than the limit, and sums what they took', async () => {
    const taken = [3, 3, 1, 3];
    const limits: number[] = [];
    const total = await purgeInChunks(3, async (limit) => {
      limits.push(limit);
      return taken[limits.length - 1];
    });
    expect(total).toBe(7);
    expect(limits).toEqual([3, 3, 3]);
  });

  it('stops after an empty chunk following a full one, and on a first empty one', async () => {
    const taken = [2, 0];
    let calls = 0;
    expect(await purgeInChunks(2, async () => taken[calls++])).toBe(2);
    expect(calls).toBe(2);
    expect(await purgeInChunks(5, async () => 0)).toBe(0);
  });

  it('stops at the chunk that fails, keeping what the earlier ones did', async () => {
    let calls = 0;
    await expect(
      purgeInChunks(1, async () => {
        if (++calls === 3) throw new Error('database gone');
        return 1;
      }),
    ).rejects.toThrow('database gone');
    expect(calls).toBe(3);
  });
});

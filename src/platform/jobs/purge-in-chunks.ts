/**
 * The retention purges' loop, written once. `step(limit)` handles at most `limit` rows (a repository's bounded
 * statement, or a chunk of files then their rows) and commits before it returns, saying how many it took; it runs
 * again until a step takes fewer. Short statements and transactions, short locks, a bounded WAL burst each; a run
 * stopped midway keeps what it did and the next run carries on. Returns the sum of what the steps took.
 */
export async function purgeInChunks(limit: number, step: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step(limit);
    total += n;
    if (n < limit) return total;
  }
}

/** Types of scripts/run-built.mjs (plain JavaScript: it runs before anything is compiled). */
export function builtPath(entry: string): string;
export function newestSource(root: string): { file: string | null; mtimeMs: number };
export function staleReason(root: string, entry: string): string | null;

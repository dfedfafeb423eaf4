/** Shared test helpers: fixture paths, the optional ../shared collection, a CLI runner. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeText, type AnalyzeOptions } from '../src/analyze.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const fixture = (...p: string[]): string => join(FIXTURES, ...p);

/** The shared collection beside the repo (absent in a user's clone: tests that need it skip). */
export const SHARED = resolve(ROOT, '..', 'shared');
export const HAS_SHARED_LARGE = existsSync(join(SHARED, 'fixtures', 'large'));
export const sharedLarge = (name: string): string => join(SHARED, 'fixtures', 'large', name);

/** Analyze inline trace text (dedented: common leading indentation of non-blank lines removed). */
export function run(text: string, opts: AnalyzeOptions = {}) {
  return analyzeText(text, opts);
}

export function mechanismCounts(a: { mechanisms: { mechanism: string; count: number }[] }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of a.mechanisms) out[m.mechanism] = m.count;
  return out;
}

export const CLI = join(ROOT, 'dist', 'bin', 'exitlens.js');

export function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

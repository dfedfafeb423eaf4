/**
 * The bin as it ships is esbuild's bundle of dist/ (scripts/bundle.mjs, dist/bin/). The CLI tests all run it; this
 * one runs the part the small fixtures never reach: a file large enough to split (≥ 64 MiB), read by the bundled
 * worker (dist/bin/worker.js, found next to the chunk that starts it) with the bundled WebAssembly scanner, giving
 * the same analysis as one thread.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'exitlens-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled bin', () => {
  it('holds the worker and the scanner next to its chunks', () => {
    for (const f of ['exitlens.js', 'worker.js', 'scan.wasm', 'meta.json']) expect(existsSync(join(ROOT, 'dist', 'bin', f)), f).toBe(true);
    expect(readFileSync(CLI, 'utf8')).toMatch(/^#!\/usr\/bin\/env -S /);
  });

  it('splits a large trace across its worker thread, with the same JSON as one thread', () => {
    const trace = join(dir, 'large.txt');
    const gen = spawnSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), '--lines', '760000', '--format', 'trace-cmd', '--out', trace], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    expect(statSync(trace).size).toBeGreaterThan(64 << 20);

    const env = { ...process.env, EXITLENS_DEBUG_PARALLEL: '1' };
    const two = spawnSync(CLI, ['analyze', '--json', '--threads', '2', trace], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).toMatch(/range 1 \[\d+, \d+\) to worker 1/);
    expect(two.stderr).toMatch(/posted by its worker/);
    expect(two.stderr).toMatch(/ranges stitched/);
    const one = spawnSync(CLI, ['analyze', '--json', '--threads', '1', trace], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr).not.toMatch(/worker/);

    const a = JSON.parse(two.stdout) as { roundTrips: { complete: number }; input: { lines: number } };
    expect(a.input.lines).toBe(760000 + 1);
    expect(a.roundTrips.complete).toBeGreaterThan(100000);
    expect(two.stdout).toBe(one.stdout);
  }, 60_000);
});

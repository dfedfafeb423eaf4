/** The stderr progress bar: only on a terminal, only for long inputs, ≤ 10 redraws a second, rate and ETA. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatEta, inputSize, PROGRESS_MIN_BYTES, ProgressBar, progressFor } from '../../src/cli/progress.js';
import { CLI, fixture } from '../helpers.js';

const MiB = 1024 * 1024;

function fakeTty(columns = 100) {
  const out: string[] = [];
  return { out, stream: { isTTY: true, columns, write: (s: string) => (out.push(s), true) } };
}

describe('progress bar', () => {
  it('draws bytes, percentage, rate and ETA, at most once per 100 ms, and erases itself', () => {
    const { out, stream } = fakeTty();
    let now = 0;
    const bar = new ProgressBar(stream, { total: 400 * MiB, now: () => now });
    now = 2000;
    bar.update(100 * MiB);
    expect(out).toHaveLength(1);
    const line = out[0]!;
    expect(line.startsWith('\rexitlens [')).toBe(true);
    expect(line).toContain(' 25%  100.0 MiB/400.0 MiB  50.0 MiB/s  ETA 0:06');
    expect(line.replace(/\u001b\[K$/, '').length - 1).toBeLessThanOrEqual(99);
    now = 2050;
    bar.update(101 * MiB); // within 100 ms of the last draw: skipped
    expect(out).toHaveLength(1);
    now = 2100;
    bar.update(105 * MiB);
    expect(out).toHaveLength(2);
    bar.done();
    expect(out[2]).toBe('\r\u001b[K');
  });

  it('stays silent for short inputs; for a pipe of unknown size it starts once 32 MiB were read, without ETA', () => {
    const small = fakeTty();
    const b1 = new ProgressBar(small.stream, { total: PROGRESS_MIN_BYTES - 1, now: () => 1000 });
    b1.update(PROGRESS_MIN_BYTES - 1);
    b1.done();
    expect(small.out).toEqual([]);
    const pipe = fakeTty();
    let now = 0;
    const b2 = new ProgressBar(pipe.stream, { total: null, now: () => now });
    now = 500;
    b2.update(PROGRESS_MIN_BYTES - 1);
    expect(pipe.out).toEqual([]);
    now = 1000;
    b2.update(64 * MiB);
    expect(pipe.out).toEqual(['\rexitlens  64.0 MiB read  64.0 MiB/s\u001b[K']);
  });

  it('a total that the bytes read overtake (gzip ISIZE wrapped at 4 GiB) is dropped: no percentage, no ETA', () => {
    const { out, stream } = fakeTty();
    let now = 0;
    const bar = new ProgressBar(stream, { total: 40 * MiB, now: () => now });
    now = 1000;
    bar.update(50 * MiB);
    expect(out[0]).toBe('\rexitlens  50.0 MiB read  50.0 MiB/s\u001b[K');
  });

  it('not on a terminal, or with --quiet: no bar at all', async () => {
    const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');
    const notTty = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    expect(await progressFor([lab], notTty, false)).toBeNull();
    const tty = { isTTY: true, columns: 80, write: () => true } as unknown as NodeJS.WriteStream;
    expect(await progressFor([lab], tty, true)).toBeNull();
    expect(await progressFor([lab], tty, false)).toBeInstanceOf(ProgressBar);
  });

  it('the total of a .gz input is its uncompressed size (gzip ISIZE trailer)', async () => {
    const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');
    expect(await inputSize(lab)).toBe(gunzipSync(readFileSync(lab)).length);
    const plain = fixture('public', '019-kvm-list-2023-ept-violation-deadlock-flowed.txt');
    expect(await inputSize(plain)).toBe(readFileSync(plain).length);
    expect(await inputSize('-')).toBeNull();
    expect(await inputSize('/nonexistent')).toBeNull();
  });

  it('ETA format', () => {
    expect(formatEta(5.4)).toBe('0:05');
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('--:--');
  });
});

/** util-linux `script` gives the CLI a real pseudo-terminal (stdout and stderr both land in its output). */
const HAS_SCRIPT = existsSync('/usr/bin/script');

describe.skipIf(!HAS_SCRIPT)('progress bar on a real terminal (util-linux script)', () => {
  it('a 36 MiB input shows the bar on the terminal; --quiet and a redirected stderr do not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exitlens-progress-'));
    try {
      // The real lab trace followed by 36 MiB of ftrace comment lines (counted as header lines): long enough for the
      // bar, fast to parse.
      const big = join(dir, 'long.txt');
      const pad = `#${' '.repeat(126)}\n`.repeat((36 * 1024 * 1024) / 128);
      writeFileSync(big, Buffer.concat([gunzipSync(readFileSync(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'))), Buffer.from(pad)]));
      const run = (args: string) =>
        spawnSync('script', ['-qec', `${process.execPath} ${CLI} analyze --csv mechanisms ${args} ${big}`, '/dev/null'], {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' },
          timeout: 60_000,
        });
      const shown = run('');
      expect(shown.status, `${shown.stdout.slice(-1500)}${shown.stderr}`).toBe(0);
      expect(shown.stdout).toMatch(/\rexitlens \[#*-*\] +\d+%  [\d.]+ MiB\/[\d.]+ MiB  [\d.]+ MiB\/s  ETA \d+:\d\d/);
      expect(shown.stdout).toContain('\r\u001b[K'); // erased before the report is printed
      expect(shown.stdout).toMatch(/^pio-vmm,true,2025,/m);
      const quiet = run('--quiet');
      expect(quiet.stdout).not.toContain('exitlens [');
      expect(quiet.stdout).toMatch(/^pio-vmm,true,2025,/m);
      const redirected = run('2>/dev/null');
      expect(redirected.stdout).not.toContain('exitlens [');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

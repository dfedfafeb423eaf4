/**
 * Corrupt and truncated trace.dat files: every variant either decodes or throws a TraceDatError that names the
 * section and a file offset — never another exception, never a hang. Variants are made from the real fixtures:
 * cut at many offsets, and single bytes flipped in the headers, metadata and data.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { readTraceDat, TraceDatError } from '../../src/parse/tracedat/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/tracedat/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'exitlens-tracedat-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MESSAGE = /^.+: corrupt or truncated trace\.dat: .+ at offset 0x[0-9a-f]+: .+/;
const HANG_MS = 10_000;

type Outcome = { ok: true; events: number } | { ok: false; error: TraceDatError };

async function attempt(bytes: Buffer, name: string): Promise<Outcome> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  let events = 0;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result after ${HANG_MS} ms (hang?)`)), HANG_MS);
  });
  try {
    await Promise.race([
      readTraceDat(path, () => events++, { diag: new Diagnostics([path]), fileIndex: 0 }),
      hang,
    ]);
    return { ok: true, events };
  } catch (e) {
    if (e instanceof TraceDatError) {
      expect(e.message).toMatch(MESSAGE);
      // The reader's safety net for a missed bounds check must never be what reports a corrupt file.
      expect(e.message).not.toMatch(/unexpected read past the end of a block/);
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(bytes.length);
      expect(e.section.length).toBeGreaterThan(0);
      return { ok: false, error: e };
    }
    throw new Error(`${name}: not a TraceDatError: ${(e as Error).stack ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Deterministic offsets: every byte of the first `head`, then `n` spread over the rest. */
function offsets(size: number, head: number, n: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < Math.min(head, size); i++) out.add(i);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.add(head + (x % Math.max(1, size - head)));
  }
  out.add(size - 1);
  return [...out].filter((o) => o >= 0 && o < size).sort((a, b) => a - b);
}

const FILES = ['kvm-user-v6.dat', 'kvm-kernel-v7-none.dat', 'kvm-user-v7-zstd-tsc.dat', 'sched-v7-zstd.dat', 'kvm-lost-v7-zstd.dat'];

describe('corrupt trace.dat', () => {
  for (const f of FILES) {
    const orig = readFileSync(join(FIXTURES, f));

    it(`${f}: every truncation gives a TraceDatError with section and offset`, async () => {
      const cuts = offsets(orig.length, 48, 60);
      let errors = 0;
      for (const cut of cuts) {
        const r = await attempt(orig.subarray(0, cut), `cut-${cut}-${f}`);
        if (!r.ok) errors++;
        else throw new Error(`${f} cut at ${cut} of ${orig.length} decoded without error (${r.events} events)`);
      }
      expect(errors).toBe(cuts.length);
    });

    it(`${f}: flipped bytes give a result or a TraceDatError, never a crash`, async () => {
      let errors = 0;
      let ok = 0;
      // kvm-lost-v7-zstd.dat holds the formats of every event system (2 MB of zstd-compressed text, slow to
      // decompress in pure JS), so it gets fewer variants.
      const many = f !== 'kvm-lost-v7-zstd.dat';
      for (const at of offsets(orig.length, many ? 160 : 64, many ? 80 : 40)) {
        const bad = Buffer.from(orig);
        bad[at] = bad[at]! ^ 0xff;
        const r = await attempt(bad, `flip-${at}-${f}`);
        if (r.ok) ok++;
        else errors++;
      }
      expect(errors).toBeGreaterThan(0);
      expect(errors + ok).toBeGreaterThan(many ? 200 : 90);
    });
  }

  it('names the initial header for a wrong magic and an unsupported version', async () => {
    const orig = readFileSync(join(FIXTURES, 'kvm-user-v6.dat'));
    const a = Buffer.from(orig);
    a[3] = 0x41;
    const ra = await attempt(a, 'magic.dat');
    expect(ra.ok).toBe(false);
    if (!ra.ok) expect(ra.error.message).toMatch(/initial header at offset 0x0: not a trace\.dat file/);
    const b = Buffer.from(orig);
    b[10] = 0x35; // "5"
    const rb = await attempt(b, 'version.dat');
    expect(rb.ok).toBe(false);
    if (!rb.ok) expect(rb.error.message).toMatch(/initial header at offset 0xa: file version 5 is not supported/);
  });

  it('names the CPU data for a corrupt compressed chunk', async () => {
    const orig = readFileSync(join(FIXTURES, 'sched-v7-zstd.dat'));
    // CPU data starts page-aligned: u32 chunk count, u32 compressed size, u32 size, then a zstd frame.
    const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
    let frame = -1;
    for (let at = orig.indexOf(magic); at >= 0 && frame < 0; at = orig.indexOf(magic, at + 1)) {
      if ((at - 12) % 4096 === 0) frame = at;
    }
    expect(frame).toBeGreaterThan(0);
    const bad = Buffer.from(orig);
    bad[frame] = 0;
    const r = await attempt(bad, 'zstd.dat');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/CPU \d+ data at offset 0x[0-9a-f]+: zstd data does not decompress/);
      expect(r.error.offset).toBe(frame - 8);
    }
  });
});

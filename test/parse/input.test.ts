/**
 * Reading files: the single pass (parse/input.ts) and the parallel ranges (parallel/ranges.ts) reuse a chunk's
 * memory for the chunk after next. Nothing that outlives a chunk may point into it — the one thing that did was
 * the last timestamp, decoded lazily from its bytes (timestamps.ts `release`). These tests end a trace with
 * several chunks of lines that carry no timestamp, so the chunk of the last timestamp is overwritten before the
 * end, and compare with the text read from memory (no reuse).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import { fixture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'exitlens-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The lab capture (raw ftrace, read by the block lane), then `tail` lines without a timestamp. */
function traceWithTail(tail: number): { path: string; text: string } {
  const body = gunzipSync(readFileSync(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'))).toString('utf8');
  const text = body + Array.from({ length: tail }, (_, i) => `# trailing note ${i} without any timestamp\n`).join('');
  const path = join(dir, `tail-${tail}.txt`);
  writeFileSync(path, text);
  return { path, text };
}

describe('chunk memory reused by the readers', () => {
  const { path, text } = traceWithTail(300);
  const mem = analyzeText(text, { name: path }).analysis;
  const sameAsMemory = (a: typeof mem) => expect({ ...a, input: { ...a.input, bytes: 0 } }).toEqual({ ...mem, input: { ...mem.input, bytes: 0 } });
  const LAST = '2858.453010';

  it('the trace ends with lines that carry no timestamp', () => {
    expect(mem.input.lastTimestamp).toBe(LAST);
  });

  it('single pass, chunks smaller and larger than the tail', async () => {
    for (const chunkSize of [500, 1000, 4096]) {
      const a = (await analyzeFiles([path], { chunkSize, threads: 1 })).analysis;
      expect(a.input.lastTimestamp, `chunk ${chunkSize}`).toBe(LAST);
      sameAsMemory(a);
    }
  });

  it('parallel ranges, the last one ending in the tail', async () => {
    const size = Buffer.byteLength(text);
    for (const splitAt of [[Math.floor(size / 2)], [Math.floor(size / 3), Math.floor((2 * size) / 3)]]) {
      const run = await analyzeFiles([path], { chunkSize: 1000, splitAt, stealMinBytes: Infinity });
      expect(run.parallel, `split ${splitAt.join(',')}`).not.toBeNull();
      expect(run.analysis.input.lastTimestamp, `split ${splitAt.join(',')}`).toBe(LAST);
      sameAsMemory(run.analysis);
    }
  });
});

/**
 * Integrity checks over every real fixture (Firefox `assertProfileIntegrity` style), run before any snapshot:
 * every line accounted for, every exit in exactly one category, each entry used at most once, durations ≥ 0,
 * results independent of chunk size and of sniffing vs --format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import type { RoundTrip } from '../../src/pair/round-trips.js';
import { fixture } from '../helpers.js';

const files = [
  ...readdirSync(fixture('public')).map((f) => fixture('public', f)),
  fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'),
];
const textOf = (f: string) => (f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8'));

describe.each(files)('%s', (file) => {
  const text = textOf(file);

  it('accounts for every line and every exit; entries used once; durations ≥ 0', () => {
    const entries = new Set<string>();
    let units = 0;
    const { analysis: a } = analyzeText(text, {
      onUnit: (u, src) => {
        units++;
        if (u.durNs !== null) expect(u.durNs).toBeGreaterThanOrEqual(0);
        if ('entry' in src) {
          const rt = src as RoundTrip;
          const k = `${rt.entry.source.file}:${rt.entry.source.line}`;
          expect(entries.has(k), `entry ${k} used twice`).toBe(false);
          entries.add(k);
          expect(rt.exit.source.line).toBeLessThan(rt.entry.source.line);
        }
      },
    });
    const i = a.input;
    expect(i.events + i.nonEventLines + i.unrecognizedLines).toBe(i.lines);
    expect(i.lines).toBe(text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length);
    const r = a.roundTrips;
    expect(r.complete + r.untimed + r.negative + r.discardedLost + r.orphanExits).toBe(r.exits);
    expect(r.classified + r.filtered).toBe(a.mode === 'round-trips' ? r.complete + r.untimed : r.accesses);
    expect(units).toBe(r.classified);
    const sumEvents = Object.values(i.eventCounts).reduce((s, n) => s + n, 0);
    expect(sumEvents).toBe(i.events);
  });

  it('gives identical results for tiny chunk sizes and for --format forced to the sniffed format', () => {
    const base = analyzeText(text).analysis;
    for (const chunkSize of [1, 7, 100, 4093]) {
      expect(analyzeText(text, { chunkSize }).analysis, `chunk ${chunkSize}`).toEqual(base);
    }
    const forced = analyzeText(text, { format: base.input.format as 'ftrace' }).analysis;
    expect(forced).toEqual(base);
  });

  it('reads the file from disk (and gzip) the same as from memory', async () => {
    const mem = analyzeText(text, { name: file }).analysis;
    const disk = (await analyzeFiles([file], { chunkSize: 333 })).analysis;
    expect({ ...disk, input: { ...disk.input, bytes: 0 } }).toEqual({ ...mem, input: { ...mem.input, bytes: 0 } });
  });
});

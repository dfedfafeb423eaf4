/**
 * The event stream of a text through the line handler (fast lane on or off), and the check that the two are the
 * same event by event: shared by the payload decoder and block lane tests.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { TraceEvent } from '../../src/model/events.js';
import { linesInto } from '../../src/parse/index.js';
import { LineSplitter } from '../../src/parse/lines.js';
import { TextParser } from '../../src/parse/text-parser.js';
import { TimestampParser } from '../../src/parse/timestamps.js';
import type { FormatName } from '../../src/parse/types.js';

export interface Stream {
  events: TraceEvent[];
  diagnostics: ReturnType<Diagnostics['summaries']>;
  counts: TextParser['counts'];
  eventCounts: [string, number][];
}

/**
 * Every event but the non-KVM ones (the fast lane counts those without building them), through the line handler.
 * `format` forces the layout with repair off: no sniff window, so the fast lane gets every line from the first.
 */
export function streamOf(text: string | Buffer, fast: boolean, chunkSize = 1 << 20, format: FormatName | null = null): Stream {
  const diag = new Diagnostics();
  const ts = new TimestampParser();
  const events: TraceEvent[] = [];
  const sink = (e: TraceEvent) => {
    if (e.kind !== 'other') events.push(e);
  };
  const parser = new TextParser(0, '<text>', diag, ts, sink, format, format === null);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, diag, fast, () => final));
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < buf.length; i += chunkSize) splitter.push(buf.subarray(i, Math.min(buf.length, i + chunkSize)));
  final = true;
  splitter.end();
  parser.end();
  return {
    events,
    diagnostics: diag.summaries(),
    counts: { ...parser.counts },
    eventCounts: [...parser.eventCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
}

export function expectSameStream(text: string | Buffer, chunkSize?: number, format: FormatName | null = null): number {
  const fast = streamOf(text, true, chunkSize, format);
  const slow = streamOf(text, false, chunkSize, format);
  expect(fast.events.length).toBe(slow.events.length);
  // isDeepStrictEqual per event (fast on 10^5 events); the first difference is shown by toStrictEqual.
  const bad = fast.events.findIndex((e, i) => !isDeepStrictEqual(e, slow.events[i]));
  if (bad !== -1) expect(fast.events[bad]).toStrictEqual(slow.events[bad]);
  expect(fast.diagnostics).toEqual(slow.diagnostics);
  expect(fast.counts).toEqual(slow.counts);
  expect(fast.eventCounts).toEqual(slow.eventCounts);
  return fast.events.length;
}


/**
 * Timestamps as integers, never through a float.
 *
 * Text forms:
 * - `2858.169378`      secs.usecs (trace-cmd report / perf script default, ftrace `%5lu.%06lu`): resolution 1 µs
 * - `1234.567890123`   secs.nsecs (`trace-cmd report -t`, `perf script --ns`): resolution 1 ns
 * - `117471684343752`  raw counter (trace-cmd `%12d` / ftrace `%12llu` for x86-tsc, counter, uptime): ticks
 * Seconds and fraction are parsed as separate integers and rebased on the whole second of the first timestamp of
 * the input (ts = (secs − firstSecs)·10^9 + fraction), so values stay far below 2^53 whatever the uptime. Integer counters are split into a high part (all but the last 9 digits)
 * and a low part so the same rebasing applies.
 */
import type { TimeUnit } from '../model/units.js';

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/** What a worker's parser learnt about time (posted to the main thread). */
export interface TimestampState {
  resolutionNs: number | null;
  sawTicks: boolean;
  sawFraction: boolean;
  last: string | null;
  minTs: number;
  maxTs: number;
}

export class TimestampParser {
  private baseHi: number | null = null;
  /** Smallest step seen, in ns (fractional forms) — 1000 for µs text. */
  resolutionNs: number | null = null;
  /** 'ticks' once an integer timestamp is seen. */
  unit: TimeUnit = 'ns';
  sawTicks = false;
  sawFraction = false;
  first: string | null = null;
  last: string | null = null;
  /** Largest converted value, for the span. */
  maxTs = Number.NEGATIVE_INFINITY;
  minTs = Number.POSITIVE_INFINITY;

  /** `tscGhz`: convert ticks to ns (ticks / GHz) when given. */
  constructor(private readonly tscGhz: number | null = null) {}

  /** Parse timestamp text; returns the rebased integer, or NaN when the text is not a timestamp. */
  parse(text: string): number {
    const dot = text.indexOf('.');
    let hi: number;
    let lo: number;
    if (dot === -1) {
      // Integer counter: high part = all but the last 9 digits.
      const n = text.length;
      if (n === 0 || n > 20) return Number.NaN;
      hi = n > 9 ? toInt(text, 0, n - 9) : 0;
      lo = toInt(text, Math.max(0, n - 9), n);
      if (Number.isNaN(hi) || Number.isNaN(lo)) return Number.NaN;
      this.sawTicks = true;
    } else {
      const digits = text.length - dot - 1;
      if (digits < 1 || digits > 9 || dot === 0 || dot > 12) return Number.NaN;
      hi = toInt(text, 0, dot);
      const frac = toInt(text, dot + 1, text.length);
      if (Number.isNaN(hi) || Number.isNaN(frac)) return Number.NaN;
      const step = POW10[9 - digits]!;
      lo = frac * step;
      if (this.resolutionNs === null || step < this.resolutionNs) this.resolutionNs = step;
      this.sawFraction = true;
    }
    if (this.baseHi === null) this.first = text;
    this.last = text;
    this.lastBuf = null;
    return this.rebase(hi, lo, dot === -1);
  }

  /** The shared tail of `parse` and `parseBytes`: rebase on the first whole second, convert ticks, track extremes. */
  private rebase(hi: number, lo: number, integer: boolean): number {
    this.baseHi ??= hi;
    let v = (hi - this.baseHi) * 1_000_000_000 + lo;
    if (integer && this.tscGhz !== null) v = Math.round(v / this.tscGhz);
    if (v > this.maxTs) this.maxTs = v;
    if (v < this.minTs) this.minTs = v;
    return v;
  }

  /**
   * Same as `parse` on the bytes [s, e) of an ASCII buffer (the fast lane; no string is made). NaN when the bytes
   * are not a timestamp. Must stay exactly equivalent to `parse` (test/parse/fast-lane.test.ts checks).
   */
  parseBytes(b: Uint8Array, s: number, e: number): number {
    let dot = -1;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 46) {
        if (dot !== -1) return Number.NaN;
        dot = i;
      } else if (c < 48 || c > 57) return Number.NaN;
    }
    let hi = 0;
    if (dot !== -1) {
      const digits = e - dot - 1;
      if (digits < 1 || digits > 9 || dot === s || dot - s > 12) return Number.NaN;
      for (let i = s; i < dot; i++) hi = hi * 10 + (b[i]! - 48);
      let frac = 0;
      for (let i = dot + 1; i < e; i++) frac = frac * 10 + (b[i]! - 48);
      return this.fracBytes(hi, frac, digits, b, s, e);
    }
    // Integer counter: high part = all but the last 9 digits.
    const n = e - s;
    if (n === 0 || n > 20) return Number.NaN;
    const cut = n > 9 ? e - 9 : s;
    let lo = 0;
    for (let i = s; i < cut; i++) hi = hi * 10 + (b[i]! - 48);
    for (let i = cut; i < e; i++) lo = lo * 10 + (b[i]! - 48);
    this.sawTicks = true;
    if (this.baseHi === null) this.first = latin1(b, s, e);
    this.lastStart = s;
    this.lastEnd = e;
    this.lastBuf = b;
    return this.rebase(hi, lo, true);
  }

  /**
   * `parseBytes` for a `secs.frac` timestamp the caller already split into its integer part `hi` and fraction `frac`
   * of `digits` digits (1-9; `hi` of 1-12 digits), the bytes [s, e) of `b` (the block lane of fast-lane.ts).
   */
  fracBytes(hi: number, frac: number, digits: number, b: Uint8Array, s: number, e: number): number {
    const step = POW10[9 - digits]!;
    if (this.resolutionNs === null || step < this.resolutionNs) this.resolutionNs = step;
    this.sawFraction = true;
    if (this.baseHi === null) this.first = latin1(b, s, e);
    this.lastStart = s;
    this.lastEnd = e;
    this.lastBuf = b;
    return this.rebase(hi, frac * step, false);
  }

  /**
   * The last timestamp's bytes are decoded only when asked (the fast lane parses millions), or when their chunk is
   * done with (`release`): readers reuse a chunk's memory for a later chunk.
   */
  private lastBuf: Uint8Array | null = null;
  private lastStart = 0;
  private lastEnd = 0;

  /** The chunk the last timestamp was read from is about to be reused: decode that timestamp now. */
  release(): void {
    if (this.lastBuf !== null) void this.lastText;
  }

  /** Text of the last timestamp parsed. */
  get lastText(): string | null {
    if (this.lastBuf !== null) {
      this.last = latin1(this.lastBuf, this.lastStart, this.lastEnd);
      this.lastBuf = null;
    }
    return this.last;
  }

  /**
   * Take the time base of a binary trace.dat input (its events are already integers relative to its first
   * record): resolution 1 ns (or ticks), the absolute first/last times as the reader formatted them, and the span.
   */
  adoptBinary(unit: TimeUnit, first: string, last: string, minTs: number, maxTs: number): void {
    if (unit === 'ticks') this.sawTicks = true;
    else {
      this.sawFraction = true;
      this.resolutionNs = 1;
    }
    this.first = first || null;
    this.last = last || null;
    this.lastBuf = null;
    if (minTs < this.minTs) this.minTs = minTs;
    if (maxTs > this.maxTs) this.maxTs = maxTs;
  }

  /** The unit of parsed values: ticks only for integer timestamps without a clock rate. */
  get timeUnit(): TimeUnit {
    return this.sawTicks && !this.sawFraction && this.tscGhz === null ? 'ticks' : 'ns';
  }

  /** The whole second every value is rebased on (null before the first timestamp). */
  get base(): number | null {
    return this.baseHi;
  }

  /** Take the main thread's time base (a worker reading a byte range in the middle of the input). */
  setBase(hi: number): void {
    this.baseHi = hi;
  }

  toState(): TimestampState {
    return {
      resolutionNs: this.resolutionNs,
      sawTicks: this.sawTicks,
      sawFraction: this.sawFraction,
      last: this.lastText,
      minTs: this.minTs,
      maxTs: this.maxTs,
    };
  }

  /** Fold in what a worker saw after this parser's input (its range follows). */
  mergeState(o: TimestampState): void {
    if (o.resolutionNs !== null && (this.resolutionNs === null || o.resolutionNs < this.resolutionNs)) this.resolutionNs = o.resolutionNs;
    this.sawTicks ||= o.sawTicks;
    this.sawFraction ||= o.sawFraction;
    if (o.last !== null) {
      this.last = o.last;
      this.lastBuf = null;
    }
    if (o.minTs < this.minTs) this.minTs = o.minTs;
    if (o.maxTs > this.maxTs) this.maxTs = o.maxTs;
  }

  /** Convert an absolute user time in seconds ("2858.2") to the rebased scale; null before the first timestamp. */
  rebaseSeconds(secs: string): number | null {
    if (this.baseHi === null) return null;
    const [i = '0', f = ''] = secs.split('.');
    const frac = (f + '000000000').slice(0, 9);
    return (Number(i) - this.baseHi) * 1_000_000_000 + Number(frac);
  }
}

function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

function toInt(s: string, a: number, b: number): number {
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

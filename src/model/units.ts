/**
 * Time units. Every duration inside exitlens is an integer count of the stream's unit: nanoseconds, or raw
 * counter ticks for clocks without a ns conversion (trace-cmd/ftrace `x86-tsc`, `counter`) until a clock rate is
 * known. Timestamps are parsed as separate integer parts (seconds, fraction digits) and rebased on the whole second of the first
 * timestamp of the input, never through `parseFloat(x) * 1e9` (raw ns since boot pass 2^53 after ~104 days).
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Nanoseconds (or ticks, see `TimeUnit`), integer. */
export type Ns = Brand<number, 'Ns'>;

export type TimeUnit = 'ns' | 'ticks';

export const NS_PER_US = 1000;
export const NS_PER_S = 1_000_000_000;

export function ns(n: number): Ns {
  return n as Ns;
}

/** Human-readable duration with a unit chosen per magnitude (ns, µs, ms, s). */
export function formatDuration(v: number | null, unit: TimeUnit = 'ns'): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (unit === 'ticks') return `${Math.round(v)}t`;
  const a = Math.abs(v);
  if (a < 1_000) return `${Math.round(v)}ns`;
  if (a < 1_000_000) return `${trim(v / 1_000)}µs`;
  if (a < 1_000_000_000) return `${trim(v / 1_000_000)}ms`;
  return `${trim(v / 1_000_000_000)}s`;
}

function trim(x: number): string {
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

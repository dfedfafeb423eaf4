/**
 * Unit and basis conversions for cost-model values.
 *
 * Units: ns; us (×1000); cycles ÷ clock rate in GHz (cycles per ns). Bases (background.md "Host-side versus
 * guest-side numbers"): a guest measures the whole round trip, hardware VM exit and VM entry included
 * (`guest-rtt`); a host trace measures kvm_exit → kvm_entry (`host`) and cannot see that transition, so
 *   host = guest-rtt − transition,   guest-rtt = host + transition.
 * The transition cost is a parameter (--transition-ns, default in builtin.ts); every comparison states it.
 */
import type { Basis } from '../model/analysis.js';
import type { CostModelRow, ModelUnit } from './types.js';

export const NS_PER_US = 1000;

/** A value in `unit` as ns. `clockGhz` is required for cycles. */
export function unitToNs(value: number, unit: ModelUnit, clockGhz: number | null): number {
  switch (unit) {
    case 'ns':
      return value;
    case 'us':
      return value * NS_PER_US;
    case 'cycles':
      if (clockGhz === null || !(clockGhz > 0)) throw new RangeError('cycles need a clock rate in GHz');
      return value / clockGhz;
    default: {
      const never: never = unit;
      throw new RangeError(`unknown unit ${String(never)}`);
    }
  }
}

/** Move a ns figure from one basis to another. Returns null when the result would not be positive (the model
 *  value is smaller than the transition it is supposed to contain). */
export function convertBasis(ns: number, from: Basis, to: Basis, transitionNs: number): number | null {
  if (from === to) return ns;
  const v = from === 'guest-rtt' ? ns - transitionNs : ns + transitionNs;
  return v > 0 ? v : null;
}

/** A model row's value in ns on `basis`. */
export function rowNs(row: CostModelRow, basis: Basis, transitionNs: number): number | null {
  return convertBasis(unitToNs(row.value, row.unit, row.clockGhz), row.basis, basis, transitionNs);
}

/** Printable unit: `µs` for us. */
export function unitLabel(unit: ModelUnit, clockGhz: number | null): string {
  if (unit === 'us') return 'µs';
  if (unit === 'cycles') return clockGhz === null ? 'cycles' : `cycles@${clockGhz}GHz`;
  return unit;
}

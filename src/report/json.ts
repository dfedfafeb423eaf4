/** `--json`: the analysis as versioned JSON (`exitlens/analysis@1`, see README "JSON schema"). */
import type { Analysis } from '../model/analysis.js';

export function renderJson(a: Analysis): string {
  return `${JSON.stringify(a, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/**
 * One input of `check` or `diff`: a trace (any format `analyze` reads, .gz included) or an analysis saved with
 * `analyze --json` (schema `exitlens/analysis@1`). A saved analysis is recognised by its first non-blank byte
 * (`{`): no trace format exitlens reads starts with one.
 */
import { open, readFile } from 'node:fs/promises';
import { analyzeFiles, type AnalyzeOptions } from '../analyze.js';
import { ANALYSIS_SCHEMA, type Analysis } from '../model/analysis.js';
import { FileFormatError, InputError, UsageError } from '../model/errors.js';

export interface LoadedAnalysis {
  analysis: Analysis;
  /** `trace` when analyzed now, `saved` when read from `analyze --json` output. */
  source: 'trace' | 'saved';
  files: string[];
}

/** Bytes read to decide whether a file is a saved analysis (leading whitespace of pretty JSON is short). */
const SNIFF_BYTES = 256;

async function looksLikeJson(path: string): Promise<boolean> {
  if (path === '-' || path.endsWith('.gz')) return false;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(path, `cannot open: ${err.code ?? err.message}`);
  }
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return head.startsWith('{');
  } finally {
    await fh.close();
  }
}

/** Read a saved analysis, checking its schema tag and the fields `check`/`diff` use. */
export async function readSavedAnalysis(path: string): Promise<Analysis> {
  const text = await readFile(path, 'utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(path, null, `not valid JSON: ${(e as Error).message}`);
  }
  const o = v as Partial<Analysis> | null;
  if (o === null || typeof o !== 'object' || o.schema !== ANALYSIS_SCHEMA) {
    throw new FileFormatError(
      path,
      null,
      `JSON but not an exitlens analysis (expected "schema": "${ANALYSIS_SCHEMA}", as printed by exitlens analyze --json)`,
    );
  }
  for (const k of ['input', 'roundTrips', 'mechanisms', 'exitReasons', 'vcpus', 'devices'] as const) {
    if (o[k] === undefined) throw new FileFormatError(path, null, `saved analysis has no "${k}"`);
  }
  return o as Analysis;
}

/** Analyze the paths as one trace, or read one saved analysis. */
export async function loadAnalysis(paths: readonly string[], opts: AnalyzeOptions, optionsGiven: boolean): Promise<LoadedAnalysis> {
  const first = paths[0];
  if (first === undefined) throw new UsageError('no input given');
  if (await looksLikeJson(first)) {
    if (paths.length > 1) throw new UsageError(`${first}: a saved analysis cannot be combined with other inputs`);
    if (optionsGiven) {
      throw new UsageError(
        `${first}: is a saved analysis; analysis options (filters, format, clock rate) apply to traces only — ` +
          'analyze the trace with them instead',
      );
    }
    return { analysis: await readSavedAnalysis(first), source: 'saved', files: [first] };
  }
  const run = await analyzeFiles(paths, opts);
  return { analysis: run.analysis, source: 'trace', files: [...paths] };
}

/** Helpers shared by the per-format test files. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { sniffText } from '../../src/parse/text-parser.js';
import { fixture } from '../helpers.js';

export const read = (...p: string[]): string => {
  const f = fixture(...p);
  return f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8');
};

export const sniffed = (text: string): string | null => sniffText(text.split('\n').slice(0, 400))?.format ?? null;

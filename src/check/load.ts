/**
 * Reading an expectation file: JSON (`.json`) or YAML (`.yaml`/`.yml`), validated against the schema in
 * ./schema.ts with Ajv (https://ajv.js.org, JSON Schema draft-07). Every problem is reported with the file, the
 * line and the JSON path (`/mechanisms/0/count`), and makes the file unusable (exit 2).
 *
 * Line numbers come from the `yaml` package's node ranges (https://eemeli.org/yaml, `LineCounter`); YAML 1.2 is
 * a superset of JSON, so one position map serves both formats. JSON files are first parsed with `JSON.parse` so
 * that JSON syntax errors are reported as JSON errors (YAML would accept some invalid JSON).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { FileFormatError } from '../model/errors.js';
import { EXPECTATION_JSON_SCHEMA, type Expectation } from './schema.js';

export type Syntax = 'json' | 'yaml';

export interface LoadedExpectation {
  file: string;
  syntax: Syntax;
  expectation: Expectation;
  /** The parsed document (YAML AST; also used for JSON), kept for line lookup and for `--update` of YAML. */
  doc: Document;
  /** Line (1-based) of the value at a path such as ['mechanisms', 0, 'count']; the nearest existing parent's line. */
  lineOf(path: readonly (string | number)[]): number | null;
}

/** One problem in an expectation file. */
export interface SchemaProblem {
  line: number | null;
  path: string;
  message: string;
}

/** The file is not a valid expectation file; `problems` lists every error found, each with its line. */
export class ExpectationFileError extends FileFormatError {
  override name = 'ExpectationFileError';
  constructor(
    file: string,
    readonly problems: SchemaProblem[],
  ) {
    const first = problems[0];
    super(
      file,
      first?.line ?? null,
      problems.length === 1 && first !== undefined
        ? `${first.path ? `${first.path}: ` : ''}${first.message}`
        : `${problems.length} problems:\n` +
            problems.map((p) => `  ${file}${p.line !== null ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
  }
}

/** Compiled on first use, so that commands other than `check` do not pay for it. `strictRequired` is off because
 *  the vCPU selector's `anyOf: [{required: [thread]}, …]` names properties declared next to it, not inside it. */
let validator: ValidateFunction<Expectation> | null = null;
function validator_(): ValidateFunction<Expectation> {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile<Expectation>(
    EXPECTATION_JSON_SCHEMA,
  );
  return validator;
}

export function syntaxOf(file: string): Syntax {
  const e = extname(file).toLowerCase();
  return e === '.yaml' || e === '.yml' ? 'yaml' : 'json';
}

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parse and validate an expectation file held in memory. */
export function parseExpectation(file: string, text: string): LoadedExpectation {
  const syntax = syntaxOf(file);
  if (syntax === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      // V8: "Unexpected token } in JSON at position 57" or "... (line 3 column 5)".
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const lc = /line (\d+) column/.exec(msg);
      let line = lc !== null ? Number(lc[1]) : pos !== null ? lineAt(text, Number(pos[1])) : null;
      // Some V8 messages carry no position; the YAML parser usually finds the same error with one.
      if (line === null) line = parseDocument(text, { prettyErrors: true }).errors[0]?.linePos?.[0].line ?? null;
      throw new ExpectationFileError(file, [{ line, path: '', message: `not valid JSON: ${msg}` }]);
    }
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ExpectationFileError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0].line ?? lineAt(text, e.pos[0]),
        path: '',
        message: `not valid ${syntax === 'json' ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0] ?? e.message}`,
      })),
    );
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });

  const lineOf = (path: readonly (string | number)[]): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node !== undefined && node !== null && typeof node === 'object' && node.range !== undefined) {
        return counter.linePos(node.range[0]).line;
      }
    }
    return null;
  };
  /** Line of a key inside the map at `path` (for "unknown key" errors). */
  const lineOfKey = (path: readonly (string | number)[], key: string): number | null => {
    const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key) && pair.key.value === key && pair.key.range !== undefined && pair.key.range !== null) {
          return counter.linePos(pair.key.range[0]).line;
        }
      }
    }
    return lineOf(path);
  };

  const validate = validator_();
  if (!validate(value)) {
    throw new ExpectationFileError(file, describeErrors(validate.errors ?? [], lineOf, lineOfKey));
  }
  return { file, syntax, expectation: value, doc, lineOf };
}

export async function loadExpectation(file: string): Promise<LoadedExpectation> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ExpectationFileError(file, [{ line: null, path: '', message: `cannot read the expectation file: ${err.code ?? err.message}` }]);
  }
  return parseExpectation(file, text);
}

function segments(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Turn Ajv's errors into one readable problem per place. An `anyOf` failure also reports each branch's failure;
 * those are folded into the `anyOf` node's description ("a number (exact) or {min, max}").
 */
function describeErrors(
  errors: ErrorObject[],
  lineOf: (p: readonly (string | number)[]) => number | null,
  lineOfKey: (p: readonly (string | number)[], k: string) => number | null,
): SchemaProblem[] {
  const anyOfSchemas = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const segs = segments(e.instancePath);
    const path = e.instancePath || '/';
    let message: string;
    let line = lineOf(segs);
    if (e.keyword === 'anyOf') {
      const desc = (e.parentSchema as { description?: string } | undefined)?.description;
      message = `must be ${desc ?? 'one of the allowed forms'}; got ${JSON.stringify(e.data)}`;
    } else if (anyOfSchemas.some((s) => e.schemaPath.startsWith(s))) {
      continue; // a branch of an anyOf reported above
    } else if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      message = `unknown key "${key}"${allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : ''}`;
      line = lineOfKey(segs, key);
    } else if (e.keyword === 'required') {
      message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(e.data)}`;
    } else {
      message = `${e.message ?? e.keyword}; got ${JSON.stringify(e.data)}`;
    }
    const k = `${path}\u0000${message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ line, path, message });
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

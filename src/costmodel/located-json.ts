/**
 * A small JSON reader that remembers where things are: the line of every object/array and of every object key,
 * so a model-file error can say `model.json:14: unit "ms" …` (JSON.parse only gives a character offset, and
 * only for syntax errors). Grammar as RFC 8259; strings and numbers are decoded by JSON.parse on their exact
 * source slice, so escapes and number forms behave exactly as in the standard parser.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${detail} (line ${line}, column ${column})`);
  }
}

export interface LocatedJson {
  value: JsonValue;
  /** Line (1-based) where an object or array value starts. */
  lineOf(node: object): number | null;
  /** Line of a key inside an object. */
  keyLine(node: object, key: string): number | null;
}

// Number grammar of RFC 8259 §6, anchored at the parse position (sticky).
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseLocatedJson(text: string): LocatedJson {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineAt = (pos: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const fail = (pos: number, detail: string): never => {
    const line = lineAt(pos);
    throw new JsonSyntaxError(line, pos - lineStarts[line - 1]! + 1, detail);
  };
  const lines = new WeakMap<object, number>();
  const keys = new WeakMap<object, Map<string, number>>();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 BOM some editors write

  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          return fail(start, 'bad string');
        }
      }
      if (c === 92) i += 2;
      else if (c < 32) fail(i, 'control character in a string');
      else i++;
    }
    return fail(start, 'unterminated string');
  };
  const value = (): JsonValue => {
    ws();
    if (i >= text.length) fail(i, 'unexpected end of input');
    const c = text[i]!;
    if (c === '{') {
      const obj: { [k: string]: JsonValue } = {};
      const km = new Map<string, number>();
      lines.set(obj, lineAt(i));
      keys.set(obj, km);
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i, 'expected a "quoted" key');
        const kpos = i;
        const k = str();
        if (km.has(k)) fail(kpos, `duplicate key "${k}"`);
        km.set(k, lineAt(kpos));
        ws();
        if (text[i] !== ':') fail(i, 'expected ":"');
        i++;
        obj[k] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(i, 'expected "," or "}"');
      }
    }
    if (c === '[') {
      const arr: JsonValue[] = [];
      lines.set(arr, lineAt(i));
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(i, 'expected "," or "]"');
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail(i, `unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    return Number(m[0]);
  };

  const v = value();
  ws();
  if (i < text.length) fail(i, 'unexpected text after the JSON value');
  return {
    value: v,
    lineOf: (node) => lines.get(node) ?? null,
    keyLine: (node, key) => keys.get(node)?.get(key) ?? null,
  };
}

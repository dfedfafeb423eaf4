/**
 * Expanding the expectation-file arguments of `exitlens check`: a file, a directory (its *.json, *.yaml and
 * *.yml files), or a glob with `*`, `?`, `[...]`, `{a,b}` and `**` (any depth), expanded here because CI
 * configurations and npm scripts often quote the pattern (Node 20 has no `fs.glob`). Matches are sorted so runs
 * are reproducible. Dot-files and `node_modules` are not entered by wildcards, as in shells and fast-glob.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const MAGIC = /[*?[{]/;
export const EXPECTATION_EXTENSIONS = /\.(json|ya?ml)$/i;

/** One path segment of a glob → a RegExp over a directory entry's name. */
function segmentRegex(seg: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function entries(dir: string): Promise<{ name: string; dir: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, dir: d.isDirectory() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

async function walk(base: string, segs: readonly string[], out: string[]): Promise<void> {
  const [seg, ...rest] = segs;
  if (seg === undefined) return;
  if (seg === '**') {
    await walk(base, rest, out); // zero directories
    for (const e of await entries(base || '.')) {
      if (e.dir && !e.name.startsWith('.') && e.name !== 'node_modules') await walk(join(base, e.name), segs, out);
    }
    return;
  }
  if (!MAGIC.test(seg)) {
    const p = base === '' ? seg : join(base, seg);
    if (rest.length === 0) {
      if (!(await isDir(p))) {
        try {
          await stat(p);
          out.push(p);
        } catch {
          /* no match */
        }
      }
    } else await walk(p, rest, out);
    return;
  }
  const re = segmentRegex(seg);
  for (const e of await entries(base || '.')) {
    if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
    if (!re.test(e.name)) continue;
    const p = base === '' ? e.name : join(base, e.name);
    if (rest.length === 0) {
      if (!e.dir) out.push(p);
    } else if (e.dir) await walk(p, rest, out);
  }
}

export interface Expanded {
  files: string[];
  /** Arguments that matched nothing (a missing file is kept in `files` so that reading it reports the error). */
  unmatched: string[];
}

export async function expandExpectationArgs(args: readonly string[]): Promise<Expanded> {
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const arg of args) {
    if (await isDir(arg)) {
      const found = (await entries(arg)).filter((e) => !e.dir && EXPECTATION_EXTENSIONS.test(e.name)).map((e) => join(arg, e.name));
      if (found.length === 0) unmatched.push(arg);
      files.push(...found);
      continue;
    }
    if (!MAGIC.test(arg)) {
      files.push(arg);
      continue;
    }
    const absolute = arg.startsWith('/');
    const segs = arg.split('/').filter((s, i) => s !== '' || i === 0);
    const found: string[] = [];
    if (absolute) await walk('/', segs.slice(1), found);
    else await walk('', segs, found);
    const unique = [...new Set(found)].sort();
    if (unique.length === 0) unmatched.push(arg);
    files.push(...unique);
  }
  return { files: [...new Set(files)], unmatched };
}

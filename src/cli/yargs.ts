/**
 * yargs without its help-only start-up cost (issue #5).
 *
 * yargs' ESM entry (`yargs/index.mjs` → `lib/platform-shims/esm.mjs`, yargs 18.2) imports cliui, wrap-ansi and two
 * copies of string-width at start-up; string-width builds an `Intl.Segmenter` and Unicode-property regexes when it
 * is evaluated. Together that is ~60 ms of CPU per run (measured: a 1-line `analyze` 320 → 260 ms CPU), and all
 * of it serves only the help text. This loader builds yargs from the same factory with the same platform shim,
 * field for field, except that `cliui` and `stringWidth` are `require()`d (require(esm), unflagged and silent
 * since Node 20.19, our minimum) the first time help is rendered.
 *
 * The factory file is not in yargs' `exports`, so it is reached by URL next to the resolved entry. The shim's other
 * dependencies are imported by name only when they resolve to the very files yargs itself would get (the flat npm
 * layout); on any mismatch or failure — another yargs layout, a nested dependency — the stock `yargs` entry is
 * used, which behaves the same and only starts slower. test/cli/yargs.test.ts holds the two to the same help
 * text, parse results and messages.
 */
import { notStrictEqual, strictEqual } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type { Argv } from 'yargs';

/** What `import yargs from 'yargs'` gives: argv in, a parser out. */
export type YargsFactory = (processArgs?: readonly string[] | string, cwd?: string) => Argv;

/** Which loader produced the factory (tests; a fallback is not an error). */
export let yargsLoader: 'lazy-help' | 'stock' | null = null;

/** The packages yargs' ESM shim imports eagerly and we import too; each must resolve to the file yargs would get. */
const EAGER_DEPS = ['yargs-parser', 'y18n', 'escalade/sync', 'get-caller-file'] as const;

type Fn = (...args: never[]) => unknown;

async function lazyHelpYargs(): Promise<YargsFactory> {
  const entryUrl = import.meta.resolve('yargs'); // …/node_modules/yargs/index.mjs
  const fromYargs = createRequire(fileURLToPath(entryUrl));
  const fromHere = createRequire(import.meta.url);
  for (const d of EAGER_DEPS) {
    if (fromYargs.resolve(d) !== fromHere.resolve(d)) throw new Error(`${d} is not the copy yargs uses`);
  }
  const [factory, argvMod, parser, y18nMod, escalade, callerFile] = (await Promise.all([
    import(new URL('./build/lib/yargs-factory.js', entryUrl).href),
    import(new URL('./build/lib/utils/process-argv.js', entryUrl).href),
    ...EAGER_DEPS.map((d) => import(d)),
  ])) as [
    { YargsFactory: (shim: unknown) => YargsFactory },
    { getProcessArgvBin: Fn },
    { default: unknown },
    { default: (opts: { directory: string; updateFiles: boolean }) => unknown },
    { default: unknown },
    { default: (position: number) => string },
  ];
  if (typeof factory.YargsFactory !== 'function' || typeof argvMod.getProcessArgvBin !== 'function') {
    throw new Error('unexpected yargs layout');
  }
  // The stock shim's own location: its paths (package.json search, locales, require) are relative to it.
  const shimFile = fileURLToPath(new URL('./lib/platform-shims/esm.mjs', entryUrl));
  const mainFilename = shimFile.substring(0, shimFile.lastIndexOf('node_modules'));
  const getCallerFile = callerFile.default;
  let cliui: Fn | null = null;
  let stringWidth: ((s: string) => number) | null = null;
  // Mirrors yargs 18.2 lib/platform-shims/esm.mjs; only cliui and stringWidth differ (loaded on first use).
  const shim = {
    assert: { notStrictEqual, strictEqual },
    cliui: (opts: never) => {
      cliui ??= fromYargs('cliui') as Fn;
      return cliui(opts);
    },
    findUp: escalade.default,
    getEnv: (key: string) => process.env[key],
    inspect,
    getProcessArgvBin: argvMod.getProcessArgvBin,
    mainFilename: mainFilename || process.cwd(),
    Parser: parser.default,
    path: { basename, dirname, extname, relative, resolve, join },
    process: {
      argv: () => process.argv,
      cwd: process.cwd,
      emitWarning: (warning: string, type: string) => process.emitWarning(warning, type),
      execPath: () => process.execPath,
      exit: (code: number) => {
        process.exit(code);
      },
      nextTick: process.nextTick,
      stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
    },
    readFileSync,
    readdirSync,
    require: createRequire(shimFile),
    getCallerFile: () => {
      const f = getCallerFile(3);
      return /^file:\/\//.test(f) ? fileURLToPath(f) : f;
    },
    stringWidth: (s: string) => {
      stringWidth ??= (fromYargs('string-width') as { default: (s: string) => number }).default;
      return stringWidth(s);
    },
    y18n: y18nMod.default({ directory: resolve(shimFile, '../../../locales'), updateFiles: false }),
  };
  return factory.YargsFactory(shim);
}

/** yargs with help-only modules loaded on first use; the stock entry when that cannot be done safely. */
export async function loadYargs(): Promise<YargsFactory> {
  try {
    const y = await lazyHelpYargs();
    yargsLoader = 'lazy-help';
    return y;
  } catch {
    yargsLoader = 'stock';
    return (await import('yargs')).default as unknown as YargsFactory;
  }
}

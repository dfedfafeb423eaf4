/**
 * The command line as it ships (issue #5): `dist/bin/`, built from tsc's `dist/` by esbuild.
 *
 * Why: Node's ES module loader pays per file — resolve, read, compile, link — and `exitlens analyze` loads some 60
 * of this package's modules on the main thread and again in each worker thread; bundled, the main thread of a text
 * `analyze` loads 25 files. On the 2-core VM (interleaved pairs against tsc's modules): a 65 KB trace −23 ms median
 * (0.29 → 0.27 s), the 10M-line benchmark trace −267 ms median, and a worker is ready ~14 ms sooner. The code that
 * runs is the same (a warmed-up range parses no faster): the gain is in each thread's start and first pass. README,
 * Performance, has the figures.
 *
 * Layout: one flat folder, because the code finds its files next to itself (`new URL('./x', import.meta.url)`):
 * - `exitlens.js`: the bin (src/cli/index.ts, its shebang kept), `worker.js`: the worker thread
 *   (src/parallel/worker.ts), the two sharing chunks; each command's modules stay a chunk of their own, loaded when
 *   that command runs, as in dist/ (code splitting keeps every dynamic `import()`);
 * - `scan.wasm`: the WebAssembly scanner (src/parse/block-scanner.ts loads `./scan.wasm`);
 * - `meta.json`: esbuild's metafile, which chunk holds which module (test/cli/startup.test.ts reads it);
 * - `*.js.map`: source maps back to src/ (through tsc's maps).
 * npm packages stay outside the bundle (they load from node_modules; yargs' loader relies on that layout), except
 * the two every analysis runs (`BUNDLED`).
 * The library (`dist/index.js`) and the tests use tsc's modules.
 */
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * npm packages bundled into the chunks, all others stay external. Both are on the path of every `analyze`, in the
 * main thread and in each worker thread, and load cheaper bundled: hdr-histogram-js is CommonJS, eight files
 * reached through `require` chains (each resolved, read, lexed for its exports and compiled); simple-statistics is
 * one 167 KB ES module of which three functions are used (esbuild keeps only those).
 */
const BUNDLED = ['hdr-histogram-js', 'simple-statistics'];

/** esbuild's `packages: 'external'`, except for the packages named. */
function externalPackagesBut(names) {
  return {
    name: 'external-packages-but',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || args.kind === 'entry-point') return undefined;
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        return names.includes(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'bin');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { exitlens: join(dist, 'cli', 'index.js'), worker: join(dist, 'parallel', 'worker.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalPackagesBut(BUNDLED)],
  outdir: out,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(dist, 'parse', 'scan.wasm'), join(out, 'scan.wasm'));
writeFileSync(join(out, 'meta.json'), JSON.stringify(result.metafile, null, 1));
chmodSync(join(out, 'exitlens.js'), 0o755);

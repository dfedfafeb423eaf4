/**
 * CLI start-up (issue #5): which modules a run loads, and that the lazily-loaded pieces behave as before.
 * - `--version` alone answers without yargs; `analyze` of a text trace loads neither the HTML report, nor Ajv/yaml
 *   (check files), nor csv-parse (CSV model files), nor yargs' help modules (cliui, string-width), nor node:zlib;
 *   each of those still loads when it is needed (--help, --html, a CSV model, a .gz trace).
 * - The yargs built by src/cli/yargs.ts (help modules on first use) gives the same help text as the stock entry.
 * - The bin, run through its shebang, never makes Node read NODE_EXTRA_CA_CERTS (~70 ms at every start).
 * Loaded modules are observed in a child process: ESM resolutions through a module.register() resolve hook,
 * CommonJS loads through NODE_DEBUG=module; a file of the bundled bin counts as the dist/ modules it holds (its
 * metafile). Runs the built bin (npm test builds).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, cli, fixture, ROOT } from '../helpers.js';

const tiny = fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt');

/** Run the CLI and return every module file it loaded (ESM and CommonJS), plus its result. */
function loadedBy(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'exitlens-startup-'));
  const log = join(dir, 'resolved.txt');
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', NODE_DEBUG: 'module' },
    cwd: dir,
  });
  const cjs = [...r.stderr.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((m) => m[1] ?? '');
  const esm = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // The bin is bundled (scripts/bundle.mjs): a loaded file of dist/bin/ stands for the modules esbuild put in it.
  const bundled = esm.flatMap((u) => Object.keys(bundle.outputs[relative(ROOT, u.startsWith('file:') ? fileURLToPath(u) : u)]?.inputs ?? {}));
  const files = [...esm, ...bundled, ...cjs].join('\n');
  return { code: r.status, stdout: r.stdout, files, dir };
}

/** esbuild's metafile of the bundled bin: which dist/ modules each file of dist/bin/ holds. */
const bundle = JSON.parse(readFileSync(join(ROOT, 'dist', 'bin', 'meta.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};

describe('CLI start-up', () => {
  it('--version alone answers without loading yargs or any command, like yargs would', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = loadedBy(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.files).not.toMatch(/node_modules\/yargs|cli\/commands|dist\/analyze\.js/);
    // Through yargs (any other argument list) the answer is the same.
    expect(cli(['analyze', '--version']).stdout).toBe(`${pkg.version}\n`);
  });

  it('analyze of a text trace loads the pipeline but no HTML report, check-file, CSV-model or help modules', () => {
    const r = loadedBy(['analyze', '--quiet', tiny]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pio-vmm/);
    expect(r.files).toMatch(/dist\/analyze\.js/);
    expect(r.files).toMatch(/dist\/report\/text\.js/);
    for (const lazy of [
      /dist\/report\/html\.js/,
      /dist\/report\/markdown\.js/,
      /dist\/check\/run\.js/,
      /node_modules\/ajv\//,
      /node_modules\/yaml\//,
      /node_modules\/csv-parse\//,
      /node_modules\/cliui\//,
      /node_modules\/string-width\//,
      /^node:zlib$/m,
    ]) {
      expect(r.files).not.toMatch(lazy);
    }
  });

  it('the bin run through its shebang drops NODE_EXTRA_CA_CERTS before Node starts (Node reads it at start-up)', () => {
    // Node warns on stderr when the file it names cannot be read; `node dist/cli/index.js` (no shebang) still does.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(tmpdir(), 'exitlens-no-such-ca.pem') };
    const viaNode = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', env });
    expect(viaNode.stderr).toMatch(/extra certs/i);
    const viaBin = spawnSync(CLI, ['--version'], { encoding: 'utf8', env });
    expect(viaBin.status).toBe(0);
    expect(viaBin.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(viaBin.stderr).toBe('');
  });

  it('the lazily loaded modules still load when needed: --help, --html, a CSV model, check', () => {
    const help = loadedBy(['analyze', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--transition-ns/);
    expect(help.files).toMatch(/node_modules\/cliui\//);

    const html = join(mkdtempSync(join(tmpdir(), 'exitlens-startup-')), 'r.html');
    const h = loadedBy(['analyze', '--quiet', '--html', html, tiny]);
    expect(h.code).toBe(0);
    expect(h.files).toMatch(/dist\/report\/html\.js/);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>/i);

    const model = join(mkdtempSync(join(tmpdir(), 'exitlens-startup-')), 'm.csv');
    writeFileSync(model, '# name: t\nmechanism,value,unit,basis\npio-vmm,55,us,host\n');
    const m = loadedBy(['analyze', '--quiet', '--json', '--model', model, tiny]);
    expect(m.code).toBe(0);
    expect(m.files).toMatch(/node_modules\/csv-parse\//);
    expect(JSON.parse(m.stdout).model.model.name).toBe('t');

    const gz = loadedBy(['analyze', '--quiet', join(ROOT, 'fixtures', 'lab', 'tracefs-user-kvm-pvm.txt.gz')]);
    expect(gz.code).toBe(0);
    expect(gz.files).toMatch(/^node:zlib$/m);

    const c = loadedBy(['check', join(ROOT, 'fixtures', 'expect', 'public-020-jailhouse-trace-cmd.yaml')]);
    expect(c.code).toBe(0);
    expect(c.files).toMatch(/node_modules\/ajv\//);
    expect(c.files).toMatch(/node_modules\/yaml\//);
  });

  it('the help-lazy yargs renders the same help as the stock yargs entry', () => {
    const url = (p: string) => pathToFileURL(join(ROOT, 'dist', 'cli', p)).href;
    const script = `
      const { loadYargs } = await import(${JSON.stringify(url('yargs.js'))});
      const { exitlensParser } = await import(${JSON.stringify(url('parser.js'))});
      const lazy = await loadYargs();
      const { yargsLoader } = await import(${JSON.stringify(url('yargs.js'))});
      const stock = (await import('yargs')).default;
      const cases = [['--help'], ['-h'], ['analyze', '--help'], ['export', '--help'], ['check', '--help'],
        ['diff', '--help'], ['model', '--help'], ['model', 'fit', '--help'], ['model', 'show', '--help']];
      const out = [];
      for (const c of cases) {
        const text = [];
        for (const f of [lazy, stock]) {
          text.push(await new Promise((res) => exitlensParser(f, c).exitProcess(false).parse(c, {}, (_e, _a, o) => res(o))));
        }
        out.push({ c, lazy: text[0], stock: text[1] });
      }
      process.stdout.write(JSON.stringify({ yargsLoader, out }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { yargsLoader, out } = JSON.parse(r.stdout) as {
      yargsLoader: string;
      out: { c: string[]; lazy: string; stock: string }[];
    };
    // In this repository's (flat npm) layout the fast loader is the one used.
    expect(yargsLoader).toBe('lazy-help');
    expect(out).toHaveLength(9);
    for (const o of out) {
      expect(o.lazy.length, o.c.join(' ')).toBeGreaterThan(200);
      expect(o.lazy, o.c.join(' ')).toBe(o.stock);
    }
    expect(out.find((o) => o.c[0] === 'analyze')?.lazy).toMatch(/--transition-ns/);
  });
});

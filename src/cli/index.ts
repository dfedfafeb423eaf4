#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --min-semi-space-size=16
/**
 * exitlens command line (the parser and its commands: ./parser.ts, ./commands/).
 * Exit codes: 0 success, 1 a check failed, 2 usage or unreadable input.
 *
 * The shebang (`env -S` splits the line: GNU coreutils ≥ 8.30, BSD/macOS env):
 * - `--min-semi-space-size=16`: V8 starts the young generation small and doubles it some seconds into a long run, so
 *   peak RSS depended on how long the trace was (measured: 123 MB for 1 GB, 157 MB for 4 GB of text with two
 *   threads). Starting at the size V8 settles on anyway keeps memory flat whatever the trace length (161/162 MB) and
 *   saves the early scavenges.
 * - `-u NODE_EXTRA_CA_CERTS`: Node 20 reads and parses that certificate file when the process starts, before any
 *   script runs — ~70 ms on the 2-core VM for the system bundle (220 KB) the variable names there: `node -e 0` takes
 *   0.10 s with it, 0.03 s without. exitlens opens no network connection and starts no process, so the variable can
 *   only cost it time; every run starts that much sooner where it is set (corporate proxies and CI images set it).
 *
 * Start-up (issue #5): this file imports nothing but the version statically. `exitlens --version` alone answers
 * without loading yargs; otherwise yargs (./yargs.ts: its help-only modules load on first help) and the command
 * definitions load, and each command imports its pipeline, parsers and renderers inside its handler, so only the
 * command that runs pays for them. `analyze` of one large file first starts its worker threads (../parallel/pool.ts),
 * which boot on the idle cores meanwhile.
 */
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<void> {
  const [yargs, { exitlensParser }] = await Promise.all([import('./yargs.js').then((m) => m.loadYargs()), import('./parser.js')]);
  await exitlensParser(yargs, argv).parseAsync();
}

// What yargs' hideBin returns under plain node: the arguments after the script.
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // The answer yargs' .version() gives, without loading yargs and the commands.
  process.stdout.write(`${VERSION}\n`);
} else {
  // A run that will split one large file starts its worker threads now, so they boot while this thread loads.
  if (args[0] === 'analyze') (await import('../parallel/pool.js')).prewarmFor(args.slice(1));
  main(args).catch((e: unknown) => {
    process.stderr.write(`exitlens: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  });
}

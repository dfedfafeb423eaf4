/**
 * The exitlens argument parser: the commands (./commands, one yargs CommandModule per file, Firefox Profiler
 * style), global options, and the usage-error handler (exit code 2). Built on whichever yargs factory it is given
 * (./yargs.ts: normally the one whose help-only modules load on first help), so tests can build it on the stock
 * yargs too and compare.
 */
import type { Argv } from 'yargs';
import { VERSION } from '../version.js';
import { analyzeCommand } from './commands/analyze.js';
import { checkCommand } from './commands/check.js';
import { diffCommand } from './commands/diff.js';
import { exportCommand } from './commands/export.js';
import { modelCommand } from './commands/model.js';
import { EXIT_USAGE } from './common.js';
import type { YargsFactory } from './yargs.js';

/** The configured parser for `argv` (the arguments after the script); run it with `.parseAsync()`. */
export function exitlensParser(yargs: YargsFactory, argv: string[]): Argv {
  const y = yargs(argv);
  skipHelpCache(y);
  return y
    .scriptName('exitlens')
    .usage('$0 <command> [options]\n\nKVM exit traces → which guest→host mechanism each round trip used and what it cost.')
    .command(analyzeCommand)
    .command(exportCommand)
    .command(checkCommand)
    .command(diffCommand)
    .command(modelCommand)
    .demandCommand(1, 'Name a command: analyze, export, check, diff, model (see --help).')
    .strict()
    .recommendCommands()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err, y) => {
      // yargs' own parse errors (an option given without its value: "Not enough arguments following: html") come as
      // a YError; any other error is a command's, and its handler reports it.
      if (err !== undefined && err !== null && err.name !== 'YError') throw err;
      process.stderr.write(`${y.help() ? '' : ''}exitlens: ${msg ?? err?.message}\nRun "exitlens --help" for usage.\n`);
      process.exit(EXIT_USAGE);
    });
}

/**
 * yargs renders the whole help text of a command (cliui + wrap-ansi over every option) each time the command runs,
 * only to cache it for a later `showHelp()` from inside a handler (yargs 18 build/lib/command.js,
 * `handleValidationAndGetResult` → `usage.cacheHelpMessage()`). exitlens never calls showHelp after parsing (--help
 * and -h render afresh; our .fail() prints no help), so that rendering (~25 ms of CPU per run, and the reason the
 * help modules would load at all) is skipped. Reached through yargs' `getInternalMethods()`; when a future yargs
 * lacks it, nothing is changed.
 */
function skipHelpCache(y: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internal = (y as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

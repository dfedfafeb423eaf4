#!/usr/bin/env node
/**
 * exitlens command line: one yargs CommandModule per file in ./commands (Firefox Profiler style).
 * Exit codes: 0 success, 1 a check failed, 2 usage or unreadable input.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import { analyzeCommand } from './commands/analyze.js';
import { exportCommand } from './commands/export.js';
import { checkCommand } from './commands/check.js';
import { diffCommand } from './commands/diff.js';
import { modelCommand } from './commands/model.js';
import { EXIT_USAGE } from './common.js';

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
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
      if (err !== undefined && err !== null) throw err;
      process.stderr.write(`${y.help() ? '' : ''}exitlens: ${msg}\nRun "exitlens --help" for usage.\n`);
      process.exit(EXIT_USAGE);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch((e: unknown) => {
  process.stderr.write(`exitlens: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(70);
});

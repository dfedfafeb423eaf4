/**
 * `exitlens model list | show NAME|FILE | fit <files..>`: the built-in cost models with their sources, one model
 * in detail (values converted to both bases), and a model of this host fitted from a calibration trace
 * (src/costmodel/fit.ts), written as a file that `analyze --model FILE` reads.
 * Model loading (csv-parse), the fitter, the pipeline and the renderers load inside the handlers (CLI start-up, issue #5).
 */
import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { BUILTIN_MODELS, DEFAULT_TRANSITION } from '../../costmodel/builtin.js';
import type { Transition } from '../../costmodel/types.js';
import { UsageError } from '../../model/errors.js';
import { analyzeOptionsOf, EXIT_OK, out, reportError, withInputOptions, type InputArgs } from '../common.js';

/** The modules `model` subcommands run with, loaded on first use. */
async function modelModules() {
  const [load, report, style] = await Promise.all([
    import('../../costmodel/load.js'),
    import('../../report/model.js'),
    import('../style.js'),
  ]);
  return { ...load, ...report, ...style };
}

function transitionOf(ns: number | undefined, fallback: Transition | null): Transition {
  if (ns === undefined) return fallback ?? DEFAULT_TRANSITION;
  if (!(ns >= 0)) throw new UsageError('--transition-ns must be a non-negative number of ns');
  return { ns, source: '--transition-ns' };
}

const listCommand: CommandModule<object, { json: boolean }> = {
  command: 'list',
  describe: 'list the built-in models and their sources',
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print as JSON' }) as unknown as Argv<{ json: boolean }>,
  handler: async (a) => {
    try {
      const { renderModelList, serializeModelJson, terminalStyle } = await modelModules();
      if (a.json) await out(`${JSON.stringify(BUILTIN_MODELS.map((m) => JSON.parse(serializeModelJson(m))), null, 2)}\n`);
      else await out(renderModelList(BUILTIN_MODELS, terminalStyle(process.stdout)));
      process.exitCode = EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};

interface ShowArgs {
  name: string;
  json: boolean;
  'transition-ns'?: number;
}

const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <name>',
  describe: 'print one model (built-in name or CSV/JSON file): values, units, bases, tolerances, sources',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'built-in model name or model file' })
      .option('json', { type: 'boolean', default: false, describe: 'print the model as a model file (JSON)' })
      .option('transition-ns', { type: 'number', describe: 'hardware exit+entry cost for the host-basis column' }) as unknown as Argv<ShowArgs>,
  handler: async (a: ArgumentsCamelCase<ShowArgs>) => {
    try {
      const { loadModel, renderModelShow, serializeModelJson, terminalStyle } = await modelModules();
      const m = loadModel(a.name);
      if (a.json) await out(serializeModelJson(m));
      else await out(renderModelShow(m, transitionOf(a['transition-ns'], m.transition), terminalStyle(process.stdout)));
      process.exitCode = EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};

interface FitArgs extends InputArgs {
  files: string[];
  output?: string;
  name?: string;
  json: boolean;
  'transition-ns'?: number;
}

const fitCommand: CommandModule<object, FitArgs> = {
  command: 'fit [files..]',
  describe: 'fit kernel / decode / userspace-hop costs from a trace and write a model of this host',
  builder: (y: Argv) =>
    withInputOptions(y)
      .positional('files', { type: 'string', array: true, default: ['-'], describe: 'trace files (.gz ok); - or none = stdin' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the fitted model here (.json, or .csv)' })
      .option('name', { type: 'string', describe: 'model name (default: from the output or trace file name)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the fit as JSON' })
      .option('transition-ns', { type: 'number', describe: `hardware exit+entry cost shown with the fit (default ${DEFAULT_TRANSITION.ns})` })
      .example('$0 model fit calib.txt -o myhost.json', 'fit, then: $0 analyze --model myhost.json trace.txt') as unknown as Argv<FitArgs>,
  handler: async (a: ArgumentsCamelCase<FitArgs>) => {
    try {
      const files = a.files.length > 0 ? a.files : ['-'];
      const transition = transitionOf(a['transition-ns'], null);
      const [{ analyzeFiles }, { FitCollector, fitComponents, modelFromFit }, { renderFit, serializeModelCsv, serializeModelJson, terminalStyle }] =
        await Promise.all([import('../../analyze.js'), import('../../costmodel/fit.js'), modelModules()]);
      const collector = new FitCollector();
      const run = await analyzeFiles(files, { ...analyzeOptionsOf(a), onUnit: collector.onUnit });
      const fit = fitComponents(collector, run.relabelUnknown, transition);
      const shown = run.analysis.input.files;
      const name =
        a.name ?? (a.output !== undefined ? basename(a.output, extname(a.output)) : `fit-${basename(shown[0] ?? 'stdin').replace(/\.(txt|gz|dat)+$/g, '')}`);
      const model = modelFromFit(fit, name, `exitlens model fit ${shown.map((f) => basename(f)).join(' ')}`);
      let written = '';
      if (a.output !== undefined) {
        const text = extname(a.output).toLowerCase() === '.csv' ? serializeModelCsv(model) : serializeModelJson(model);
        writeFileSync(a.output, text);
        written = `Wrote ${a.output}: ${model.rows.length} mechanisms, host basis` +
          `${model.rows.some((r) => r.extrapolated) ? ` (${model.rows.filter((r) => r.extrapolated).length} predicted from the components)` : ''}. ` +
          `Use it with: exitlens analyze --model ${a.output} TRACE\n`;
      }
      if (a.json) await out(`${JSON.stringify({ fit, model: JSON.parse(serializeModelJson(model)) }, null, 2)}\n`);
      else await out(renderFit(fit, shown, terminalStyle(process.stdout)) + (written ? `\n${written}` : ''));
      if (a.json && written) process.stderr.write(written);
      process.exitCode = EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};

export const modelCommand: CommandModule<object, object> = {
  command: 'model',
  describe: 'cost models: list the built-ins, show one, fit a model of your host from a trace',
  builder: (y: Argv) =>
    y
      .command(listCommand as unknown as CommandModule<object, object>)
      .command(showCommand as unknown as CommandModule<object, object>)
      .command(fitCommand as unknown as CommandModule<object, object>)
      .demandCommand(1, 'Name a model command: list, show NAME, fit TRACE (see exitlens model --help).'),
  handler: () => undefined,
};

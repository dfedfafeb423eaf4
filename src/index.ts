/**
 * exitlens library API. Everything the CLI does is available here:
 *   analyzeFiles(paths, opts) / analyzeText(text, opts) → { analysis, diagnostics }
 *   renderText / renderJson / renderCsv / renderMarkdown / renderHtml (analysis) → string
 *   loadModel / builtinModel / compareWithModel: cost models (analyze applies one when opts.model is set)
 */
export { analyzeFiles, analyzeText, type AnalyzeOptions, type AnalysisRun } from './analyze.js';
export * from './model/analysis.js';
export * from './model/classes.js';
export * from './model/events.js';
export * from './model/errors.js';
export { Diagnostics, DIAGNOSTIC_CODES, type Severity, type DiagnosticCode } from './model/diagnostics.js';
export { renderText } from './report/text.js';
export { renderJson } from './report/json.js';
export { renderCsv } from './report/csv.js';
export { renderHtml } from './report/html.js';
export { renderMarkdown } from './report/markdown.js';
export { BUILTIN_MODELS, builtinModel, DEFAULT_MODEL } from './costmodel/builtin.js';
export { loadModel, parseModelText } from './costmodel/load.js';
export { compareWithModel } from './costmodel/compare.js';
export { VERSION } from './version.js';

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
import type { Style } from '../report/text.js';
import { PLAIN } from '../report/text.js';

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function terminalStyle(stream: NodeJS.WriteStream): Style {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN;
  if (env.FORCE_COLOR === undefined && !stream.isTTY) return PLAIN;
  return {
    bold: code(1, 22),
    dim: code(2, 22),
    red: code(31, 39),
    yellow: code(33, 39),
    green: code(32, 39),
    cyan: code(36, 39),
  };
}

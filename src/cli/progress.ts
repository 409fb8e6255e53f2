import { escapeControl, writeTerminalControl } from './terminal';

/**
 * A one-line progress bar on an interactive terminal; silent in pipes and CI so logs stay clean.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  done(): void;
}

const SILENT: Progress = { update() {}, done() {} };

/** Whether progress bars should be drawn on stderr. */
export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/**
 * Draws `label [#####-----] 42% detail` on stderr, at most ten times a second.
 * @param total the amount that means 100% (bytes, rows, steps)
 */
export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!progressEnabled(stream) || total <= 0) return SILENT;
  const safeLabel = escapeControl(label);
  let last = 0;
  let drawn = false;
  const width = 24;
  return {
    update(done, detail = '') {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const share = Math.min(1, done / total);
      const filled = Math.round(share * width);
      writeTerminalControl(
        stream,
        `\r${safeLabel} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${detail}\x1b[K`,
      );
      drawn = true;
    },
    done() {
      if (drawn) writeTerminalControl(stream, '\r\x1b[K');
    },
  };
}

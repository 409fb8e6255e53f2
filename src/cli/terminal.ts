/**
 * What the CLI prints goes to a terminal, and much of it comes from files: names, headers, values,
 * reasons quoting them. A control character in any of them (`\x1b[2J` clears the screen, `\x1b]0;...`
 * retitles the window, a newline forges a line of output) must reach the terminal as visible text.
 */

/**
 * C0 controls, DEL, C1 controls, and the Unicode line separators and bidirectional overrides that
 * reorder what a terminal shows. Tab and newline are in it: `escapeControl` escapes them too.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** `CONTROL` without tab and newline, which output itself is made of. */
const CONTROL_IN_OUTPUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character written as an escape (`\x1b`, `\n`, `\u202e`): one safe line. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

type Write = NodeJS.WriteStream['write'];
const rawWrites = new WeakMap<NodeJS.WriteStream, Write>();

/**
 * Makes every later write to `stream` escape control characters other than newline and tab, whatever
 * prints it (our messages, commander, a table). Idempotent. Values should still go through
 * `escapeControl`, so that a newline inside a file name cannot forge a line.
 */
export function guardTerminalOutput(stream: NodeJS.WriteStream): void {
  if (rawWrites.has(stream)) return;
  const raw = stream.write.bind(stream) as Write;
  rawWrites.set(stream, raw);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString('utf8')
          : chunk;
    const safe = typeof text === 'string' ? text.replace(CONTROL_IN_OUTPUT, escapeOne) : text;
    return (raw as (...args: unknown[]) => boolean)(safe, ...rest);
  }) as Write;
}

/** Writes our own terminal controls (the progress bar's `\r` and erase-line), past the guard. */
export function writeTerminalControl(stream: NodeJS.WriteStream, text: string): void {
  const raw = rawWrites.get(stream);
  if (raw) raw(text);
  else stream.write(text);
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

/**
 * What `JSON.parse` would silently accept in a record but ledgerlake must not: nesting deeper than
 * `maxDepth` (the record itself is level 1; deeper values overflow the stack of the code that walks
 * them) and a key given twice in one object (`JSON.parse` keeps the last value without a word).
 * Returns the reason, or undefined when the record has neither. The text is not validated otherwise:
 * `JSON.parse` reports syntax errors.
 */
export function jsonRecordProblem(
  text: string,
  start: number,
  end: number,
  maxDepth: number,
): string | undefined {
  /** Per open container: the keys seen so far (objects), or null (arrays). */
  const keys: (Set<string> | null)[] = [];
  /** True while the next string of the innermost object is a key. */
  let expectKey = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = stringEnd(text, i + 1, end);
      if (close === -1) return undefined;
      const frame = keys.length > 0 ? keys[keys.length - 1] : null;
      if (frame && expectKey) {
        const key = decodeKey(text.slice(i + 1, close));
        if (frame.has(key)) {
          return `key ${JSON.stringify(key)} appears twice in one object, so which value is meant is ambiguous; give each key once`;
        }
        frame.add(key);
        expectKey = false;
      }
      i = close;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (keys.length >= maxDepth) {
        return `values are nested deeper than ${maxDepth} levels (objects and arrays); flatten the record`;
      }
      keys.push(c === OPEN_BRACE ? new Set() : null);
      expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      keys.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = keys.length > 0 && keys[keys.length - 1] !== null;
    } else if (c === COLON) {
      expectKey = false;
    }
  }
  return undefined;
}

/** The key a raw (still escaped) JSON string stands for. */
function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw; // an invalid escape: JSON.parse of the record reports it
  }
}

/** Index of the quote closing a string whose content starts at `from`, before `end`; or -1. */
function stringEnd(text: string, from: number, end: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1 && quote < end) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

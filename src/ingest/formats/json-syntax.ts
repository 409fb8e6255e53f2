/** A JSON syntax error: where in the text (0-based character offset) and what was expected. */
export interface JsonSyntaxProblem {
  readonly offset: number;
  readonly message: string;
}

class SyntaxProblem extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'SyntaxProblem';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPABLE = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Finds the first syntax error in `text` that `JSON.parse` rejected. V8's messages do not always carry a
 * position, and users need a line and column, so this small validator runs on the error path only.
 * Returns undefined when it finds nothing wrong.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const describe = (): string => (i >= text.length ? 'the end of the data' : JSON.stringify(text[i]));
  const fail = (message: string): never => {
    throw new SyntaxProblem(i, message);
  };
  const whitespace = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      i++;
    }
  };
  const string = (): void => {
    const open = i;
    i++;
    for (;;) {
      if (i >= text.length) {
        i = open;
        fail('unterminated string');
      }
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const escaped = text[i + 1] ?? '';
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
        } else if (ESCAPABLE.has(escaped)) i += 2;
        else fail(`invalid escape \\${escaped} in a string`);
        continue;
      }
      if (c < 0x20) fail('control character (such as a raw line break) inside a string');
      i++;
    }
  };
  const value = (): void => {
    whitespace();
    const c = text[i];
    if (c === '{') {
      i++;
      whitespace();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        whitespace();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        string();
        whitespace();
        if (text[i] !== ':') fail(`expected ':' after a property name, found ${describe()}`);
        i++;
        value();
        whitespace();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(`expected ',' or '}' after a property value, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      whitespace();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        whitespace();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(`expected ',' or ']' after an array element, found ${describe()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail(`invalid number`);
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail(`expected a value, found ${describe()}`);
  };
  try {
    value();
    whitespace();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the value`);
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxProblem) return { offset: error.offset, message: error.message };
    if (error instanceof RangeError) return { offset: 0, message: 'values are nested too deeply' };
    throw error;
  }
}

import { EnvironmentError } from './errors';

/** How one environment variable is read: required or optional, with an optional format check. */
export interface VariableSpec {
  /** @default true */
  readonly required?: boolean;
  /** A check on the value; returns what was expected when the value is bad. */
  readonly check?: (value: string) => string | undefined;
}

/** Values of the declared variables: required ones are strings, optional ones may be undefined. */
export type Environment<S extends Record<string, VariableSpec>> = {
  readonly [K in keyof S]: S[K] extends { required: false } ? string | undefined : string;
};

/**
 * Reads the declared variables once (call it at module scope: the cold start) and fails loudly with
 * every missing or malformed variable named, so a broken deployment never processes a message.
 *
 * @throws EnvironmentError listing each problem
 */
export function readEnvironment<S extends Record<string, VariableSpec>>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): Environment<S> {
  const problems: string[] = [];
  const values: Record<string, string | undefined> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') {
      if (variable.required ?? true) problems.push(`${name} is not set`);
      values[name] = undefined;
      continue;
    }
    const expected = variable.check?.(value);
    if (expected !== undefined) problems.push(`${name}=${JSON.stringify(value)} must be ${expected}`);
    values[name] = value;
  }
  if (problems.length > 0) throw new EnvironmentError(problems);
  return values as Environment<S>;
}

/** Check for S3 bucket names. */
export const bucketName = (value: string): string | undefined =>
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) ? undefined : 'an S3 bucket name';

/** Check for ARNs. */
export const arn = (value: string): string | undefined =>
  /^arn:aws[a-z-]*:[a-z0-9-]+:/.test(value) ? undefined : 'an ARN (arn:aws:...)';

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The shipped binary, as users run it. */
export const CLI = resolve('bin/ledgerlake.mjs');

/** Runs the shipped binary in `cwd`; its exit code and both output streams, whatever the code. */
export async function runCli(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliWith({ cwd }, ...args);
}

/** `runCli` with more of the process's setting: its environment on top of this one's. */
export async function runCliWith(
  options: { readonly cwd: string; readonly env?: Readonly<Record<string, string>> },
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

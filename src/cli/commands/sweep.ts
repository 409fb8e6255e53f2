import { tmpdir } from 'node:os';
import type { Command } from 'commander';
import { sweepAttempts } from '../../ingest/commit';
import { sweepStagingDirs } from '../../ingest/staging';
import { FsObjectStore } from '../../storage/fs-store';
import { lakeOption, UsageError } from '../program';
import { existingLake } from './query';

/**
 * `ledgerlake sweep [--older-than HOURS] [--json]`: settles what failed ingests left in the local lake.
 * Attempts whose process is gone are rolled back (their parts deleted) or, when they had committed,
 * finished; manifests of a lake from before commit records get theirs. Temp files of unfinished
 * writes in the lake and staging folders in the temp folder, older than `--older-than`, are removed.
 * Readers never see any of it: this frees space and keeps the lake tidy.
 */
export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description(
      'Clean up after failed or killed ingests: settle their attempts, remove their leftover temp files.',
    )
    .addOption(lakeOption())
    .option(
      '--older-than <hours>',
      'only temp files and staging folders untouched this long (a younger one may be in use; 0 when no ingest runs)',
      '24',
    )
    .option('--json', 'print what was done as JSON', false)
    .action(async (options: { lake?: string; olderThan: string; json: boolean }) => {
      const hours = Number(options.olderThan);
      if (!/^\d+$/.test(options.olderThan)) {
        throw new UsageError(`--older-than must be a whole number of hours, got '${options.olderThan}'`);
      }
      const dir = existingLake(options);
      const lake = new FsObjectStore(dir);
      const attempts = await sweepAttempts(lake);
      const olderThanMs = hours * 3_600_000;
      const tempFiles = await lake.sweepTemporaryFiles({ olderThanMs });
      const stagingDirs = await sweepStagingDirs(tmpdir(), { olderThanMs });
      const result = { ...attempts, tempFiles, stagingDirs };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      console.log(
        `attempts: ${attempts.rolledBack} rolled back, ${attempts.rolledForward} finished, ` +
          `${attempts.running} still running`,
      );
      if (attempts.backfilled > 0)
        console.log(`commit records written for ${attempts.backfilled} older manifests`);
      console.log(`removed ${tempFiles} unfinished temp files and ${stagingDirs} staging folders`);
    });
}

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectCatalogDocs, DocsError, parseDocHeader } from '../../src/docs/catalog-docs';
import { DEFAULT_SQL_DIR } from '../../src/sql/models';

describe('the docs of a model header', () => {
  it('reads the description, the grain sentence across lines and the column lines', () => {
    const header = parseDocHeader(
      [
        '-- fact_x: one thing',
        '-- per day.',
        '-- grain: one row per account per day, from the first transaction to the latest day in',
        '-- the lake, gap-filled.',
        '-- More prose that is not the grain.',
        '-- column: closing_balance: Balance at the end of the day.',
        '-- materialized: table',
        'select 1',
        '-- column: not_header: below the header',
      ].join('\n'),
      'fact_x',
    );
    expect(header).toEqual({
      description: 'one thing per day.',
      grain:
        'one row per account per day, from the first transaction to the latest day in the lake, gap-filled.',
      columns: new Map([['closing_balance', 'Balance at the end of the day.']]),
    });
  });

  it('refuses a column line naming a column the model does not output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerlake-docs-sql-'));
    try {
      const sqlDir = join(dir, 'sql');
      cpSync(DEFAULT_SQL_DIR, sqlDir, { recursive: true });
      const file = join(sqlDir, 'marts', 'dim_channel.sql');
      writeFileSync(file, `-- column: fee_pct: a typo of fee_percent\n${readFileSync(file, 'utf8')}`);
      await expect(collectCatalogDocs(sqlDir)).rejects.toThrow(DocsError);
      await expect(collectCatalogDocs(sqlDir)).rejects.toThrow(
        "sql/marts/dim_channel.sql: '-- column:' describes fee_pct, which the model does not output",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { BASE_TABLES, committedRelationSql, readsCommittedParts } from '../../src/sql/base-tables';
import {
  checkTrinoFile,
  checkTrinoGrammar,
  formatGrammarError,
  trinoSqlFiles,
} from '../../src/sql/trino-grammar';

const files = trinoSqlFiles();

describe('Trino grammar (Athena engine v3)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('checks the models of every layer and skips only the DuckDB macro pack', () => {
    const folders = new Set(files.map((file) => file.split(/[\\/]/).slice(0, -1).join('/')));

    expect([...folders]).toEqual(expect.arrayContaining(['sql/analytics', 'sql/marts', 'sql/staging']));
    expect([...folders]).not.toContain('sql/compat');
  });

  it.each(files)('accepts %s', (file) => {
    const errors = checkTrinoFile(file).map(formatGrammarError);

    expect(errors).toEqual([]);
  });

  it.each(BASE_TABLES.filter(readsCommittedParts).map((table) => [table.name, committedRelationSql(table)]))(
    'accepts the committed view of %s',
    (name, sql) => {
      expect(checkTrinoGrammar(`${name} (committed view)`, sql).map(formatGrammarError)).toEqual([]);
    },
  );

  it.each([
    ['a DuckDB cast', 'select amount::int from transactions'],
    ['QUALIFY', 'select * from transactions qualify row_number() over (order by amount) = 1'],
    ['SELECT * EXCLUDE', 'select * exclude (amount) from transactions'],
  ])('rejects %s with file, line and column', (_label, sql) => {
    vi.spyOn(console, 'error').mockImplementation(() => {}); // the parser also logs each error

    const errors = checkTrinoGrammar('probe.sql', `-- probe\n${sql}`).map(formatGrammarError);

    expect(errors[0]).toMatch(/^probe\.sql:2:\d+ \S/);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/shipped-cli';

/**
 * Issue 18: `--json` on every command, through the shipped binary: stdout is one JSON document and
 * nothing else (no prose, no progress), stderr is empty, and what it says matches what was done.
 */
let work: string;
let lake: string;
let demo: Record<string, unknown>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ledgerlake-json-'));
  lake = join(work, 'lake');
  const run = await runCli(work, 'demo', '--days', '14', '--lake', lake, '--json');
  expect([run.code, run.stderr]).toEqual([0, '']);
  demo = JSON.parse(run.stdout);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('--json on every command', () => {
  it('demo: the files, datasets, KPIs, alerts sent and report, as one document', () => {
    expect(demo).toMatchObject({ lake, days: 14, seed: expect.any(Number), unchanged: 0 });
    const datasets = demo.datasets as { dataset: string; valid: number }[];
    expect(datasets.map((d) => d.dataset)).toContain('transactions');
    expect(datasets.every((d) => d.valid >= 0)).toBe(true);
    expect((demo.kpis as unknown[]).length).toBe(3);
    const alerts = demo.alerts as { digests: { subject: string }[]; already_sent: number };
    expect(alerts.digests.length).toBeGreaterThan(0);
    expect(alerts.already_sent).toBe(0);
    const report = demo.report as { path: string; bytes: number };
    expect(statSync(report.path).size).toBe(report.bytes);
  });

  it('demo again: everything unchanged and no alert sent twice', async () => {
    const run = await runCli(work, 'demo', '--days', '14', '--lake', lake, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const again = JSON.parse(run.stdout);
    expect(again.unchanged).toBe(again.files);
    expect(again.alerts.digests).toEqual([]);
    expect(again.alerts.already_sent).toBeGreaterThan(0);
  }, 120_000);

  it('refresh: what changed (nothing) and what each model did', async () => {
    const run = await runCli(work, 'refresh', '--lake', lake, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const refresh = JSON.parse(run.stdout);
    expect(refresh.changedInputs).toEqual({});
    expect(refresh.models.map((m: { model: string }) => m.model)).toContain('fact_transactions');
    expect(refresh.models.every((m: { mode: string }) => m.mode === 'unchanged')).toBe(true);

    const rebuilt = JSON.parse((await runCli(work, 'refresh', '--lake', lake, '--rebuild', '--json')).stdout);
    expect(rebuilt.models.find((m: { model: string }) => m.model === 'fact_transactions').mode).toBe('full');
  }, 120_000);

  it('report: the file written, its size and the engine', async () => {
    const out = join(work, 'report.html');
    const run = await runCli(work, 'report', '--lake', lake, '--out', out, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual({
      path: out,
      bytes: statSync(out).size,
      seconds: expect.any(Number),
      engine: 'duckdb',
      source: expect.stringContaining(lake),
    });
  }, 60_000);

  it('docs: the page written and what it holds', async () => {
    const out = join(work, 'docs');
    const run = await runCli(work, 'docs', '--out', out, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const docs = JSON.parse(run.stdout);
    expect(docs).toEqual({
      path: join(out, 'index.html'),
      bytes: statSync(join(out, 'index.html')).size,
      models: expect.any(Number),
      relations: expect.any(Number),
    });
    expect(docs.relations).toBeGreaterThan(docs.models);
  });

  it('init: the files written', async () => {
    const project = mkdtempSync(join(work, 'project-'));
    const run = await runCli(project, 'init', '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const { written } = JSON.parse(run.stdout) as { written: string[] };
    expect(written).toHaveLength(3);
    expect(written.every((path) => existsSync(path))).toBe(true);
  });

  it('contract infer: the proposed contract and the notes to check', async () => {
    const sample = join(work, 'wires.csv');
    writeFileSync(sample, 'wire_id,sent_on,amount\nW1,2024-06-01,10.50\nW2,2024-06-02,99.00\n');
    const out = join(work, 'wires.yaml');
    const run = await runCli(work, 'contract', 'infer', sample, '--out', out, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const inferred = JSON.parse(run.stdout);
    expect(inferred.contract.name).toBe('wires');
    expect(inferred.contract.columns.map((c: { name: string }) => c.name)).toEqual([
      'wire_id',
      'sent_on',
      'amount',
    ]);
    expect(inferred.sampled).toBe(2);
    expect(inferred.written).toBe(out);
    expect(readFileSync(out, 'utf8')).toContain('wire_id');
  });
});

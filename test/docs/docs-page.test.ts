import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets/index';
import { loadDataTests } from '../../src/quality/declarations';
import { BASE_TABLE_NAMES, BASE_TABLES } from '../../src/sql/base-tables';
import { generatedModelTexts } from '../../src/sql/generated-models';
import { DEFAULT_SQL_DIR, loadModels, REPO_ROOT, referencedRelations } from '../../src/sql/models';
import { findChromium, launchChromium, VIEWPORTS } from '../report/chromium';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const chromium = findChromium();
const MISSING =
  'no Chromium found: install it with `apt-get install -y chromium` to run the docs browser test';
if (!chromium && !process.env.CI) console.warn(`docs browser test skipped: ${MISSING}`);
if (!chromium && process.env.CI) {
  describe('the docs browser test in CI', () => {
    it('has a Chromium to run in', () => {
      expect.fail(MISSING);
    });
  });
}

/** Every model file under sql/, listed from the folder itself (compat/ holds DuckDB macros, not models). */
function modelFilesOnDisk(): string[] {
  return readdirSync(DEFAULT_SQL_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'compat')
    .flatMap((entry) => readdirSync(join(DEFAULT_SQL_DIR, entry.name)).filter((f) => f.endsWith('.sql')))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();
}

/** The relations the catalog builds each model from: the models it depends on and the base tables it names. */
function catalogEdges(): string[] {
  return loadModels()
    .flatMap((model) => {
      const bases = referencedRelations(model.sql).filter((name) => BASE_TABLE_NAMES.has(name));
      return [...new Set([...model.dependsOn, ...bases])].map((from) => `${from} -> ${model.name}`);
    })
    .sort();
}

describe.skipIf(!chromium)(
  'the docs page in headless Chromium (skipped when no Chromium is installed)',
  () => {
    let outDir: string;
    let file: string;
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];
    const requests: string[] = [];

    beforeAll(async () => {
      outDir = mkdtempSync(join(tmpdir(), 'ledgerlake-docs-'));
      const { stdout } = await run(process.execPath, [CLI, 'docs', '--out', outDir], { timeout: 90_000 });
      file = join(outDir, 'index.html');
      expect(stdout).toContain(`docs written to ${file}`);
      browser = await launchChromium(chromium!);
      page = await browser.newPage({ viewport: VIEWPORTS.laptop });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => {
        if (request.url() !== `file://${file}` && !request.url().startsWith(`file://${file}#`))
          requests.push(request.url());
      });
      await page.goto(`file://${file}`);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      if (outDir) rmSync(outDir, { recursive: true, force: true });
    });

    it('loads with no console error and no request: the page is self-contained', () => {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    });

    it('documents every model file in sql/ and every dataset, reference and pipeline table', async () => {
      const sections = await page.$$eval('section[data-relation]', (nodes) =>
        nodes.map((n) => n.getAttribute('data-relation')),
      );
      const models = modelFilesOnDisk();
      expect(models.length).toBeGreaterThan(20);
      expect(sections.sort()).toEqual([...models, ...BASE_TABLES.map((t) => t.name)].sort());
      for (const dataset of DATASETS) expect(sections).toContain(dataset.name);
    });

    it('draws one node per relation and exactly the edges the catalog builds from', async () => {
      const nodes = await page.$$eval('svg.lineage a.node', (links) =>
        links.map((a) => a.getAttribute('data-node')),
      );
      const edges = await page.$$eval('svg.lineage path.edge', (paths) =>
        paths.map((p) => `${p.getAttribute('data-from')} -> ${p.getAttribute('data-to')}`),
      );
      const generated = generatedModelTexts(DATASETS).map((g) => g.name);
      expect(generated).toEqual(['int_transactions_unioned', 'int_curated_rows_per_day']);
      expect(nodes.sort()).toEqual(
        [...modelFilesOnDisk(), ...generated, ...BASE_TABLES.map((t) => t.name)].sort(),
      );
      expect(edges.sort()).toEqual(catalogEdges());
      // Worked out by hand from the SQL, so the derivation itself is checked too.
      expect(edges.filter((e) => e.endsWith('-> fact_account_daily_balance')).sort()).toEqual([
        'dim_date -> fact_account_daily_balance',
        'fact_transactions -> fact_account_daily_balance',
      ]);
      expect(edges).toContain('transactions -> int_transactions_unioned');
      expect(edges).toContain('int_transactions_unioned -> transactions_on_several_days');
    });

    it('lays the graph out left to right (datasets -> staging -> marts -> analytics -> alerts), no node over another', async () => {
      const boxes = await page.$$eval('svg.lineage a.node rect:first-of-type', (rects) =>
        rects.map((r) => {
          const box = r.getBoundingClientRect();
          return {
            layer: r.parentElement!.getAttribute('data-layer')!,
            name: r.parentElement!.getAttribute('data-node')!,
            x: box.x,
            y: box.y,
            w: box.width,
            h: box.height,
          };
        }),
      );
      const left = (layer: string) => Math.min(...boxes.filter((b) => b.layer === layer).map((b) => b.x));
      const right = (layer: string) => Math.max(...boxes.filter((b) => b.layer === layer).map((b) => b.x));
      expect(right('dataset')).toBeLessThan(left('staging'));
      expect(right('staging')).toBeLessThan(left('marts'));
      expect(right('marts')).toBeLessThan(left('analytics'));
      expect(right('analytics')).toBeLessThan(left('alerts'));
      for (const a of boxes)
        for (const b of boxes) {
          if (a === b) continue;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${a.name} overlaps ${b.name}`).toBe(false);
        }
    });

    it('takes a click on a model node to its SQL', async () => {
      await page.click('svg.lineage a.node[data-node="fact_sales"]');
      expect(await page.evaluate('location.hash')).toBe('#sql-fact_sales');
      const sql = await page.$eval('#sql-fact_sales', (pre) => pre.textContent);
      expect(sql).toBe(readFileSync(join(REPO_ROOT, 'sql/marts/fact_sales.sql'), 'utf8'));
      // Scrolled to it (sub-pixel rounding aside). A string: the project compiles without the DOM library.
      const inView = await page.evaluate(
        "(() => { const top = document.getElementById('sql-fact_sales').getBoundingClientRect().top; return top > -1 && top < window.innerHeight; })()",
      );
      expect(inView).toBe(true);
    });

    it('takes a click on a dataset node to its columns, with the contract types and descriptions', async () => {
      await page.click('svg.lineage a.node[data-node="transactions"]');
      expect(await page.evaluate('location.hash')).toBe('#table-transactions');
      const rows = await page.$$eval('section[data-relation="transactions"] table.columns tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      const contract = DATASETS.find((d) => d.name === 'transactions')!;
      expect(rows.map((r) => r[0])).toEqual(
        BASE_TABLES.find((t) => t.name === 'transactions')!.columns.map((c) => c.name),
      );
      const amount = contract.columns.find((c) => c.name === 'amount')!;
      expect(rows.find((r) => r[0] === 'amount')).toEqual(['amount', 'decimal(18,2)', amount.description]);
    });

    it("lists each model's tests and columns with types, descriptions from the header or upstream", async () => {
      const tests = loadDataTests(loadModels());
      for (const test of tests) {
        const listed = await page.$$eval(`section[data-relation="${test.model}"] li[data-test]`, (items) =>
          items.map((li) => li.getAttribute('data-test')),
        );
        expect(listed).toContain(test.name);
      }
      const columns = await page.$$eval(
        'section[data-relation="fact_account_daily_balance"] table.columns tbody tr',
        (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      expect(columns.find((r) => r[0] === 'closing_balance')).toEqual([
        'closing_balance',
        'decimal(18,2)',
        'Balance at the end of the day: opening_balance + net_change.',
      ]);
      // Not described in its header: the description comes from the contract, through staging and the fact.
      expect(columns.find((r) => r[0] === 'account_id')![2]).toBe(
        DATASETS.find((d) => d.name === 'transactions')!.columns.find((c) => c.name === 'account_id')!
          .description,
      );
    });
  },
);

import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets';
import { compileContract } from '../../src/contract/compile';

/** Cell spellings that exercise every branch of normalising and parsing, good and bad. */
const CELLS = [
  '',
  ' ',
  'null',
  'NULL',
  'Null',
  'nul',
  'x',
  ' padded ',
  'UPI',
  'Credit Card',
  'credit_card',
  'success',
  'Completed',
  'deposit',
  'usd',
  'EUR',
  'Zürich',
  '東京',
  '12.50',
  '-3',
  '0',
  '1e3',
  '0x1f',
  '15%',
  ' 15 % ',
  '0.155',
  '1234567890123456789',
  '2024-06-01',
  '2024-06-01T10:00:00Z',
  '2024-06-01T10:00:00.123Z',
  '2024-06-01 10:00:00',
  '2024-06-01t10:00:00',
  '2024-06-01T10:00:00+02:00',
  '2024-02-30T10:00:00Z',
  '2024-06-01T25:00:00Z',
  '01/06/2024',
  '06-01-2024',
  '2024/06/01',
  '1717236000000',
  '1899-01-01',
  '2031-01-01',
  'a@B.com',
  'T1',
  'C00042',
];

/** Where each field lies in the fields joined by commas, the first at `at`: start and end per field. */
function boundsOf(fields: readonly string[], at: number): Int32Array {
  const bounds = new Int32Array(2 * fields.length);
  fields.forEach((field, k) => {
    bounds[2 * k] = at;
    bounds[2 * k + 1] = at + field.length;
    at += field.length + 1;
  });
  return bounds;
}

describe('validate on cells left in the text', () => {
  for (const contract of DATASETS) {
    it(`gives exactly what validate on cut-out cells gives (${contract.name})`, () => {
      const landed = { key: `landing/${contract.name}/f.csv`, landedAt: new Date('2024-06-01T12:00:00Z') };
      // Two compilations, so one's memos never answer for the other's.
      const reference = compileContract(contract, landed);
      const inText = compileContract(contract, landed);
      const header = contract.columns.map((c) => c.name);
      const byStrings = reference.bindHeader(header);
      const byText = inText.bindHeader(header);
      let seed = 11;
      const random = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 4294967296;
      };
      const rawA: unknown[] = [];
      const rawB: unknown[] = [];
      const outA: unknown[] = [];
      const outB: unknown[] = [];
      let invalid = 0;
      let ownKeys = 0;
      // Enough rows to fill memos past their trial (8192 lookups) and see the same value many times.
      for (let row = 0; row < 9000; row++) {
        const fields = header.map(() => CELLS[Math.floor(random() * CELLS.length)]!);
        const line = `${fields.join(',')}\r\n`;
        const text = `junk,${line}more`;
        const bounds = boundsOf(fields, 5);
        expect(byStrings.extract(fields, rawA)).toBeUndefined();
        byText.extractFromText!(text, bounds, 0, rawB);
        const violationsA = reference.validate(rawA, outA);
        const violationsB = inText.validate(rawB, outB);
        expect(violationsB).toEqual(violationsA);
        expect(outB.slice(0, header.length)).toEqual(outA.slice(0, header.length));
        expect(inText.keyOf(rawB)).toEqual(reference.keyOf(rawA));
        const keyField = inText.primaryKeyIndexes.length === 1 ? inText.primaryKeyIndexes[0]! : -1;
        if (keyField >= 0 && inText.isOwnKey(text, bounds[2 * keyField]!, bounds[2 * keyField + 1]!)) {
          ownKeys++;
          expect(reference.keyOf(rawA)).toBe(fields[keyField]);
        }
        if (violationsA.length > 0) invalid++;
      }
      expect(invalid).toBeGreaterThan(0);
      // A key of one text column is hashed in place by the key pass for most cells; composite keys never.
      if (contract.primaryKey.length === 1) expect(ownKeys).toBeGreaterThan(1000);
      else expect(ownKeys).toBe(0);
    });
  }
});

describe('value codes', () => {
  for (const contract of DATASETS) {
    it(`give each code of a column one value (${contract.name})`, () => {
      const landed = { key: `landing/${contract.name}/f.csv`, landedAt: new Date('2024-06-01T12:00:00Z') };
      const compiled = compileContract(contract, landed);
      const header = contract.columns.map((c) => c.name);
      const binding = compiled.bindHeader(header);
      const codes = new Int32Array(header.length);
      const raw: unknown[] = [];
      const out: unknown[] = [];
      // Per column: the value each code stood for the first time.
      const seen = header.map(() => new Map<number, unknown>());
      let coded = 0;
      let seed = 5;
      for (let row = 0; row < 9000; row++) {
        const fields = header.map(() => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          return CELLS[Math.floor((seed / 4294967296) * CELLS.length)]!;
        });
        const text = fields.join(',');
        const bounds = boundsOf(fields, 0);
        binding.extractFromText!(text, bounds, 0, raw);
        codes.fill(-2);
        compiled.validate(raw, out, codes);
        for (let i = 0; i < header.length; i++) {
          const code = codes[i]!;
          expect(code).toBeGreaterThanOrEqual(-1);
          if (code < 0) continue;
          coded++;
          if (!seen[i]!.has(code)) seen[i]!.set(code, out[i]);
          expect(out[i], `${header[i]} code ${code} on row ${row}`).toEqual(seen[i]!.get(code));
        }
      }
      expect(coded).toBeGreaterThan(1000);
    });
  }

  it('gives a column that took another column as its default no code of its own', () => {
    const transactions = DATASETS.find((d) => d.name === 'transactions')!;
    const compiled = compileContract(transactions);
    const header = transactions.columns.map((c) => c.name);
    const binding = compiled.bindHeader(header);
    const account = header.indexOf('account_id');
    const customer = header.indexOf('customer_id');
    const row = (accountCell: string) =>
      header.map((name) => (name === 'account_id' ? accountCell : name === 'customer_id' ? 'C7' : 'x'));
    const codes = new Int32Array(header.length);
    const raw: unknown[] = [];
    const out: unknown[] = [];

    binding.extract(row('A1'), raw);
    compiled.validate(raw, out, codes);
    const ownCode = codes[account];
    binding.extract(row(''), raw);
    compiled.validate(raw, out, codes);

    expect(ownCode).toBeGreaterThanOrEqual(0);
    expect(out[account]).toBe('C7');
    expect(codes[customer]).toBeGreaterThanOrEqual(0);
    expect(codes[account]).toBe(-1);
  });
});

// Money reaches the screen through one formatter (lib/money.ts, the <Money> component): no view
// divides micro-dollars or rounds them itself.
import { describe, expect, it } from 'vitest';

/** Every source file of the UI (path from `src/`), tests and generated types left out. */
const SOURCES = Object.entries(
  import.meta.glob(['../**/*.ts', '../**/*.tsx', '!../**/*.test.ts', '!../**/*.test.tsx', '!../api/generated/**'], {
    query: '?raw',
    import: 'default',
    eager: true,
  }) as Record<string, string>,
).map(([path, text]) => ({ path: path.replace(/^\.\.\//, ''), text }));

/** Ad-hoc money formatting: micros divided into dollars, or dollar amounts rounded by hand. */
const AD_HOC = [
  /micros?\w*\)?\s*\/\s*(1e6|1_?000_?000|100)\b/i,
  /\/\s*1e6\b/,
  /(cost|micros|amount|spend|price)\w*\)?\.toFixed\(/i,
  /Intl\.NumberFormat\([^)]*currency/,
  /toLocaleString\([^)]*currency/,
];

describe('money formatting', () => {
  it('is done by lib/money.ts only', () => {
    expect(SOURCES.length).toBeGreaterThan(50);
    expect(SOURCES.some((f) => f.path === 'features/runs/RunTable.tsx')).toBe(true);
    const offenders: string[] = [];
    for (const { path, text } of SOURCES) {
      if (path === 'lib/money.ts' || path === 'lib/moneyInput.ts') continue;
      text.split('\n').forEach((line, i) => {
        if (AD_HOC.some((re) => re.test(line))) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('catches the patterns it is meant to catch', () => {
    const hit = (line: string) => AD_HOC.some((re) => re.test(line));
    expect(hit('const usd = run.cost_micros / 1e6;')).toBe(true);
    expect(hit('`$${(micros / 1_000_000).toFixed(2)}`')).toBe(true);
    expect(hit('cost.toFixed(2)')).toBe(true);
    expect(hit('new Intl.NumberFormat("en", { style: "currency", currency: "USD" })')).toBe(true);
    expect(hit('`${(run.confidence * 100).toFixed(1)}%`')).toBe(false);
  });
});

// Import dialog pieces, rendered server-side: counts, warnings as text, ways to the runs.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ImportCounts } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { ImportPanel } from './ImportPanel';
import { ImportResult } from './ImportResult';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const counts = (over: Partial<ImportCounts>): ImportCounts => ({
  backend_id: 'bk_1',
  backend_url: 'http://import.localhost/pydantic_ai_support',
  inserted: 1,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  run_ids: ['otel-5b8efff798038103d269b633813fc60c'],
  warnings: [],
  ...over,
});

const noop = () => {};

describe('import result', () => {
  it('shows the counts, the run and the way to the imported runs', () => {
    const html = wrap(<ImportResult fileName="pydantic_ai_support.json" counts={counts({})} onOpenRuns={noop} onOpenRun={noop} />);
    expect(html).toContain('data-inserted="1"');
    expect(html).toContain('data-backend-id="bk_1"');
    expect(html).toContain('1 run imported');
    expect(html).toContain('data-run-id="otel-5b8efff798038103d269b633813fc60c"');
    expect(html).toContain('data-testid="import-open-runs"');
  });

  it('warnings and file names are text, never markup; rejects point to the quarantine', () => {
    const html = wrap(
      <ImportResult
        fileName={'<img src=x onerror=alert(1)>.json'}
        counts={counts({ rejected: 2, unchanged: 3, run_ids: [], warnings: ['no price for model <b>x</b>'] })}
        onOpenRuns={noop}
        onOpenRun={noop}
      />,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('no price for model &lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('data-testid="import-warning"');
    expect(html).toContain('quarantined');
    expect(html).toContain('data-unchanged="3"');
    expect(html).not.toContain('import-open-runs');
  });

  it('long imports list the first ten runs', () => {
    const ids = Array.from({ length: 14 }, (_, i) => `otel-${i}`);
    const html = wrap(<ImportResult fileName="many.json" counts={counts({ run_ids: ids })} onOpenRuns={noop} onOpenRun={noop} />);
    expect(html.match(/data-testid="import-run"/g)).toHaveLength(10);
    expect(html).toContain('and 4 more');
  });
});

describe('import panel', () => {
  it('is a dialog with a file input for OTLP/JSON', () => {
    const html = wrap(<ImportPanel onClose={noop} onOpenRuns={noop} onOpenRun={noop} />);
    expect(html).toContain('role="dialog"');
    expect(html).toContain('type="file"');
    expect(html).toContain('accept=".json,.jsonl,application/json"');
    expect(html).toContain('data-testid="import-file"');
    expect(html).toContain('data-testid="import-close"');
  });
});

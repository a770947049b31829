// Shared fixtures for the server-side render tests of run evidence (citations, traces, detail).
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { Citation } from '../api';
import { ErrorProvider } from '../app/errors';
import { SearchTermsContext } from './Highlighted';

/** Renders `node` to HTML with `terms` as the active search words. */
export const withTerms = (terms: string[], node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <SearchTermsContext.Provider value={terms}>{node}</SearchTermsContext.Provider>
    </ErrorProvider>,
  );

/** A current citation whose passage sits at 31..45 of its context. */
export const citation: Citation = {
  doc_id: 'kb_102',
  title: 'Refund policy',
  url: 'https://kb.example/kb_102',
  passage: 'within 14 days',
  start: 31,
  end: 45,
  context: 'Customers may request a refund within 14 days of delivery.',
  context_start: 0,
  source_version: 'v3',
  source_updated_at: '2026-11-01T00:00:00Z',
  deprecated: false,
};

// Server-side renders of the untrusted-text components: what reaches the DOM is escaped text.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ErrorProvider } from '../app/errors';
import { Citations } from './Citations';
import { ExternalLink } from './ExternalLink';
import { JsonBlock } from './JsonBlock';
import { Money } from './Money';
import { SafeText } from './SafeText';

describe('SafeText', () => {
  it('renders markup as text', () => {
    const html = renderToStaticMarkup(<SafeText text={'<img src=x onerror=alert(1)><script>x</script>'} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img');
  });

  it('shows a bidi override as a visible marker', () => {
    const html = renderToStaticMarkup(<SafeText text={'invoice\u202Efdp.exe'} />);
    expect(html).not.toContain('\u202E');
    expect(html).toContain('<span class="hidden-char"');
    expect(html).toContain('⟦U+202E⟧');
  });
});

describe('ExternalLink', () => {
  const render = (url: string) =>
    renderToStaticMarkup(
      <ErrorProvider>
        <ExternalLink url={url} />
      </ErrorProvider>,
    );

  it('makes a button (not an <a href>) for http(s)', () => {
    const html = render('https://kb.example/kb_102');
    expect(html).toContain('<button');
    expect(html).not.toContain('href=');
  });

  it('leaves other schemes as inert text', () => {
    const html = render('javascript:alert(1)');
    expect(html).not.toContain('<button');
    expect(html).not.toContain('href=');
    expect(html).toContain('not openable');
  });
});

describe('JsonBlock', () => {
  it('pretty-prints JSON as escaped text in a pre', () => {
    const html = renderToStaticMarkup(<JsonBlock value={{ a: '<b>', n: 1 }} />);
    expect(html).toContain('<pre');
    expect(html).toContain('&quot;a&quot;: &quot;&lt;b&gt;&quot;');
  });
});

describe('Money', () => {
  it('shows cents, with the exact micro-dollars in the title', () => {
    const html = renderToStaticMarkup(<Money micros={1_234_567_891} />);
    expect(html).toContain('>$1,234.57</span>');
    expect(html).toContain('title="$1,234.567891 exactly (1,234,567,891 micro-dollars)"');
  });

  it('keeps an amount under a cent readable, never $0.00', () => {
    const html = renderToStaticMarkup(<Money micros={4213} />);
    expect(html).toContain('>$0.0042</span>');
    expect(html).toContain('title="$0.004213 exactly (4,213 micro-dollars)"');
  });

  it('shows a typed amount (a cap) exactly when asked', () => {
    expect(renderToStaticMarkup(<Money micros={30_000_001} precision="exact" />)).toContain('>$30.000001</span>');
    expect(renderToStaticMarkup(<Money micros={30_000_001} />)).toContain('>$30.00</span>');
  });
});

describe('Citations', () => {
  it('marks the exact passage after emoji in the context', () => {
    const context = '🎉 Refunds are possible within 14 days of delivery.';
    const start = Array.from('🎉 Refunds are possible ').length;
    const html = renderToStaticMarkup(
      <ErrorProvider>
        <Citations
          citations={[
            {
              doc_id: 'kb_102',
              title: 'Refund policy',
              url: 'javascript:alert(1)',
              passage: 'within 14 days',
              start,
              end: start + 14,
              context,
              context_start: 0,
              source_version: 'v3',
              source_updated_at: '2020-01-01T00:00:00Z',
              deprecated: true,
            },
          ]}
        />
      </ErrorProvider>,
    );
    expect(html).toMatch(/<mark[^>]*>within 14 days<\/mark>/);
    expect(html).toContain('deprecated source');
    expect(html).toContain('stale');
    expect(html).not.toContain('href=');
  });
});

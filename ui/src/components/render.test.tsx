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
  it('shows formatted micros with the exact decimal in the title', () => {
    const html = renderToStaticMarkup(<Money micros={4200} />);
    expect(html).toContain('$0.0042');
    expect(html).toContain('title="0.004200 USD"');
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

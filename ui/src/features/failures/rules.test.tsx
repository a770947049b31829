// The bucketing rules editor: form text ↔ rules, refusals named, read-only for non-admins.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { FailureRules } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { RulesEditor, parseRules, rulesDraft } from './RulesForm';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const rules: FailureRules = { default_cut: 0.7, margin: 0.05, cuts: { refund: 0.85, 'crm update': 0.6 } };

describe('failure rules editor', () => {
  it('shows rules in percent and reads them back unchanged', () => {
    const d = rulesDraft(rules);
    expect(d).toEqual({ defaultCut: '70', margin: '5', cuts: 'refund: 85\ncrm update: 60' });
    expect(parseRules(d)).toEqual(rules);
  });

  it('parses cuts per workflow, skipping blank lines', () => {
    expect(parseRules({ defaultCut: ' 65 ', margin: '2.5', cuts: '\n triage : 72.5 \n\nns:kyc: 90\n' })).toEqual({
      default_cut: 0.65,
      margin: 0.025,
      cuts: { triage: 0.725, 'ns:kyc': 0.9 },
    });
    expect(parseRules({ defaultCut: '70', margin: '5', cuts: '' })).toEqual({ default_cut: 0.7, margin: 0.05, cuts: {} });
  });

  it('names the first bad entry', () => {
    expect(parseRules({ defaultCut: '', margin: '5', cuts: '' })).toBe('Default cut: enter a percentage from 0 to 100');
    expect(parseRules({ defaultCut: '70', margin: '101', cuts: '' })).toBe('Margin: enter a percentage from 0 to 100');
    expect(parseRules({ defaultCut: '70', margin: '5', cuts: 'refund 80' })).toBe('Line 1: write "workflow: cut %"');
    expect(parseRules({ defaultCut: '70', margin: '5', cuts: 'a: 50\n: 40' })).toBe('Line 2: write "workflow: cut %"');
    expect(parseRules({ defaultCut: '70', margin: '5', cuts: 'a: x' })).toBe('Cut of a: enter a percentage from 0 to 100');
    expect(parseRules({ defaultCut: '70', margin: '5', cuts: 'a: 50\na: 60' })).toBe('Line 2: a has a cut already');
  });

  it('lets an admin edit and save, and shows others the rules read-only', () => {
    const admin = wrap(<RulesEditor rules={rules} canEdit onSaved={() => {}} />);
    expect(admin).toContain('data-testid="failure-rules-save"');
    expect(admin).not.toContain('failure-rules-readonly');
    expect(admin).toMatch(/data-testid="failure-rules-default-cut"[^>]*value="70"/);
    const other = wrap(<RulesEditor rules={rules} canEdit={false} onSaved={() => {}} />);
    expect(other).not.toContain('failure-rules-save');
    expect(other).toContain('Only an admin can change the rules.');
    expect(other).toMatch(/data-testid="failure-rules-margin"[^>]*value="5"/);
    expect(other).toMatch(/<input[^>]*disabled=""[^>]*data-testid="failure-rules-margin"|data-testid="failure-rules-margin"[^>]*disabled=""/);
    // Workflow names are text, never markup.
    const hostile = wrap(<RulesEditor rules={{ ...rules, cuts: { '<b>x</b>': 0.5 } }} canEdit onSaved={() => {}} />);
    expect(hostile).not.toContain('<b>x</b>');
  });
});

import { describe, expect, it } from 'vitest';
import { OPENABLE_URL_EXAMPLES } from '../api/generated/constants';
import { isOpenableUrl } from './url';

describe('isOpenableUrl', () => {
  it('accepts absolute http(s) URLs in any case', () => {
    expect(isOpenableUrl('https://kb.example/doc?id=1')).toBe(true);
    expect(isOpenableUrl('HTTP://kb.example')).toBe(true);
    expect(isOpenableUrl('HtTpS://kb.example/a#b')).toBe(true);
  });

  it('refuses other schemes', () => {
    expect(isOpenableUrl('javascript:alert(1)')).toBe(false);
    expect(isOpenableUrl('JAVASCRIPT:alert(1)')).toBe(false);
    expect(isOpenableUrl('data:text/html,<b>x</b>')).toBe(false);
    expect(isOpenableUrl('file:///etc/passwd')).toBe(false);
    expect(isOpenableUrl('ftp://kb.example')).toBe(false);
    expect(isOpenableUrl('//kb.example/doc')).toBe(false);
    expect(isOpenableUrl('/relative/path')).toBe(false);
    expect(isOpenableUrl('kb.example')).toBe(false);
    expect(isOpenableUrl('')).toBe(false);
    expect(isOpenableUrl('https://')).toBe(false);
    expect(isOpenableUrl('https:///etc/passwd')).toBe(false);
  });

  it('refuses whitespace and control characters anywhere', () => {
    expect(isOpenableUrl(' https://kb.example')).toBe(false);
    expect(isOpenableUrl('https://kb.example/\nx')).toBe(false);
    expect(isOpenableUrl('https://kb.example/ x')).toBe(false);
    expect(isOpenableUrl('https://kb.example/\tx')).toBe(false);
    expect(isOpenableUrl('https://kb.example/\u0000')).toBe(false);
    expect(isOpenableUrl('https://kb.example/\u202Egpj.exe')).toBe(false);
    expect(isOpenableUrl('https://kb\u200B.example')).toBe(false);
    expect(isOpenableUrl('https://kb.example\u00A0')).toBe(false);
  });

  it('refuses non-strings', () => {
    expect(isOpenableUrl(null)).toBe(false);
    expect(isOpenableUrl(undefined)).toBe(false);
    expect(isOpenableUrl(42)).toBe(false);
  });
});

describe('isOpenableUrl agrees with the Rust rule', () => {
  it('gives the answer Rust gave for every generated example', () => {
    expect(OPENABLE_URL_EXAMPLES.length).toBeGreaterThan(10);
    for (const [url, rust] of OPENABLE_URL_EXAMPLES) {
      expect(isOpenableUrl(url), JSON.stringify(url)).toBe(rust);
    }
  });
});

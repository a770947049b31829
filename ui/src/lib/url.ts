// Which URLs may be opened: only absolute http(s) with a host, and no whitespace, control or
// hidden character anywhere. The rule is Rust's (`text::is_openable_url`); its data comes
// generated, and url.test.ts checks this reading against the Rust answers in OPENABLE_URL_EXAMPLES.
import { OPENABLE_URL_SCHEMES } from '../api/generated/constants';
import { shouldMark } from './hidden';

const SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

export function isOpenableUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  const scheme = OPENABLE_URL_SCHEMES.find((s) => url.slice(0, s.length).toLowerCase() === s);
  if (scheme === undefined) return false;
  const rest = url.slice(scheme.length);
  if (rest === '' || rest.startsWith('/')) return false;
  for (const ch of url) {
    if (SPACE_OR_CONTROL.test(ch) || shouldMark(ch.codePointAt(0) ?? 0)) return false;
  }
  return true;
}

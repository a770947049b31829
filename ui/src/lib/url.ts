// Which URLs may be opened: only absolute http(s), with no whitespace or control characters.
// Same rule as `is_openable_url` in the Rust core (crates/core/src/text.rs).

const CONTROL_OR_SPACE = /[\s\p{Cc}\p{Cf}\u2028\u2029]/u;

export function isOpenableUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  const lower = url.toLowerCase();
  if (!(lower.startsWith('https://') || lower.startsWith('http://'))) return false;
  if (CONTROL_OR_SPACE.test(url)) return false;
  // Must have a host after the scheme.
  const rest = url.slice(lower.startsWith('https://') ? 8 : 7);
  return rest.length > 0 && !rest.startsWith('/');
}

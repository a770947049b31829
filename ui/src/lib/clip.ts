// Backend text is untrusted in length as well as in content: a 200,000-character workflow name
// must not push the rest of a screen out of view. These helpers cut text for display; the full
// text stays available on demand (a title, an expand toggle, or an option's value).
import { revealHidden } from './hidden';

/** Most characters of an `<option>`'s visible text (its value keeps the full text). */
export const OPTION_MAX = 60;
/** Most characters of a chart legend or axis label. */
export const LEGEND_MAX = 32;
/** Most characters a one-line clipped element puts in the page before its toggle. */
export const INLINE_MAX = 160;
/** Most characters a long block shows before "show all". */
export const BLOCK_MAX = 2000;
/** Most characters a `title` tooltip holds; longer text ends with a note on its full length. */
export const TITLE_MAX = 10000;

/** The number of code points (not UTF-16 units) in `text`. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * `text` cut to at most `max` code points, the last one an ellipsis when anything was cut.
 * Never splits a surrogate pair.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const limit = Math.max(1, max);
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n === limit - 1) {
      // One more code point fits only if it is the last one.
      return out + (codePointLength(text) === limit ? ch : '…');
    }
    out += ch;
    n++;
  }
  return out;
}

/** Whether `clip(text, max)` cuts anything. */
export function isClipped(text: string, max: number): boolean {
  return text.length > max && codePointLength(text) > max;
}

/**
 * Tooltip text for untrusted `text`: hidden characters spelled out (⟦U+202E⟧, as SafeText shows
 * them) and, past `TITLE_MAX`, cut with the full length named.
 */
export function titleText(text: string, max = TITLE_MAX): string {
  const shown = revealHidden(text);
  if (!isClipped(shown, max)) return shown;
  return `${clip(shown, max)} (${codePointLength(text).toLocaleString('en-US')} characters in all)`;
}

/** Visible text of an `<option>` for untrusted `text`: hidden characters spelled out, clipped. */
export function optionLabel(text: string, max = OPTION_MAX): string {
  return clip(revealHidden(text), max);
}

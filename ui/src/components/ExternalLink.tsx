import { openUrl } from '../api';
import { isOpenableUrl } from '../lib/url';
import { useReportError } from '../app/errors';
import { SafeText } from './SafeText';

/**
 * A URL from untrusted content. Only absolute http(s) URLs become a button that asks the
 * backend to open the system browser; the WebView never navigates. Others are plain text.
 */
export function ExternalLink({ url, label, onOpen }: { url: string | null | undefined; label?: string; onOpen?: () => void }) {
  const report = useReportError();
  if (!url) return null;
  if (!isOpenableUrl(url)) {
    return (
      <span className="url-blocked" title="Not an http(s) URL: not openable">
        <SafeText text={url} /> <span className="tag tag-warn">not openable</span>
      </span>
    );
  }
  return (
    <button
      type="button"
      className="link-button"
      title={`Open in browser: ${url}`}
      onClick={() => {
        onOpen?.();
        openUrl(url).catch(report);
      }}
    >
      <SafeText text={label ?? url} /> ↗
    </button>
  );
}

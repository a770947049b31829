import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { toApiError, type ApiError } from '../api';
import { Clipped, LongText } from '../components/Clipped';

interface ErrorEntry extends ApiError {
  id: number;
  count: number;
  context?: string | undefined;
}

interface ErrorState {
  errors: ErrorEntry[];
  report: (e: unknown, context?: string) => void;
  dismiss: (id: number) => void;
  clear: () => void;
}

const Ctx = createContext<ErrorState | null>(null);

let nextId = 1;

export function ErrorProvider({ children }: { children: ReactNode }) {
  const [errors, setErrors] = useState<ErrorEntry[]>([]);
  const report = useCallback((e: unknown, context?: string) => {
    const err = toApiError(e);
    setErrors((prev) => {
      // The same error from several views (e.g. no_tauri) shows once, with a count.
      const same = prev.find((p) => p.code === err.code && p.message === err.message);
      if (same) return prev.map((p) => (p === same ? { ...p, count: p.count + 1, context } : p));
      return [...prev.slice(-4), { ...err, id: nextId++, count: 1, context }];
    });
  }, []);
  const dismiss = useCallback((id: number) => setErrors((prev) => prev.filter((p) => p.id !== id)), []);
  const clear = useCallback(() => setErrors([]), []);
  const value = useMemo(() => ({ errors, report, dismiss, clear }), [errors, report, dismiss, clear]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

function useErrors(): ErrorState {
  const v = useContext(Ctx);
  if (!v) throw new Error('ErrorProvider missing');
  return v;
}

/** A stable function that shows an error in the banner. */
export function useReportError(): (e: unknown, context?: string) => void {
  return useErrors().report;
}

/** The single visible error banner; the rest of the UI keeps working. */
export function ErrorBanner() {
  const { errors, dismiss, clear } = useErrors();
  if (errors.length === 0) return null;
  return (
    <div className="error-banner" data-testid="error-banner" role="alert">
      <ul>
        {errors.map((e) => (
          <li key={e.id}>
            <code className="error-code">{e.code}</code>
            {e.context ? <span className="error-context"><Clipped text={e.context} max={80} />:</span> : null}
            <span className="error-message">
              <LongText text={e.message} max={300} />
            </span>
            {e.count > 1 ? <span className="muted"> ×{e.count}</span> : null}
            <button type="button" className="link-button" onClick={() => dismiss(e.id)} aria-label="Dismiss">
              dismiss
            </button>
          </li>
        ))}
      </ul>
      {errors.length > 1 ? (
        <button type="button" className="link-button" onClick={clear}>
          dismiss all
        </button>
      ) : null}
    </div>
  );
}

import { useEffect, useState } from 'react';
import { reviewWarnings, toApiError, type ApiError, type ReviewWarning } from '../../api';

/** The trap warnings for one set of values, or the error that prevented checking them. */
export interface WarningState {
  key: string;
  warnings: ReviewWarning[] | null;
  error: ApiError | null;
}

/** Loads the warnings for `values` (debounced); null while the answer for these values is pending. */
export function useWarnings(backendId: string, actionId: string, values: Record<string, string> | null): WarningState {
  const key = values ? JSON.stringify(values) : '';
  const [st, setSt] = useState<WarningState>({ key: '', warnings: null, error: null });
  useEffect(() => {
    if (!values) return;
    let dead = false;
    const t = setTimeout(
      () => {
        reviewWarnings(backendId, actionId, values)
          .then((w) => !dead && setSt({ key, warnings: w, error: null }))
          .catch((e) => !dead && setSt({ key, warnings: null, error: toApiError(e) }));
      },
      st.key === '' ? 0 : 200,
    );
    return () => {
      dead = true;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backendId, actionId, key]);
  return st.key === key ? st : { key, warnings: null, error: null };
}

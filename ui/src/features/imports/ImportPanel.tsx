import { useEffect, useRef, useState } from 'react';
import { importTraces, MAX_IMPORT_BYTES, toApiError, type ApiError, type ImportCounts } from '../../api';
import { useStore } from '../../app/store';
import { ImportResult } from './ImportResult';
import './imports.css';
import { Clipped, LongText } from '../../components/Clipped';

type State =
  | { kind: 'idle' }
  | { kind: 'busy'; fileName: string }
  | { kind: 'done'; fileName: string; counts: ImportCounts }
  | { kind: 'failed'; fileName: string; error: ApiError };

/** File → Import traces: pick an OTLP/JSON file, import it, see what it did. */
export function ImportPanel({
  onClose,
  onOpenRuns,
  onOpenRun,
}: {
  onClose: () => void;
  onOpenRuns: (backendId: string) => void;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const { bump } = useStore();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const pick = (file: File | undefined) => {
    if (!file) return;
    const fileName = file.name;
    if (file.size > MAX_IMPORT_BYTES) {
      setState({ kind: 'failed', fileName, error: { code: 'too_large', message: `${fileName} is larger than ${MAX_IMPORT_BYTES >> 20} MiB` } });
      return;
    }
    setState({ kind: 'busy', fileName });
    file
      .text()
      .then((text) => importTraces(fileName, text))
      .then((counts) => {
        setState({ kind: 'done', fileName, counts });
        bump();
      })
      .catch((e) => setState({ kind: 'failed', fileName, error: toApiError(e) }))
      .finally(() => {
        // The same file can be chosen again (re-import: nothing changes).
        if (input.current) input.current.value = '';
      });
  };

  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal import-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="import-title"
        data-testid="import-panel"
        onClick={(e) => e.stopPropagation()}
      >
        <header className="modal-head">
          <h2 id="import-title">Import traces</h2>
          <button type="button" className="btn" data-testid="import-close" onClick={onClose} title="Close (Esc)">
            Close
          </button>
        </header>
        <p className="note">
          An OpenTelemetry trace export in OTLP/JSON (<code>.json</code>, or <code>.jsonl</code> with one export per
          line) with GenAI (<code>gen_ai.*</code>) or OpenInference spans. Each trace becomes a run with its tool calls,
          tokens, cost and citations; importing the same file again changes nothing.
        </p>
        <label className="import-pick">
          <input
            ref={input}
            type="file"
            accept=".json,.jsonl,application/json"
            data-testid="import-file"
            disabled={state.kind === 'busy'}
            onChange={(e) => pick(e.target.files?.[0])}
          />
        </label>
        {state.kind === 'busy' ? (
          <p className="muted" data-testid="import-busy">
            Importing <Clipped text={state.fileName} max={120} />…
          </p>
        ) : null}
        {state.kind === 'failed' ? (
          <p className="warn-text" data-testid="import-error" data-code={state.error.code} role="alert">
            <Clipped text={state.fileName} max={120} />: <LongText text={state.error.message} max={300} />
          </p>
        ) : null}
        {state.kind === 'done' ? (
          <ImportResult fileName={state.fileName} counts={state.counts} onOpenRuns={onOpenRuns} onOpenRun={onOpenRun} />
        ) : null}
      </div>
    </div>
  );
}

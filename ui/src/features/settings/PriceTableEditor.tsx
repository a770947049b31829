import { useEffect, useMemo, useState } from 'react';
import { setPriceTable, toApiError, type ApiError, type PriceTableView } from '../../api';
import { SafeText } from '../../components/SafeText';
import {
  hasErrors,
  isDirty,
  newDraft,
  toDrafts,
  toRows,
  utcToday,
  validateDrafts,
  type PriceDraft,
  type PriceField,
} from './priceForm';

const COLUMNS: { field: PriceField; label: string; placeholder: string; testId: string }[] = [
  { field: 'model', label: 'Model', placeholder: 'gpt-4o-mini', testId: 'price-model' },
  { field: 'effectiveFrom', label: 'Effective from (UTC)', placeholder: 'YYYY-MM-DD', testId: 'price-from' },
  { field: 'input', label: 'Input $ / 1M tokens', placeholder: '0.15', testId: 'price-input' },
  { field: 'output', label: 'Output $ / 1M tokens', placeholder: '0.60', testId: 'price-output' },
];

/** The model price table: rows of exact decimal prices, validated as typed, saved whole. */
export function PriceTableEditor({ table, onSaved }: { table: PriceTableView; onSaved: (t: PriceTableView) => void }) {
  const [drafts, setDrafts] = useState<PriceDraft[]>(() => toDrafts(table.prices));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  // Reloads come with every store change (syncs): only a different saved table resets the rows.
  const tableKey = JSON.stringify(table);
  useEffect(() => {
    setDrafts(toDrafts(table.prices));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tableKey]);
  const errors = useMemo(() => validateDrafts(drafts), [drafts]);
  const dirty = isDirty(drafts, table.prices);
  const invalid = hasErrors(errors);

  const edit = (key: number, field: PriceField, value: string) => {
    setSaved(false);
    setDrafts((ds) => ds.map((d) => (d.key === key ? { ...d, [field]: value } : d)));
  };
  const save = () => {
    setSaving(true);
    setSaveError(null);
    setPriceTable(toRows(drafts))
      .then((t) => {
        setSaved(true);
        onSaved(t);
      })
      .catch((e) => setSaveError(toApiError(e)))
      .finally(() => setSaving(false));
  };

  return (
    <section className="detail-section settings-prices" data-testid="price-table" data-custom={table.custom ? 'true' : 'false'}>
      <h2>Model prices</h2>
      <p className="note">
        Costs not reported by a trace are computed from this table: tokens × the price of the model in effect on the
        day of the call (USD per 1M tokens, exact to the micro-dollar). A cost the trace reports always wins.
      </p>
      {table.custom ? null : (
        <p className="readonly-note small" data-testid="price-example-note">
          This is the built-in EXAMPLE table — list prices seen at one time, not authoritative. Edit and save it to use
          your own prices.
        </p>
      )}
      <div className="table-wrap">
        <table className="grid prices">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.field}>{c.label}</th>
              ))}
              <th aria-label="Remove" />
            </tr>
          </thead>
          <tbody>
            {drafts.map((d, i) => {
              const e = errors[i] ?? {};
              return (
                <tr key={d.key} data-testid="price-row" className={Object.keys(e).length ? 'invalid' : ''}>
                  {COLUMNS.map((c) => (
                    <td key={c.field}>
                      <input
                        className="input"
                        data-testid={c.testId}
                        aria-label={`${c.label}, row ${i + 1}`}
                        aria-invalid={e[c.field] ? true : undefined}
                        inputMode={c.field === 'input' || c.field === 'output' ? 'decimal' : undefined}
                        placeholder={c.placeholder}
                        value={d[c.field]}
                        onChange={(ev) => edit(d.key, c.field, ev.target.value)}
                      />
                      {e[c.field] ? (
                        <div className="warn-text small" data-testid="price-error" data-field={c.field}>
                          {e[c.field]}
                        </div>
                      ) : null}
                    </td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="btn"
                      data-testid="price-remove"
                      title="Remove this row"
                      onClick={() => {
                        setSaved(false);
                        setDrafts((ds) => ds.filter((x) => x.key !== d.key));
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {drafts.length === 0 ? <p className="empty small">No prices: every cost a trace does not report stays $0 with a warning.</p> : null}
      <div className="view-actions">
        <button
          type="button"
          className="btn"
          data-testid="price-add"
          onClick={() => {
            setSaved(false);
            setDrafts((ds) => [...ds, newDraft(utcToday())]);
          }}
        >
          Add price
        </button>
        <button type="button" className="btn" data-testid="price-revert" disabled={!dirty || saving} onClick={() => setDrafts(toDrafts(table.prices))}>
          Revert
        </button>
        <button type="button" className="btn primary" data-testid="price-save" disabled={!dirty || invalid || saving} onClick={save}>
          {saving ? 'Saving…' : 'Save prices'}
        </button>
        {invalid ? <span className="warn-text small">Fix the marked fields to save.</span> : null}
        {saved && !dirty ? (
          <span className="ok-text small" data-testid="price-saved">
            Saved. New imports use these prices.
          </span>
        ) : null}
      </div>
      {saveError ? (
        <p className="warn-text" data-testid="price-save-error" role="alert">
          <SafeText text={saveError.message} />
        </p>
      ) : null}
    </section>
  );
}

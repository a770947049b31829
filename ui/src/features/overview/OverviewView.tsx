import { useMemo } from 'react';
import { getOverview, golden, listFacets } from '../../api';
import { useLoad } from '../../app/useLoad';
import { Money } from '../../components/Money';
import { SyncButton } from '../../components/SyncButton';
import { ViewHeader } from '../../components/ViewHeader';
import { formatMicros } from '../../lib/money';
import { shapeOverview, windowBounds, DAY_MS, type OverviewSeries, type Series } from '../../lib/overviewSeries';
import { WINDOWS, type RunFilters, type WindowDays } from '../../lib/viewState';
import { ChartBox, color, modelChangePlugin, type AnyChartConfig } from './ChartBox';
import { Clipped, ClippedOption } from '../../components/Clipped';
import { titleText } from '../../lib/clip';
import { TOOLTIP_LABEL_MAX, chartLabel, clippedCategoryTick, clippedLegendLabels } from './chartLabels';
import { WITHOUT_EVAL, withGates, type GatedMarker } from './gateMarkers';

const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const spanFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** Axis label for a UTC day bucket. */
export function dayLabel(ms: number): string {
  return dayFmt.format(new Date(ms));
}

/** Tooltip title: the UTC day and the span it covers in the user's zone. */
function dayTitle(ms: number): string {
  return `${dayLabel(ms)} (UTC day) = ${spanFmt.format(new Date(ms))} – ${spanFmt.format(new Date(ms + DAY_MS))} your time`;
}

const moneyTick = (v: number | string) => formatMicros(Math.round(Number(v)));

/** "$1.23 (exactly $1.234567)" for a chart tooltip; just "$1.23" when that is exact. */
export function moneyWithExact(micros: number): string {
  const shown = formatMicros(micros);
  const exact = formatMicros(micros, 'exact');
  return shown === exact ? shown : `${shown} (exactly ${exact})`;
}

function baseOptions(s: OverviewSeries, opts: { stacked?: boolean; money?: boolean; percent?: boolean }) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    scales: {
      x: { stacked: !!opts.stacked, ticks: { autoSkip: true, maxRotation: 0 } },
      y: {
        stacked: !!opts.stacked,
        beginAtZero: true,
        ...(opts.percent ? { max: 100 } : {}),
        ticks: {
          callback: (v: number | string) => (opts.money ? moneyTick(v) : opts.percent ? `${v}%` : Number.isInteger(Number(v)) ? String(v) : ''),
        },
      },
    },
    plugins: {
      legend: { position: 'bottom' as const, labels: { boxWidth: 12, generateLabels: clippedLegendLabels } },
      tooltip: {
        callbacks: {
          title: (items: { dataIndex: number }[]) => {
            const i = items[0]?.dataIndex;
            const d = i === undefined ? undefined : s.days[i];
            return d === undefined ? '' : dayTitle(d);
          },
          label: (item: { dataset: { label?: string }; raw: unknown }) => {
            const v = item.raw;
            const label = chartLabel(item.dataset.label, TOOLTIP_LABEL_MAX);
            if (v === null || v === undefined) return `${label}: —`;
            if (opts.money) return `${label}: ${moneyWithExact(Number(v))}`;
            if (opts.percent) return `${label}: ${Number(v).toFixed(1)}%`;
            return `${label}: ${String(v)}`;
          },
        },
      },
    },
  };
}

function datasets(series: Series[], kind: 'bar' | 'line') {
  return series.map((x, i) => ({
    label: x.label,
    data: x.data,
    backgroundColor: color(i),
    borderColor: color(i),
    ...(kind === 'line' ? { spanGaps: false, pointRadius: 2, borderWidth: 2, tension: 0 } : {}),
  }));
}

export function OverviewView({
  days,
  backendId,
  onChange,
  onOpenRuns,
}: {
  days: WindowDays;
  backendId: string;
  onChange: (days: WindowDays, backendId: string) => void;
  onOpenRuns: (filters: Partial<RunFilters>) => void;
}) {
  const bounds = useMemo(() => windowBounds(days), [days]);
  const sinceIso = bounds.since.toISOString();
  const ov = useLoad(() => getOverview(sinceIso, null, backendId || null), `${sinceIso}|${backendId}`, 'get_overview');
  const facets = useLoad(listFacets, 'facets', 'list_facets');
  const backendName = (id: string) => facets.data?.backends.find((b) => b.backend_id === id)?.name ?? id;

  const s = useMemo(
    () => (ov.data ? shapeOverview(ov.data, bounds.since.getTime(), Date.now()) : null),
    [ov.data, bounds.since],
  );

  // The readiness gate of every workflow in the window: its latest configuration change
  // (version, model, prompt or retrieval) is marked, whatever changed.
  const changed = useMemo(
    () => [...new Set([...(s?.markers ?? []).map((m) => m.workflow), ...(s?.runsByWorkflow ?? []).map((r) => r.label)])].sort(),
    [s],
  );
  const gates = useLoad(
    () => (changed.length > 0 ? golden.gates(changed) : Promise.resolve([])),
    `gates|${changed.join('\u0000')}`,
    'golden_gates',
  );
  const marked = useMemo(() => (s ? withGates(s.markers, gates.data ?? [], s.days) : []), [s, gates.data]);

  const configs = useMemo(() => {
    if (!s || !ov.data) return null;
    const labels = s.days.map(dayLabel);
    const markers = modelChangePlugin(marked);
    const runs: AnyChartConfig = {
      type: 'bar',
      data: { labels, datasets: datasets(s.runsByWorkflow, 'bar') },
      options: baseOptions(s, { stacked: true }),
      plugins: [markers],
    };
    const cost: AnyChartConfig = {
      type: 'bar',
      data: { labels, datasets: datasets(s.costByWorkflowModel, 'bar') },
      options: baseOptions(s, { stacked: true, money: true }),
      plugins: [markers],
    };
    const cps: AnyChartConfig = {
      type: 'line',
      data: { labels, datasets: datasets(s.costPerSuccessByWorkflow, 'line') },
      options: baseOptions(s, { money: true }),
      plugins: [markers],
    };
    const rates: AnyChartConfig = {
      type: 'line',
      data: {
        labels,
        datasets: datasets(
          [
            { label: 'Escalation rate', data: s.escalationRate },
            { label: 'Failure rate', data: s.failureRate },
          ],
          'line',
        ).map((d, i) => ({ ...d, borderColor: i === 0 ? '#d97706' : '#b42318', backgroundColor: i === 0 ? '#d97706' : '#b42318' })),
      },
      options: baseOptions(s, { percent: true }),
      plugins: [markers],
    };
    const staleRows = ov.data.stale_by_backend;
    const stale: AnyChartConfig = {
      type: 'bar',
      data: {
        labels: staleRows.map((r) => backendName(r.backend_id)),
        datasets: [
          { label: 'Citations of deprecated or stale sources', data: staleRows.map((r) => r.stale_citations), backgroundColor: '#9a5b00' },
        ],
      },
      options: {
        indexAxis: 'y' as const,
        responsive: true,
        maintainAspectRatio: false,
        animation: false as const,
        scales: { x: { beginAtZero: true }, y: { ticks: { callback: clippedCategoryTick } } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items: { label: string }[]) => chartLabel(items[0]?.label, TOOLTIP_LABEL_MAX),
              afterLabel: (item: { dataIndex: number }) => {
                const r = staleRows[item.dataIndex];
                return r ? `${r.runs.toLocaleString()} runs in the window` : '';
              },
            },
          },
        },
      },
    };
    return { runs, cost, cps, rates, stale };
    // backendName depends on facets only through labels
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [s, ov.data, facets.data, marked]);

  const t = s?.totals;
  const overallCps = t && t.successes > 0 ? Math.floor(t.costMicros / t.successes) : null;
  const pct = (n: number, d: number) => (d > 0 ? `${((n / d) * 100).toFixed(1)}%` : '—');

  return (
    <section className="view overview" data-testid="overview-view">
      <ViewHeader title="Overview" loadedAt={ov.loadedAt} actions={<SyncButton backendId={null} testId="sync-now" />} />
      <div className="filters">
        <span className="segmented" role="group" aria-label="Window">
          {WINDOWS.map((d) => (
            <button
              key={d}
              type="button"
              className={`btn small${d === days ? ' active' : ''}`}
              aria-pressed={d === days}
              data-testid={`window-${d}`}
              onClick={() => onChange(d, backendId)}
            >
              {d} days
            </button>
          ))}
        </span>
        <label className="field-inline">
          Backend{' '}
          <select
            data-testid="overview-backend"
            className="clipped-select"
            title={backendId ? titleText(backendName(backendId)) : undefined}
            value={backendId} onChange={(e) => onChange(days, e.target.value)}>
            <option value="">all</option>
            {(facets.data?.backends ?? []).map((b) => (
              <ClippedOption key={b.backend_id} value={b.backend_id} label={b.name} />
            ))}
          </select>
        </label>
        <span className="muted small">
          Days are UTC calendar days (the store's daily roll-up); hover a day for its span in your time zone. Money is exact
          (integer micro-dollars).
        </span>
      </div>
      {ov.loading && !ov.data ? <p className="muted">Loading…</p> : null}
      {t ? (
        <div className="tiles" data-testid="overview-totals">
          <div className="tile">
            <div className="tile-label">Runs</div>
            <div className="tile-value" data-testid="total-runs">
              {t.runs.toLocaleString()}
            </div>
          </div>
          <div className="tile">
            <div className="tile-label">Cost</div>
            <div className="tile-value" data-testid="total-cost">
              <Money micros={t.costMicros} />
            </div>
          </div>
          <div className="tile">
            <div className="tile-label">Cost per success</div>
            <div className="tile-value" data-testid="total-cost-per-success">
              <Money micros={overallCps} />
            </div>
          </div>
          <div className="tile">
            <div className="tile-label">Escalated</div>
            <div className="tile-value">{pct(t.escalations, t.runs)}</div>
          </div>
          <div className="tile">
            <div className="tile-label">Failed</div>
            <div className="tile-value">{pct(t.failures, t.runs)}</div>
          </div>
        </div>
      ) : null}
      {s && configs ? (
        <>
          <ModelChangeList markers={marked} />
          {t && t.runs === 0 ? <p className="empty">No runs in this window. Sync a backend or pick a longer window.</p> : null}
          <div className="chart-grid">
            <ChartCard title="Runs per day by workflow">
              <ChartBox testId="chart-runs" label="Runs per day by workflow" config={configs.runs} />
            </ChartCard>
            <ChartCard title="Cost per day by workflow and model">
              <ChartBox testId="chart-cost" label="Cost per day by workflow and model" config={configs.cost} />
            </ChartCard>
            <ChartCard title="Cost per successful outcome per day">
              <ChartBox testId="chart-cost-per-success" label="Cost per successful outcome per day, by workflow" config={configs.cps} />
            </ChartCard>
            <ChartCard title="Escalation and failure rates">
              <ChartBox testId="chart-rates" label="Escalation and failure rates per day" config={configs.rates} />
            </ChartCard>
            <ChartCard title="Stale or deprecated citations per backend">
              {ov.data && ov.data.stale_by_backend.length > 0 ? (
                <>
                  <ChartBox testId="chart-stale" label="Stale or deprecated citations per backend" config={configs.stale} />
                  <button type="button" className="link-button small" data-testid="open-stale-runs" onClick={() => onOpenRuns({ citesStale: true })}>
                    List runs citing stale sources →
                  </button>
                </>
              ) : (
                <p className="muted">No citations in this window.</p>
              )}
            </ChartCard>
          </div>
        </>
      ) : null}
    </section>
  );
}

/**
 * The model changes of the window, numbered as their labels on the charts (where close changes
 * may show only their numbers), each in full.
 */
export function ModelChangeList({ markers }: { markers: GatedMarker[] }) {
  if (markers.length === 0) return null;
  return (
    <div className="card model-changes" data-testid="model-changes">
      <strong>Model and configuration changes</strong> (dashed red lines, numbered on the charts):{' '}
      <ol className="model-change-list">
        {markers.map((m, i) => (
          <li key={i} className="tag" data-testid="model-change" data-n={i + 1} data-gate={m.gate}>
            <span className="model-change-n">{i + 1}</span> {dayLabel(m.day)}: <Clipped text={m.workflow} max={60} />{' '}
            {m.changes && m.changes.length > 0 ? (
              m.changes.map((c, j) => (
                <span key={c.what} data-testid="config-change" data-what={c.what}>
                  {j > 0 ? ', ' : ''}
                  {c.what} <Clipped text={c.from || 'none'} max={60} /> → <Clipped text={c.to || 'none'} max={60} />
                </span>
              ))
            ) : (
              <>
                <Clipped text={m.from} max={60} /> → <Clipped text={m.to} max={60} />
              </>
            )}
            {m.gate === 'without_eval' ? (
              <>
                {' '}
                <span className="badge bad" data-testid="model-change-gate" title="No eval of this configuration has passed: the readiness row fails">
                  {WITHOUT_EVAL}
                </span>
              </>
            ) : m.gate === 'eval_passed' ? (
              <>
                {' '}
                <span className="badge ok" data-testid="model-change-gate" title={`Eval ${m.evalId ?? ''} passed`}>
                  eval passed
                </span>
              </>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

function ChartCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="detail-section chart-card">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

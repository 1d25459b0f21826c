// The month's scorecard of the token's unit (GetScorecard), the ranking of the units directly
// below it (ListRankings), as uPlot bar charts and tables, and the month's breach records
// (ListBreaches).
import { useEffect, useState } from 'preact/hooks';
import { zh, measureLabel, clockShortLabel, tierLabel } from '../zh.js';
import {
  serviceClock,
  monthOf,
  monthStart,
  nextMonthStart,
  toTimestamp,
  parseTimestamp,
  parseDuration,
  formatDateTime,
  formatSpan,
  shiftMonth,
} from '../lib/time.js';
import { useApp } from '../hooks.js';
import { BarChart } from './BarChart.jsx';

const RATE_MEASURES = [
  'MEASURE_RESPONSE',
  'MEASURE_RESOLUTION',
  'MEASURE_SATISFACTION',
  'MEASURE_ON_TIME',
  'MEASURE_RETURN',
  'MEASURE_REDO',
];
const ORDER_BY = ['MEASURE_COMPOSITE', 'MEASURE_RESPONSE', 'MEASURE_RESOLUTION', 'MEASURE_SATISFACTION', 'MEASURE_ON_TIME'];

// "85.3%" or 无数据 for an undefined rate (its denominator is 0; `percent` is then absent).
export function pct(v) {
  return Number.isFinite(v) ? `${v.toFixed(1)}%` : zh.stats.undefined;
}

function rateOf(rates, measure) {
  return (rates ?? []).find((r) => r.measure === measure) ?? null;
}

function figure(ranking, measure) {
  if (measure === 'MEASURE_COMPOSITE') return ranking.composite;
  return rateOf(ranking.rates, measure)?.percent;
}

function useLoad(fn, deps) {
  const [s, set] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    const ctrl = new AbortController();
    set((p) => ({ ...p, loading: true }));
    fn(ctrl.signal)
      .then((data) => set({ data, error: null, loading: false }))
      .catch((error) => {
        if (error?.name !== 'AbortError') set({ data: null, error, loading: false });
      });
    return () => ctrl.abort();
  }, deps);
  return s;
}

export function Stats() {
  const { api, claims, org } = useApp();
  const unit = claims.unit;
  const [month, setMonth] = useState(() => monthOf(serviceClock.now()));
  const [orderBy, setOrderBy] = useState('MEASURE_COMPOSITE');

  const card = useLoad((signal) => api.getScorecard({ unit_code: unit, month }, { signal }), [api, unit, month]);
  const ranks = useLoad(
    (signal) => api.listRankings({ parent_unit_code: unit, month, order_by: orderBy }, { signal }),
    [api, unit, month, orderBy],
  );
  const breaches = useLoad(
    (signal) =>
      api.listBreaches(
        {
          unit_code: unit,
          from: toTimestamp(monthStart(month)),
          to: toTimestamp(nextMonthStart(month)),
          page_size: 100,
        },
        { signal },
      ),
    [api, unit, month],
  );

  return (
    <div class="stats" data-testid="stats">
      <div class="stats-bar">
        <h1>
          {zh.stats.title} · {org.unitName(unit)}
        </h1>
        <div class="month-picker">
          <span class="muted">{zh.stats.month}</span>
          <button type="button" class="small" onClick={() => setMonth(shiftMonth(month, -1))} data-testid="stats-prev">
            ‹ {zh.stats.prevMonth}
          </button>
          <strong class="time" data-testid="stats-month">
            {month}
          </strong>
          <button
            type="button"
            class="small"
            disabled={month >= monthOf(serviceClock.now())}
            onClick={() => setMonth(shiftMonth(month, 1))}
            data-testid="stats-next"
          >
            {zh.stats.nextMonth} ›
          </button>
        </div>
      </div>
      <Scorecard state={card} month={month} />
      <Rankings state={ranks} orderBy={orderBy} setOrderBy={setOrderBy} />
      <Breaches state={breaches} org={org} />
    </div>
  );
}

function Failed({ error }) {
  return (
    <div class="error" role="alert">
      {error.message}
    </div>
  );
}

function Scorecard({ state, month }) {
  const sc = state.data;
  return (
    <section
      class="panel"
      data-testid="scorecard"
      data-month={month}
      data-loaded={String(!!sc && !state.loading)}
      data-error={state.error ? state.error.status || String(state.error.httpStatus) : undefined}
    >
      <h2>{zh.stats.scorecard}</h2>
      {state.error ? <Failed error={state.error} /> : null}
      {!sc ? (
        state.loading ? <p class="muted">{zh.app.loading}</p> : null
      ) : (
        <>
          <p class="muted small">
            {sc.final ? zh.stats.final(formatDateTime(parseTimestamp(sc.closedAt))) : zh.stats.open}
            {sc.weights ? ` · ${zh.stats.weights(sc.weights)}` : ''}
          </p>
          <div class="scorecard-top">
            <div class="composite" data-testid="composite">
              <div class="muted">{zh.stats.composite}</div>
              <div class="big">{Number.isFinite(sc.composite) ? sc.composite.toFixed(1) : zh.stats.undefined}</div>
            </div>
            <BarChart
              testid="scorecard-chart"
              title={`${sc.unitName || sc.unitCode || ''} ${sc.month || month}`}
              labels={RATE_MEASURES.map(measureLabel)}
              values={RATE_MEASURES.map((m) => rateOf(sc.rates, m)?.percent)}
            />
          </div>
          <table class="tickets rates">
            <thead>
              <tr>
                <th>{zh.stats.rate}</th>
                <th class="num">{zh.stats.numerator}</th>
                <th class="num">{zh.stats.denominator}</th>
                <th class="num">{zh.stats.percent}</th>
                {sc.final ? <th class="num">{zh.stats.adjustments}</th> : null}
              </tr>
            </thead>
            <tbody>
              {RATE_MEASURES.map((m) => {
                const r = rateOf(sc.rates, m) ?? {};
                const adj = (sc.adjustments ?? []).find((a) => a.measure === m);
                return (
                  <tr key={m} data-measure={m}>
                    <td>{measureLabel(m)}</td>
                    <td class="num">{r.numerator ?? '0'}</td>
                    <td class="num">{r.denominator ?? '0'}</td>
                    <td class="num">{pct(r.percent)}</td>
                    {sc.final ? (
                      <td class="num">
                        {adj ? `${adj.numeratorDelta ?? 0} / ${adj.denominatorDelta ?? 0}` : zh.app.dash}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Rankings({ state, orderBy, setOrderBy }) {
  const list = state.data?.rankings ?? [];
  return (
    <section class="panel" data-testid="rankings" data-loaded={String(!!state.data && !state.loading)}>
      <h2>{zh.stats.rankings}</h2>
      <label class="small">
        {zh.stats.orderBy}{' '}
        <select value={orderBy} onChange={(e) => setOrderBy(e.currentTarget.value)} data-testid="rankings-order">
          {ORDER_BY.map((m) => (
            <option key={m} value={m}>
              {measureLabel(m)}
            </option>
          ))}
        </select>
      </label>
      {state.error ? <Failed error={state.error} /> : null}
      {state.loading && !state.data ? <p class="muted">{zh.app.loading}</p> : null}
      {state.data && !list.length ? <p class="empty">{zh.stats.noRankings}</p> : null}
      {list.length ? (
        <>
          <BarChart
            testid="rankings-chart"
            title={measureLabel(orderBy)}
            colour="#0f766e"
            labels={list.map((r) => r.unitName || r.unitCode)}
            values={list.map((r) => figure(r, orderBy))}
          />
          <table class="tickets rankings">
            <thead>
              <tr>
                <th class="num">{zh.stats.rank}</th>
                <th>{zh.stats.unit}</th>
                <th class="num">{measureLabel('MEASURE_RESPONSE')}</th>
                <th class="num">{measureLabel('MEASURE_RESOLUTION')}</th>
                <th class="num">{measureLabel('MEASURE_SATISFACTION')}</th>
                <th class="num">{measureLabel('MEASURE_ON_TIME')}</th>
                <th class="num">{zh.stats.composite}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.unitCode} data-unit={r.unitCode}>
                  <td class="num">{r.rank ?? ''}</td>
                  <td>{r.unitName || r.unitCode}</td>
                  <td class="num">{pct(rateOf(r.rates, 'MEASURE_RESPONSE')?.percent)}</td>
                  <td class="num">{pct(rateOf(r.rates, 'MEASURE_RESOLUTION')?.percent)}</td>
                  <td class="num">{pct(rateOf(r.rates, 'MEASURE_SATISFACTION')?.percent)}</td>
                  <td class="num">{pct(rateOf(r.rates, 'MEASURE_ON_TIME')?.percent)}</td>
                  <td class="num">{Number.isFinite(r.composite) ? r.composite.toFixed(1) : zh.stats.undefined}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

function Breaches({ state, org }) {
  const list = state.data?.breaches ?? [];
  const b = zh.stats.breach;
  return (
    <section class="panel" data-testid="breaches" data-loaded={String(!!state.data && !state.loading)}>
      <h2>{zh.stats.breaches}</h2>
      {state.error ? <Failed error={state.error} /> : null}
      {state.data && !list.length ? <p class="empty">{zh.stats.noBreaches}</p> : null}
      {list.length ? (
        <table class="tickets">
          <thead>
            <tr>
              <th>{b.ticket}</th>
              <th>{b.clock}</th>
              <th>{b.unit}</th>
              <th>{b.tier}</th>
              <th>{b.deadline}</th>
              <th>{b.detected}</th>
              <th>{b.by}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((x, i) => (
              <tr key={`${x.ticketId}-${x.clock}-${i}`}>
                <td>
                  <a class="mono" href={`#/ticket/${encodeURIComponent(x.ticketId)}`}>
                    {x.ticketId}
                  </a>
                </td>
                <td>{clockShortLabel(x.clock)}</td>
                <td>{org.unitName(x.unitCode)}</td>
                <td>{tierLabel(x.tier)}</td>
                <td class="time">{formatDateTime(parseTimestamp(x.deadline))}</td>
                <td class="time">{formatDateTime(parseTimestamp(x.detectedAt))}</td>
                <td>{formatSpan(parseDuration(x.breachedBy))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

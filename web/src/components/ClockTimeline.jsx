// One SLA clock as a timeline in plain SVG: the span from its start to its deadline, how much of
// it is used (to the met point, or to now while open), the overrun past the deadline in red, a
// marker for now, the warning thresholds as ticks. Coloured by state.
import { zh, clockLabel } from '../zh.js';
import { clockState, clockKey } from '../lib/tickets.js';
import { parseTimestamp, parseDuration, formatShort, formatSpan, formatLeft, formatTarget } from '../lib/time.js';

const W = 760;
const H = 70;
const PAD_L = 12;
const PAD_R = 12;
const BAR_Y = 26;
const BAR_H = 14;

export const STATE_COLOURS = {
  running: '#2563eb',
  warned: '#d97706',
  overdue: '#dc2626',
  met: '#16a34a',
  breached: '#dc2626',
};

function target(clock) {
  if (clock.targetWorkingDays) return zh.ticket.clock.workingDays(clock.targetWorkingDays);
  const d = parseDuration(clock.target);
  return Number.isFinite(d) ? formatTarget(d) : '';
}

// Rough width of a 12px label: CJK characters are square, the rest about half as wide.
function textWidth(s) {
  let w = 0;
  for (const ch of s) w += ch.codePointAt(0) > 0x2e80 ? 12 : 7;
  return w;
}

const TOP_Y = BAR_Y - 11;
const BOTTOM_Y = BAR_Y + BAR_H + 20;

// Places labels on the row above or below the bar without overlaps, in priority order; a label
// that fits nowhere is dropped unless `keep`.
export function placeLabels(wanted) {
  const placed = [];
  const anchorOf = (x, w) => (x - w / 2 < 0 ? 'start' : x + w / 2 > W ? 'end' : 'middle');
  const box = (x, w, anchor) => (anchor === 'start' ? [x, x + w] : anchor === 'end' ? [x - w, x] : [x - w / 2, x + w / 2]);
  for (const l of wanted) {
    const w = textWidth(l.text);
    const anchor = l.anchor ?? anchorOf(l.x, w);
    const [a, b] = box(l.x, w, anchor);
    let y = null;
    for (const row of l.rows) {
      if (!placed.some((p) => p.y === row && a < p.b + 6 && p.a < b + 6)) {
        y = row;
        break;
      }
    }
    if (y === null && l.keep) y = l.rows[0];
    if (y !== null) placed.push({ ...l, y, anchor, a, b });
  }
  return placed;
}

export function ClockTimeline({ clock, now }) {
  const state = clockState(clock, now);
  const key = clockKey(clock.kind);
  const start = parseTimestamp(clock.startedAt);
  const deadline = parseTimestamp(clock.deadline);
  const met = parseTimestamp(clock.metAt);
  const isMet = Number.isFinite(met);
  const end = isMet ? met : now; // how far the clock has run
  const colour = STATE_COLOURS[state];

  let lo = Number.isFinite(start) ? start : deadline;
  let hi = Math.max(deadline, isMet ? met : -Infinity, isMet ? -Infinity : now);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) {
    lo = Number.isFinite(deadline) ? deadline - 1 : now - 1;
    hi = lo + 2;
  }
  hi += (hi - lo) * 0.04;
  const x = (t) => PAD_L + ((Math.min(Math.max(t, lo), hi) - lo) / (hi - lo)) * (W - PAD_L - PAD_R);
  const inRange = (t) => Number.isFinite(t) && t >= lo && t <= hi;

  const used = Math.min(end, deadline);
  const over = end > deadline ? end : NaN;
  let stateText = zh.ticket.clockState[state];
  if (state === 'breached' && isMet) stateText = zh.ticket.clockState.metLate;
  let summary = '';
  if (state === 'met') summary = `${zh.ticket.clock.met} ${formatShort(met)}`;
  else if (isMet) summary = `${zh.ticket.clock.met} ${formatShort(met)}，${zh.time.overdue(formatSpan(met - deadline))}`;
  else summary = formatLeft(deadline - now);

  const deadlineX = x(deadline);
  const wanted = [
    { key: 'deadline', x: deadlineX, text: `${zh.ticket.clock.deadline} ${formatShort(deadline)}`, rows: [TOP_Y], keep: true },
    { key: 'start', x: x(lo), anchor: 'start', text: `${zh.ticket.clock.started} ${formatShort(start)}`, rows: [BOTTOM_Y], cls: 'muted', keep: true },
  ];
  if (isMet) wanted.push({ key: 'met', x: x(met), text: `${zh.ticket.clock.met} ${formatShort(met)}`, rows: [BOTTOM_Y, TOP_Y], keep: true });
  else if (inRange(now)) wanted.push({ key: 'now', x: x(now), text: zh.ticket.clock.now, rows: [TOP_Y, BOTTOM_Y], cls: 'now' });
  const labels = placeLabels(wanted);
  return (
    <div
      class={`clock clock-${state}`}
      data-testid="clock-timeline"
      data-clock={key}
      data-state={state}
      data-met={String(isMet)}
      data-round={clock.round ?? 1}
    >
      <div class="clock-head">
        <strong>{clockLabel(clock.kind)}</strong>
        <span class="badge" style={{ background: colour, color: '#fff' }}>
          {stateText}
        </span>
        <span class="muted small">
          {target(clock)}
          {clock.round > 1 ? ` · ${zh.ticket.clock.round(clock.round)}` : ''}
          {clock.warnedPercent ? ` · ${zh.ticket.clock.warned(clock.warnedPercent)}` : ''}
        </span>
        <span class="clock-summary">{summary}</span>
      </div>
      {clock.calendarAssumed ? <div class="notice small">{zh.ticket.clock.calendarAssumed}</div> : null}
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${clockLabel(clock.kind)} ${stateText}`}>
        <rect x={x(lo)} y={BAR_Y} width={Math.max(0, deadlineX - x(lo))} height={BAR_H} fill="#e5e7eb" rx="3" />
        {Number.isFinite(used) && used > lo ? (
          <rect
            x={x(lo)}
            y={BAR_Y}
            width={Math.max(0, x(used) - x(lo))}
            height={BAR_H}
            fill={state === 'breached' || state === 'overdue' ? '#f59e0b' : colour}
            opacity="0.85"
            rx="3"
            class="used"
          />
        ) : null}
        {Number.isFinite(over) ? (
          <rect x={deadlineX} y={BAR_Y} width={Math.max(0, x(over) - deadlineX)} height={BAR_H} fill="#dc2626" class="overrun" />
        ) : null}
        {(clock.warnPercent ?? []).map((p) => {
          const t = start + ((deadline - start) * p) / 100;
          return inRange(t) ? (
            <line key={p} x1={x(t)} x2={x(t)} y1={BAR_Y - 3} y2={BAR_Y + BAR_H + 3} stroke="#9ca3af" stroke-width="1" />
          ) : null;
        })}
        <line x1={deadlineX} x2={deadlineX} y1={BAR_Y - 8} y2={BAR_Y + BAR_H + 8} stroke="#111827" stroke-width="2" class="deadline" />
        {isMet ? (
          <circle
            class="met-point"
            cx={x(met)}
            cy={BAR_Y + BAR_H / 2}
            r="6"
            fill={state === 'met' ? '#16a34a' : '#f97316'}
            stroke="#fff"
            stroke-width="2"
          />
        ) : null}
        {inRange(now) ? (
          <line
            class="now-marker"
            x1={x(now)}
            x2={x(now)}
            y1={BAR_Y - 6}
            y2={BAR_Y + BAR_H + 6}
            stroke="#7c3aed"
            stroke-width="2"
            stroke-dasharray="3 2"
          />
        ) : null}
        {labels.map((l) => (
          <text key={l.key} x={l.x} y={l.y} text-anchor={l.anchor} class={`t-label ${l.cls ?? ''}`}>
            {l.text}
          </text>
        ))}
      </svg>
    </div>
  );
}

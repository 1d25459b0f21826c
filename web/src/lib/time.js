// Times as the protobuf JSON mapping writes them, and the service's own clock.
//
// Timestamps are RFC 3339 strings ("2026-12-05T08:00:00Z", up to nine fractional digits, any
// offset); Durations are decimal seconds with an "s" ("1800s", "0.250s", "-3s"). Both become
// milliseconds here (numbers; NaN when absent or malformed).
//
// The service keeps its own time (Redis TIME, and with --time_scale=N it runs N times faster
// from a shared epoch), so deadlines must be compared with the service's "now", not the
// browser's. The gateway tells it on every response (headers X-Dispatch-Service-Time and
// X-Dispatch-Time-Scale); ServiceClock extrapolates between responses.

import { zh } from '../zh.js';

const TS = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(s) {
  if (typeof s !== 'string') return NaN;
  const m = TS.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, se, frac, off] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se);
  if (frac) ms += Number((frac + '00').slice(0, 3)) + Number('0.' + (frac.length > 3 ? frac.slice(3) : '0'));
  if (off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    ms -= sign * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6))) * 60000;
  }
  return ms;
}

const DUR = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

export function parseDuration(s) {
  if (typeof s !== 'string') return NaN;
  const m = DUR.exec(s);
  if (!m) return NaN;
  const ms = Number(m[2]) * 1000 + (m[3] ? Number('0.' + m[3]) * 1000 : 0);
  return m[1] ? -ms : ms;
}

export function toTimestamp(ms) {
  return new Date(ms).toISOString();
}

// "2天3小时", "1小时05分", "12分30秒", "45秒" — the magnitude of `ms`.
export function formatSpan(ms) {
  if (!Number.isFinite(ms)) return zh.app.dash;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const t = zh.time;
  const two = (n) => String(n).padStart(2, '0');
  if (d > 0) return `${d}${t.day}${h}${t.hour}`;
  if (h > 0) return `${h}${t.hour}${two(m)}${t.minute}`;
  if (m > 0) return `${m}${t.minute}${two(s)}${t.second}`;
  return `${s}${t.second}`;
}

// A clock's target: "30分钟", "3小时", "3天", else as formatSpan.
export function formatTarget(ms) {
  if (!Number.isFinite(ms) || ms <= 0) return zh.app.dash;
  if (ms % 86400000 === 0) return `${ms / 86400000}${zh.time.day}`;
  if (ms % 3600000 === 0) return `${ms / 3600000}${zh.time.hour}`;
  if (ms % 60000 === 0) return `${ms / 60000}${zh.time.minute}钟`;
  return formatSpan(ms);
}

// "剩 12分30秒" before the deadline, "超时 3分05秒" after it.
export function formatLeft(leftMs) {
  if (!Number.isFinite(leftMs)) return zh.app.dash;
  return leftMs >= 0 ? zh.time.left(formatSpan(leftMs)) : zh.time.overdue(formatSpan(leftMs));
}

// The service reasons in Asia/Shanghai (DOMAIN.md §7a); so does the dashboard, whatever the
// browser's zone.
export const TIME_ZONE = 'Asia/Shanghai';
let partsFormatter = null;

function parts(ms) {
  if (!partsFormatter) {
    partsFormatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }
  const o = {};
  for (const p of partsFormatter.formatToParts(new Date(ms))) o[p.type] = p.value;
  return o;
}

// "2026-12-05 14:30:05"
export function formatDateTime(ms) {
  if (!Number.isFinite(ms)) return zh.app.dash;
  const p = parts(ms);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// "12-05 14:30"
export function formatShort(ms) {
  if (!Number.isFinite(ms)) return zh.app.dash;
  const p = parts(ms);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

// "14:30:05"
export function formatClockTime(ms) {
  if (!Number.isFinite(ms)) return zh.app.dash;
  const p = parts(ms);
  return `${p.hour}:${p.minute}:${p.second}`;
}

// "2026-12" in Asia/Shanghai.
export function monthOf(ms) {
  const p = parts(ms);
  return `${p.year}-${p.month}`;
}

// The first instant of a "YYYY-MM" month in Asia/Shanghai (UTC+8, no daylight saving).
export function monthStart(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, 1) - 8 * 3600000;
}

// "2026-12", +1 → "2027-01".
export function shiftMonth(month, delta) {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  const i = Number(m[1]) * 12 + (Number(m[2]) - 1) + delta;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

export function nextMonthStart(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2], 1) - 8 * 3600000;
}

export class ServiceClock {
  // realNow: the browser's clock in ms (injectable for tests).
  constructor(realNow = () => Date.now()) {
    this.realNow = realNow;
    this.serviceAt = NaN; // service time at the last observation
    this.realAt = NaN; // browser time at the last observation
    this.scale = 1;
    this.listeners = new Set();
  }

  // An observation: the service said it was `serviceMs` (scale `scale`) when this response left.
  observe(serviceMs, scale = 1) {
    if (!Number.isFinite(serviceMs)) return;
    const s = Number.isFinite(scale) && scale >= 1 ? scale : 1;
    const changed = s !== this.scale || !Number.isFinite(this.serviceAt);
    this.serviceAt = serviceMs;
    this.realAt = this.realNow();
    this.scale = s;
    if (changed) for (const f of this.listeners) f();
  }

  // Reads the headers of a fetch Response.
  observeHeaders(headers) {
    const t = headers?.get?.('x-dispatch-service-time');
    if (!t) return;
    const scale = Number(headers.get('x-dispatch-time-scale') || '1');
    this.observe(parseTimestamp(t), scale);
  }

  known() {
    return Number.isFinite(this.serviceAt);
  }

  // The service's now in ms: extrapolated from the last observation at the service's rate, or
  // the browser's clock before any observation.
  now() {
    const real = this.realNow();
    if (!Number.isFinite(this.serviceAt)) return real;
    return this.serviceAt + (real - this.realAt) * this.scale;
  }

  // Real milliseconds until the service clock reaches `serviceMs`.
  realDelayUntil(serviceMs) {
    return (serviceMs - this.now()) / this.scale;
  }

  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

// The one clock of the page.
export const serviceClock = new ServiceClock();

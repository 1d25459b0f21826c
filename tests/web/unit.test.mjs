// Unit tests of the dashboard's logic (web/src/lib/*.js, web/src/zh.js): pure modules, no
// browser, no node_modules. Run with
//
//   node --test --test-reporter=tap tests/web/unit.test.mjs
//
// Also checks the dashboard against the protos (every enum value and event kind has a Chinese
// label) and the lockfile (every package declares engines that Debian 12's Node 18.20 meets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  parseTimestamp,
  parseDuration,
  formatSpan,
  formatLeft,
  formatTarget,
  formatDateTime,
  monthOf,
  monthStart,
  nextMonthStart,
  shiftMonth,
  ServiceClock,
} from '../../web/src/lib/time.js';
import { SseParser } from '../../web/src/lib/sse.js';
import { buildQuery, createApi, ApiError, OPEN_STATUSES } from '../../web/src/lib/api.js';
import { startEventStream, eventsOf, backoffDelay } from '../../web/src/lib/feed.js';
import {
  clockState,
  nextOpenClock,
  classify,
  holder,
  mergeTickets,
  ticketState,
  provisionalTicket,
  overdueMs,
} from '../../web/src/lib/tickets.js';
import { createRefresher } from '../../web/src/lib/refresh.js';
import { decodeToken } from '../../web/src/lib/jwt.js';
import { indexOrganisation } from '../../web/src/lib/org.js';
import { EVENT_KINDS, eventKind, eventDetail, eventKindLabel } from '../../web/src/lib/events.js';
import { zh, label, statusLabel, categoryLabel, clockLabel } from '../../web/src/zh.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const T0 = Date.UTC(2026, 11, 5, 2, 0, 0); // 2026-12-05 10:00 Asia/Shanghai
const iso = (ms) => new Date(ms).toISOString();
const MIN = 60000;

// ------------------------------------------------------------------------------------- time
test('timestamps: RFC 3339 with Z, offsets and up to nine fractional digits', () => {
  assert.equal(parseTimestamp('2026-12-05T02:00:00Z'), T0);
  assert.equal(parseTimestamp('2026-12-05T10:00:00+08:00'), T0);
  assert.equal(parseTimestamp('2026-12-04T21:30:00-04:30'), T0);
  assert.equal(parseTimestamp('2026-12-05T02:00:00.5Z'), T0 + 500);
  assert.equal(parseTimestamp('2026-12-05T02:00:00.123Z'), T0 + 123);
  assert.ok(Math.abs(parseTimestamp('2026-12-05T02:00:00.123456789Z') - (T0 + 123.456789)) < 1e-6);
  for (const bad of [undefined, '', '2026-12-05', '2026-12-05T02:00:00', 'yesterday', 42]) {
    assert.ok(Number.isNaN(parseTimestamp(bad)), String(bad));
  }
});

test('durations: decimal seconds with "s"', () => {
  assert.equal(parseDuration('1800s'), 1800000);
  assert.equal(parseDuration('0.250s'), 250);
  assert.equal(parseDuration('1.000000001s'), 1000.000001);
  assert.equal(parseDuration('-3s'), -3000);
  assert.ok(Number.isNaN(parseDuration('30m')));
  assert.ok(Number.isNaN(parseDuration(undefined)));
});

test('spans, targets and countdowns in Chinese', () => {
  assert.equal(formatSpan(45000), '45秒');
  assert.equal(formatSpan(12 * MIN + 30000), '12分30秒');
  assert.equal(formatSpan(65 * MIN), '1小时05分');
  assert.equal(formatSpan(2 * 86400000 + 3 * 3600000 + 5 * MIN), '2天3小时');
  assert.equal(formatLeft(90000), '剩 1分30秒');
  assert.equal(formatLeft(-90000), '超时 1分30秒');
  assert.equal(formatTarget(30 * MIN), '30分钟');
  assert.equal(formatTarget(3 * 3600000), '3小时');
  assert.equal(formatTarget(3 * 86400000), '3天');
});

test('dates and months in Asia/Shanghai', () => {
  assert.equal(formatDateTime(T0), '2026-12-05 10:00:00');
  assert.equal(monthOf(Date.UTC(2026, 10, 30, 16, 30)), '2026-12'); // 00:30 on 1 Dec in Shanghai
  assert.equal(iso(monthStart('2026-12')), '2026-11-30T16:00:00.000Z');
  assert.equal(iso(nextMonthStart('2026-12')), '2026-12-31T16:00:00.000Z');
  assert.equal(shiftMonth('2026-12', 1), '2027-01');
  assert.equal(shiftMonth('2026-01', -1), '2025-12');
});

test('the service clock extrapolates at the service rate from the gateway headers', () => {
  let real = 1_000_000;
  const c = new ServiceClock(() => real);
  assert.equal(c.now(), real, 'before any observation: the browser clock');
  const headers = new Map([
    ['x-dispatch-service-time', '2026-12-05T02:00:00Z'],
    ['x-dispatch-time-scale', '600'],
  ]);
  c.observeHeaders(headers);
  assert.equal(c.now(), T0);
  real += 3000; // 3 real seconds
  assert.equal(c.now(), T0 + 30 * MIN, 'the 30-minute clock passes in 3 s at 600x');
  assert.equal(c.realDelayUntil(T0 + 40 * MIN), 1000);
  c.observeHeaders(new Map()); // no headers: nothing changes
  assert.equal(c.scale, 600);
});

// ------------------------------------------------------------------------------------- SSE
test('SSE parser: fields, multi-line data, comments, persistent id, retry', () => {
  const comments = [];
  const p = new SseParser({ onComment: (c) => comments.push(c) });
  const out = p.feed(
    ': ping\n' +
      'id: c1\nevent: ticket\ndata: {"a":\ndata: 1}\n\n' +
      'data: no id line keeps the last id\n\n' +
      'retry: 5000\nevent: ticket\n\n' + // no data: nothing dispatched
      'id\ndata:x\n\n',
  );
  assert.deepEqual(comments, ['ping']);
  assert.deepEqual(out, [
    { id: 'c1', event: 'ticket', data: '{"a":\n1}' },
    { id: 'c1', event: 'message', data: 'no id line keeps the last id' },
    { id: '', event: 'message', data: 'x' },
  ]);
  assert.equal(p.retry, 5000);
});

test('SSE parser: any chunking, CRLF split between chunks, CR alone, a BOM', () => {
  const text = '\ufeffid: a\r\nevent: ticket\r\ndata: 1\r\n\r\nid: b\rdata: 2\r\r';
  const whole = new SseParser().feed(text);
  assert.deepEqual(whole, [
    { id: 'a', event: 'ticket', data: '1' },
    { id: 'b', event: 'message', data: '2' },
  ]);
  for (let size = 1; size <= 5; size++) {
    const p = new SseParser();
    const got = [];
    for (let i = 0; i < text.length; i += size) got.push(...p.feed(text.slice(i, i + size)));
    assert.deepEqual(got, whole, `chunks of ${size}`);
  }
});

// ------------------------------------------------------------------------------------- API
test('query strings: proto field names, repeated fields repeated, defaults left out', () => {
  assert.equal(
    buildQuery({ unit_code: '430923', statuses: ['TICKET_STATUS_ROUTED', 'TICKET_STATUS_ASSIGNED'], breached_only: false, page_token: '', page_size: 200 }),
    '?unit_code=430923&statuses=TICKET_STATUS_ROUTED&statuses=TICKET_STATUS_ASSIGNED&page_size=200',
  );
  assert.equal(buildQuery({ breached_only: true }), '?breached_only=true');
  assert.equal(buildQuery({}), '');
  assert.ok(!OPEN_STATUSES.includes('TICKET_STATUS_RESOLVED') && !OPEN_STATUSES.includes('TICKET_STATUS_CLOSED'));
});

function jsonResponse(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

test('API calls: bearer token, error bodies, 401 signs out, pages followed to a bound', async () => {
  const calls = [];
  let unauthorized = 0;
  const clock = new ServiceClock(() => 0);
  const pages = { '': 'p2', p2: 'p3', p3: 'p4' };
  const api = createApi({
    getToken: () => 'tok',
    onUnauthorized: () => unauthorized++,
    clock,
    fetchImpl: async (url, init) => {
      calls.push({ url, init });
      const u = new URL(url, 'http://x');
      if (u.pathname === '/v1/tickets') {
        const tokenIn = u.searchParams.get('page_token') ?? '';
        return jsonResponse(
          200,
          { tickets: [{ ticketId: `T-${tokenIn || 'p1'}` }], nextPageToken: pages[tokenIn], readModel: { caughtUpTo: '2026-12-05T02:00:00Z' } },
          { 'X-Dispatch-Service-Time': '2026-12-05T02:00:00Z', 'X-Dispatch-Time-Scale': '600' },
        );
      }
      if (u.pathname === '/v1/tickets/T%2F1') return jsonResponse(404, { code: 5, status: 'NOT_FOUND', message: 'ticket T/1: not found' });
      if (u.pathname === '/v1/scorecard') return jsonResponse(401, { code: 16, status: 'UNAUTHENTICATED', message: 'token expired' });
      return new Response('<html>oops</html>', { status: 502 });
    },
  });
  const r = await api.listTicketPages({ unit_code: 'U' }, { maxPages: 3, pageSize: 200 });
  assert.deepEqual(r.tickets.map((t) => t.ticketId), ['T-p1', 'T-p2', 'T-p3']);
  assert.equal(r.truncated, true);
  assert.equal(calls[0].init.headers.Authorization, 'Bearer tok');
  assert.ok(calls[0].url.startsWith('/v1/tickets?unit_code=U&page_size=200'));
  assert.equal(clock.scale, 600, 'the service clock follows the headers');

  await assert.rejects(api.getTicket('T/1'), (e) => e instanceof ApiError && e.httpStatus === 404 && e.status === 'NOT_FOUND' && e.message === 'ticket T/1: not found');
  await assert.rejects(api.getScorecard({ month: '2026-12' }), (e) => e.httpStatus === 401 && e.message === 'token expired');
  assert.equal(unauthorized, 1);
  await assert.rejects(api.listRankings({ month: '2026-12' }), (e) => e.httpStatus === 502 && /502/.test(e.message));
});

// ------------------------------------------------------------------------------------- feed
function sseResponse(chunks, { status = 200, hold = false } = {}) {
  const enc = new TextEncoder();
  let i = 0;
  return new Response(
    new ReadableStream({
      pull(ctrl) {
        if (i < chunks.length) ctrl.enqueue(enc.encode(chunks[i++]));
        else if (!hold) ctrl.close();
        else return new Promise(() => {}); // stays open
      },
    }),
    { status, headers: { 'content-type': 'text/event-stream' } },
  );
}

const frame = (id, ev) => `id: ${id}\nevent: ticket\ndata: ${JSON.stringify({ event: ev, cursor: { token: id } })}\n\n`;

test('event stream: events delivered, resumes with Last-Event-ID after a drop, stops on 401', async () => {
  const requests = [];
  const got = [];
  const statuses = [];
  let unauthorized = 0;
  let n = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const stream = startEventStream({
    url: '/v1/events?unit_code=430923',
    getToken: () => 'tok',
    onEvents: (evs, id) => got.push(...evs.map((e) => `${e.eventId}@${id}`)),
    onStatus: (s) => {
      statuses.push(s);
      if (s === 'failed') done();
    },
    onUnauthorized: () => unauthorized++,
    backoff: () => 1,
    fetchImpl: async (url, init) => {
      requests.push({ url, headers: init.headers });
      n++;
      if (n === 1) return sseResponse([': ping\n\n', frame('c1', { eventId: 'E1' }).slice(0, 20), frame('c1', { eventId: 'E1' }).slice(20), frame('c2', { eventId: 'E2' })]);
      if (n === 2) throw new TypeError('network down');
      if (n === 3) return sseResponse([frame('c3', { eventId: 'E3' }), 'event: error\ndata: {"code":8,"status":"RESOURCE_EXHAUSTED","message":"too slow"}\n\n']);
      return jsonResponse(401, { code: 16, status: 'UNAUTHENTICATED', message: 'expired' });
    },
  });
  await finished;
  stream.stop();
  assert.deepEqual(got, ['E1@c1', 'E2@c2', 'E3@c3']);
  assert.equal(requests[0].headers['Last-Event-ID'], undefined);
  assert.equal(requests[1].headers['Last-Event-ID'], 'c2');
  assert.equal(requests[2].headers['Last-Event-ID'], 'c2');
  assert.equal(requests[3].headers['Last-Event-ID'], 'c3');
  assert.equal(requests[0].headers.Authorization, 'Bearer tok');
  assert.ok(!requests[0].url.includes('tok'), 'the token never goes into the URL');
  assert.equal(unauthorized, 1);
  assert.deepEqual(statuses.filter((s) => s === 'open').length, 2);
  assert.equal(statuses.at(-1), 'failed');
});

test('event stream: 403/404 are final; stop() ends an open stream', async () => {
  const statuses = [];
  let done;
  const failed = new Promise((r) => (done = r));
  startEventStream({
    url: '/v1/events',
    getToken: () => 't',
    onEvents: () => {},
    onStatus: (s, info) => {
      statuses.push(s);
      if (s === 'failed') done(info);
    },
    fetchImpl: async () => jsonResponse(404, { code: 5, status: 'NOT_FOUND', message: 'unit_code: 999 not found' }),
  });
  const info = await failed;
  assert.equal(info.error.message, 'unit_code: 999 not found');

  let stoppedResolve;
  const stopped = new Promise((r) => (stoppedResolve = r));
  const s = startEventStream({
    url: '/v1/events',
    getToken: () => 't',
    onEvents: () => {},
    onStatus: (st) => st === 'stopped' && stoppedResolve(),
    fetchImpl: async () => sseResponse([': hello\n\n'], { hold: true }), // ignores the signal
  });
  await new Promise((r) => setTimeout(r, 20));
  s.stop();
  await stopped;
});

test('event payloads: one event, a batch, or a bare TicketEvent', () => {
  assert.deepEqual(eventsOf({ event: { eventId: 'a' }, cursor: { token: 'c' } }), [{ eventId: 'a' }]);
  assert.deepEqual(eventsOf({ events: [{ eventId: 'a' }, { eventId: 'b' }] }).length, 2);
  assert.deepEqual(eventsOf({ eventId: 'x', ticketId: 'T' }), [{ eventId: 'x', ticketId: 'T' }]);
  assert.deepEqual(eventsOf(null), []);
  const delays = [0, 1, 2, 3, 10, 20].map((a) => backoffDelay(a, { random: () => 1 }));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 30000, 30000]);
  assert.equal(backoffDelay(0, { random: () => 0 }), 500);
});

// ------------------------------------------------------------------------------------- tickets
function clk(kind, startMin, targetMin, extra = {}) {
  return { kind: `CLOCK_KIND_${kind}`, startedAt: iso(T0 + startMin * MIN), deadline: iso(T0 + (startMin + targetMin) * MIN), ...extra };
}

test('clock states: running, warned, overdue (not yet flagged), met, breached', () => {
  const now = T0 + 20 * MIN;
  assert.equal(clockState(clk('ASSIGN', 0, 30), now), 'running');
  assert.equal(clockState(clk('ASSIGN', 0, 30, { warnedPercent: 50 }), now), 'warned');
  assert.equal(clockState(clk('ASSIGN', 0, 10), now), 'overdue');
  assert.equal(clockState(clk('ASSIGN', 0, 30, { metAt: iso(T0 + 5 * MIN) }), now), 'met');
  assert.equal(clockState(clk('ASSIGN', 0, 10, { breached: true }), now), 'breached');
  assert.equal(clockState(clk('ASSIGN', 0, 10, { breached: true, metAt: iso(T0 + 15 * MIN) }), now), 'breached');
});

test('the board: open tickets by next open deadline; breached and escalated apart', () => {
  const now = T0 + 20 * MIN;
  const a = { ticketId: 'TA', status: 'TICKET_STATUS_ROUTED', clocks: [clk('ASSIGN', 0, 30), clk('PRELIMINARY', 0, 180), clk('RESOLVE', 0, 4320)] };
  const b = { ticketId: 'TB', status: 'TICKET_STATUS_SIGNED_FOR', clocks: [clk('ASSIGN', -10, 30, { metAt: iso(T0) }), clk('PRELIMINARY', -10, 180)] };
  const c = { ticketId: 'TC', status: 'TICKET_STATUS_ASSIGNED', clocks: [clk('ASSIGN', 5, 30), clk('PRELIMINARY', 5, 180)] };
  const d = { ticketId: 'TD', status: 'TICKET_STATUS_ASSIGNED', clocks: [clk('ASSIGN', -40, 30, { breached: true }), clk('PRELIMINARY', -40, 180)] };
  const e = {
    ticketId: 'TE',
    status: 'TICKET_STATUS_ROUTED',
    raisedTier: 'TIER_TOWNSHIP',
    clocks: [clk('ASSIGN', -100, 30, { breached: true }), clk('SUPERVISION', -70, 120)],
  };
  const closed = { ticketId: 'TZ', status: 'TICKET_STATUS_RESOLVED', clocks: [clk('REVISIT', 0, 10)] };
  const { upcoming, breached } = classify([b, closed, e, c, a, d], now);
  assert.deepEqual(upcoming.map((t) => t.ticketId), ['TA', 'TC', 'TB']);
  assert.deepEqual(breached.map((t) => t.ticketId), ['TE', 'TD']);
  assert.equal(ticketState(e), 'escalated');
  assert.equal(ticketState(d), 'breached');
  assert.equal(ticketState(a), 'open');
  assert.equal(nextOpenClock(b).clock.kind, 'CLOCK_KIND_PRELIMINARY');
  assert.equal(nextOpenClock({ clocks: [] }), null);
  assert.equal(overdueMs(d, now), 30 * MIN);
});

test('merging lists keeps the newest copy of a ticket', () => {
  const m = mergeTickets(
    [{ ticketId: 'T1', version: '3' }, { ticketId: 'T2', version: '1' }],
    [{ ticketId: 'T1', version: '5' }, { ticketId: 'T3', version: '1' }],
  );
  assert.deepEqual(m.map((t) => `${t.ticketId}:${t.version}`).sort(), ['T1:5', 'T2:1', 'T3:1']);
});

test('who holds a ticket: the lead unit and its named handler, by name', () => {
  const org = indexOrganisation({
    units: [{ code: '430923100001', name: '城东社区', parentCode: '430923100' }, { code: '430923100', name: '东坪镇' }],
    handlers: [{ id: 'h-cd-wgy', name: '刘敏' }],
  });
  const t = {
    status: 'TICKET_STATUS_ASSIGNED',
    responsibleUnitCode: '430923100001',
    handlings: [{ unitCode: '430923100001', department: 'DEPARTMENT_HOUSING', role: 'HANDLING_ROLE_LEAD', assignee: { id: 'h-cd-wgy' } }],
  };
  assert.deepEqual(holder(t, org), {
    unitCode: '430923100001',
    unitName: '城东社区',
    department: 'DEPARTMENT_HOUSING',
    handlerId: 'h-cd-wgy',
    handlerName: '刘敏',
    awaitingSignFor: true,
  });
  assert.equal(holder({ status: 'TICKET_STATUS_ACCEPTED' }, org).unitName, '');
  assert.deepEqual(org.children('430923100').map((u) => u.code), ['430923100001']);
});

test('a provisional row from a TicketAccepted event', () => {
  const p = provisionalTicket({
    eventId: 'E1',
    ticketId: 'T1',
    ticketVersion: '1',
    occurredAt: iso(T0),
    accepted: { channel: 'CHANNEL_HOTLINE_12345', category: 'CATEGORY_SERVICE_QUALITY', clocks: [clk('ASSIGN', 0, 30)], location: { estateName: '翠苑一区' } },
  });
  assert.equal(p.provisional, true);
  assert.equal(ticketState(p), 'open');
  assert.equal(nextOpenClock(p).clock.kind, 'CLOCK_KIND_ASSIGN');
  assert.equal(p.complaint.location.estateName, '翠苑一区');
});

// ------------------------------------------------------------------------------------- refresh
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const timers = new Map();
  return {
    now: () => now,
    setTimer: (f, ms) => {
      timers.set(++seq, { f, at: now + ms });
      return seq;
    },
    clearTimer: (h) => timers.delete(h),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].f();
        await new Promise((r) => setImmediate(r));
      }
      now = end;
    },
  };
}

test('refresher: debounced, bounded wait, no overlap, minimum gap, periodic poll', async () => {
  const t = fakeTimers();
  const starts = [];
  let release;
  const r = createRefresher(
    () => {
      starts.push(t.now());
      return new Promise((res) => (release = res));
    },
    { debounceMs: 400, maxWaitMs: 2000, minGapMs: 1500, pollMs: 10000, ...t },
  );
  r.request(0);
  await t.advance(0);
  assert.deepEqual(starts, [0]);
  r.request(); // during the run: once more after it
  r.request();
  await t.advance(1000);
  assert.equal(starts.length, 1, 'no overlap');
  release();
  await t.advance(0);
  await t.advance(600);
  assert.deepEqual(starts, [0, 1500], 'the pending request waits for the minimum gap');
  release();
  await t.advance(0);
  // A steady trickle of events every 300 ms: debounced, but not starved past maxWait.
  for (let i = 0; i < 10; i++) {
    r.request();
    await t.advance(300);
  }
  assert.equal(starts.length, 3);
  assert.ok(starts[2] - 1500 <= 2000 + 400, `bounded wait (${starts[2]})`);
  release();
  await t.advance(0);
  const before = starts.length;
  await t.advance(10000);
  assert.equal(starts.length, before + 1, 'polled after 10 s of quiet');
  release();
  r.stop();
  await t.advance(60000);
  assert.equal(starts.length, before + 1);
});

// ------------------------------------------------------------------------------------- tokens
test('token payloads are read for display only', () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const tok = `${b64({ alg: 'ES256', kid: 'k' })}.${b64({ sub: '值班员-1', unit: '430923', roles: ['supervisor'], exp: 2000000000 })}.c2ln`;
  assert.deepEqual(decodeToken(tok), { sub: '值班员-1', unit: '430923', roles: ['supervisor'], channels: [], exp: 2000000000000 });
  assert.equal(decodeToken('not a token'), null);
  assert.equal(decodeToken('a.b'), null);
  assert.equal(decodeToken(`${b64({})}.!!!.x`), null);
  assert.equal(decodeToken(`${b64({})}.${Buffer.from('not json').toString('base64url')}.x`), null);
});

// ------------------------------------------------------------------------------------- vocabulary
function enumValues(file, name) {
  const text = readFileSync(join(repo, 'proto/dispatch/v1', file), 'utf8');
  const m = new RegExp(`enum ${name} \\{([\\s\\S]*?)\\n\\}`).exec(text);
  assert.ok(m, `enum ${name} in ${file}`);
  return [...m[1].matchAll(/^\s*([A-Z0-9_]+)\s*=\s*\d+;/gm)].map((x) => x[1]);
}

test('every enum value the dashboard shows has a Chinese label (types.proto, statistics.proto)', () => {
  const tables = [
    ['types.proto', 'TicketStatus', 'TICKET_STATUS_', 'status'],
    ['types.proto', 'ClockKind', 'CLOCK_KIND_', 'clockKind'],
    ['types.proto', 'ClockKind', 'CLOCK_KIND_', 'clockShort'],
    ['types.proto', 'Tier', 'TIER_', 'tier'],
    ['types.proto', 'Priority', 'PRIORITY_', 'priority'],
    ['types.proto', 'Channel', 'CHANNEL_', 'channel'],
    ['types.proto', 'Category', 'CATEGORY_', 'category'],
    ['types.proto', 'Department', 'DEPARTMENT_', 'department'],
    ['types.proto', 'HandlingRole', 'HANDLING_ROLE_', 'handlingRole'],
    ['types.proto', 'ShareState', 'SHARE_STATE_', 'shareState'],
    ['statistics.proto', 'Measure', 'MEASURE_', 'measure'],
    ['events.proto', 'Satisfaction', 'SATISFACTION_', 'satisfaction'],
    ['events.proto', 'ClosureReason', 'CLOSURE_REASON_', 'closure'],
    ['events.proto', 'ReturnReason', 'RETURN_REASON_', 'returnReason'],
  ];
  for (const [file, name, prefix, table] of tables) {
    for (const v of enumValues(file, name)) {
      const key = v.slice(prefix.length);
      assert.ok(zh[table][key], `${name}.${v}: no label in zh.${table}`);
      assert.match(label(table, v, prefix), /[\u4e00-\u9fff0-9—]/, `${v} label is Chinese`);
    }
  }
  assert.equal(statusLabel('TICKET_STATUS_SIGNED_FOR'), '已签收');
  assert.equal(categoryLabel('CATEGORY_FROM_THE_FUTURE'), 'CATEGORY_FROM_THE_FUTURE', 'unknown values show raw');
  assert.equal(clockLabel(undefined), '时限');
});

test('every TicketEvent payload of events.proto has a kind, a label and a detail', () => {
  const text = readFileSync(join(repo, 'proto/dispatch/v1/events.proto'), 'utf8');
  const oneof = /oneof payload \{([\s\S]*?)\}/.exec(text)[1];
  const names = [...oneof.matchAll(/^\s*\w+ (\w+) = \d+;/gm)].map((m) => m[1].replace(/_([a-z])/g, (_, c) => c.toUpperCase()));
  assert.deepEqual([...names].sort(), [...EVENT_KINDS].sort());
  for (const k of EVENT_KINDS) {
    assert.ok(zh.eventKind[k], `no label for ${k}`);
    const ev = { eventId: 'E', ticketId: 'T', [k]: {} };
    assert.equal(eventKind(ev), k);
    assert.equal(typeof eventDetail(ev, indexOrganisation(null)), 'string');
  }
  assert.equal(eventKindLabel('breached'), '超时');
  const org = indexOrganisation({ units: [{ code: '430923100001', name: '城东社区' }] });
  assert.equal(
    eventDetail({ breached: { clock: 'CLOCK_KIND_ASSIGN', unitCode: '430923100001', breachedBy: '125s' } }, org),
    '责任到人超时 2分05秒，记入 城东社区',
  );
  assert.equal(
    eventDetail({ escalated: { fromTier: 'TIER_COMMUNITY', toTier: 'TIER_TOWNSHIP', supervisionDeadline: '2026-12-05T04:00:00Z' } }, org),
    '由社区提级至街道/乡镇督办，督办截止 2026-12-05 12:00:00',
  );
});

// ------------------------------------------------------------------------------------- packages
function satisfiesNode18(range) {
  // The forms npm packages use: ">=18", ">=14.17", "^18 || >=20", "*"; enough for a lockfile check.
  const v = [18, 20, 4];
  const cmp = (a, b) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  return range.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((c) => {
        if (c === '*' || c === '') return true;
        const m = /^(>=|<=|>|<|\^|~|=)?v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(c);
        assert.ok(m, `cannot read engines range "${range}"`);
        const w = [m[2], m[3], m[4]].map((x) => (x === undefined || x === 'x' ? 0 : Number(x)));
        const d = cmp(v, w);
        switch (m[1]) {
          case '>=': return d >= 0;
          case '>': return d > 0;
          case '<=': return d <= 0;
          case '<': return d < 0;
          case '^': return v[0] === w[0] && d >= 0;
          case '~': return v[0] === w[0] && v[1] === w[1] && d >= 0;
          default: return m[3] === undefined ? v[0] === w[0] : d === 0;
        }
      }),
  );
}

test('the lockfile pins exact versions whose engines accept Debian 12 Node 18.20', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'web/package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(repo, 'web/package-lock.json'), 'utf8'));
  assert.ok(satisfiesNode18(pkg.engines.node));
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `${name} in the lockfile`);
  }
  assert.match(pkg.dependencies.preact, /^10\./);
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || !entry.engines?.node) continue;
    assert.ok(satisfiesNode18(entry.engines.node), `${path} ${entry.version} needs node ${entry.engines.node}`);
    assert.ok(entry.integrity, `${path} has an integrity hash`);
  }
  assert.ok(!satisfiesNode18('>=20'));
  assert.ok(satisfiesNode18('^18.12 || >=20'));
});

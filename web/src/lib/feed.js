// The live event feed: GET /v1/events?unit_code=... as server-sent events, read with fetch()
// and a ReadableStream (EventSource cannot send the Authorization header, and a token never
// goes into a URL). Frames: "id: <cursor>", "event: ticket", "data: <WatchTicketEventsResponse
// JSON>", and a ": ping" comment every 15 s. After a drop it reconnects with backoff and the
// header Last-Event-ID set to the last id seen, so the server resumes after it.

import { SseParser } from './sse.js';
import { errorFrom, ApiError } from './api.js';
import { serviceClock } from './time.js';

// The TicketEvents in one SSE data payload: a WatchTicketEventsResponse ({event} or {events}),
// or a bare TicketEvent.
export function eventsOf(payload) {
  if (!payload || typeof payload !== 'object') return [];
  if (Array.isArray(payload.events) && payload.events.length) return payload.events;
  if (payload.event) return [payload.event];
  if (payload.eventId || payload.ticketId) return [payload];
  return [];
}

export function backoffDelay(attempt, { base = 1000, max = 30000, random = Math.random } = {}) {
  const d = Math.min(max, base * 2 ** Math.min(attempt, 10));
  return Math.round(d / 2 + (random() * d) / 2); // "equal jitter": between d/2 and d
}

// Statuses reported to onStatus: 'connecting', 'open', 'reconnecting' (with {inMs}), 'failed'
// (with {error}: a refusal that retrying will not change), 'stopped'.
// Returns {stop(), lastId()}.
export function startEventStream({
  url,
  getToken,
  onEvents,
  onStatus = () => {},
  onUnauthorized,
  fetchImpl,
  idleTimeoutMs = 45000, // three missed pings
  backoff = backoffDelay,
  clock = serviceClock,
  setTimer = (f, ms) => setTimeout(f, ms),
  clearTimer = (h) => clearTimeout(h),
}) {
  const doFetch = fetchImpl ?? ((...a) => fetch(...a));
  let stopped = false;
  let lastId = '';
  let attempt = 0;
  let current = null; // AbortController of the open connection
  let wakeTimer = null;
  let wake = null;

  const sleep = (ms) =>
    new Promise((resolve) => {
      wake = resolve;
      wakeTimer = setTimer(resolve, ms);
    });

  async function connectOnce() {
    const ctrl = new AbortController();
    current = ctrl;
    let idle = null;
    const touch = () => {
      if (idle) clearTimer(idle);
      idle = setTimer(() => ctrl.abort(), idleTimeoutMs);
    };
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${getToken()}` };
    if (lastId) headers['Last-Event-ID'] = lastId;
    try {
      touch();
      let res;
      try {
        res = await doFetch(url, { headers, signal: ctrl.signal, cache: 'no-store', credentials: 'omit' });
      } catch (e) {
        throw new ApiError(0, 'UNAVAILABLE', e?.message || 'network');
      }
      clock.observeHeaders(res.headers);
      if (!res.ok) throw await errorFrom(res);
      if (!res.body) throw new ApiError(res.status, 'INTERNAL', 'no body');
      onStatus('open');
      attempt = 0;
      const parser = new SseParser({ onComment: () => {} });
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      // An abort (stop(), the idle watchdog) ends a pending read even where the fetch in use
      // does not error the body by itself.
      ctrl.signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        touch();
        const messages = parser.feed(decoder.decode(value, { stream: true }));
        const batch = [];
        for (const m of messages) {
          if (m.event === 'error') {
            let body = {};
            try {
              body = JSON.parse(m.data);
            } catch {
              /* not JSON */
            }
            throw new ApiError(200, body.status || 'UNKNOWN', body.message || m.data, body.code);
          }
          if (m.event !== 'ticket' && m.event !== 'message') continue;
          let payload;
          try {
            payload = JSON.parse(m.data);
          } catch {
            continue;
          }
          for (const ev of eventsOf(payload)) batch.push(ev);
          if (m.id) lastId = m.id;
          else if (payload?.cursor?.token) lastId = payload.cursor.token;
        }
        if (batch.length) onEvents(batch, lastId);
      }
      throw new ApiError(0, 'UNAVAILABLE', 'stream ended');
    } finally {
      if (idle) clearTimer(idle);
      current = null;
    }
  }

  (async () => {
    onStatus('connecting');
    while (!stopped) {
      try {
        await connectOnce();
      } catch (e) {
        if (stopped) break;
        if (e instanceof ApiError && e.httpStatus === 401) {
          onStatus('failed', { error: e });
          onUnauthorized?.(e);
          return;
        }
        if (e instanceof ApiError && [400, 403, 404].includes(e.httpStatus)) {
          onStatus('failed', { error: e });
          return;
        }
        const inMs = backoff(attempt++);
        onStatus('reconnecting', { inMs, error: e });
        await sleep(inMs);
        if (!stopped) onStatus('connecting');
      }
    }
    onStatus('stopped');
  })();

  return {
    stop() {
      stopped = true;
      current?.abort();
      if (wakeTimer) clearTimer(wakeTimer);
      wake?.();
    },
    lastId: () => lastId,
  };
}

// The HTTP/JSON gateway (same origin, under /v1/). Requests carry "Authorization: Bearer
// <token>"; answers are the protobuf JSON mapping (lowerCamelCase names, enum names, int64 as
// strings, RFC 3339 Timestamps, default values omitted). Query parameters use the proto field
// names (snake_case); repeated ones are repeated. Errors are an HTTP status with
// {"code": 7, "status": "PERMISSION_DENIED", "message": "..."}; the message is what the user sees.

import { zh } from '../zh.js';
import { serviceClock } from './time.js';

export class ApiError extends Error {
  constructor(httpStatus, status, message, code) {
    super(message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus; // 0 for a network failure
    this.status = status; // the gRPC code name, e.g. "NOT_FOUND"
    this.code = code; // the gRPC code number
  }
}

// "unit_code=430923&statuses=A&statuses=B": arrays repeat, false/empty/null values are left out
// (the proto default, which the server would treat the same).
export function buildQuery(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== undefined && x !== null && x !== '') q.append(k, String(x));
    } else {
      q.append(k, String(v));
    }
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// The error an unsuccessful Response stands for.
export async function errorFrom(res) {
  let body = null;
  let text = '';
  try {
    text = await res.text();
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (body && typeof body.message === 'string') {
    return new ApiError(res.status, body.status || '', body.message || zh.errors.http(res.status), body.code);
  }
  return new ApiError(res.status, '', zh.errors.http(res.status));
}

export const OPEN_STATUSES = [
  'TICKET_STATUS_ACCEPTED',
  'TICKET_STATUS_ROUTED',
  'TICKET_STATUS_ASSIGNED',
  'TICKET_STATUS_SIGNED_FOR',
  'TICKET_STATUS_CONTACTED',
  'TICKET_STATUS_RETURNED',
];

// getToken(): the bearer token; onUnauthorized(err): called on any 401 (the caller signs out).
export function createApi({ getToken, onUnauthorized, fetchImpl, clock = serviceClock, base = '' }) {
  const doFetch = fetchImpl ?? ((...a) => fetch(...a));

  async function call(path, { query, method = 'GET', body, signal } = {}) {
    const headers = { Accept: 'application/json', Authorization: `Bearer ${getToken()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await doFetch(base + path + buildQuery(query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      if (e?.name === 'AbortError') throw e;
      throw new ApiError(0, 'UNAVAILABLE', zh.errors.network);
    }
    clock.observeHeaders(res.headers);
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401) onUnauthorized?.(err);
      throw err;
    }
    try {
      return await res.json();
    } catch {
      throw new ApiError(res.status, 'INTERNAL', zh.errors.badJson);
    }
  }

  // Follows next_page_token up to maxPages pages. `truncated` tells whether more were left.
  async function listTicketPages(params, { maxPages = 5, pageSize = 200, signal } = {}) {
    const tickets = [];
    let pageToken = '';
    let readModel;
    let pages = 0;
    for (;;) {
      const r = await call('/v1/tickets', { query: { ...params, page_size: pageSize, page_token: pageToken }, signal });
      for (const t of r.tickets ?? []) tickets.push(t);
      if (r.readModel) readModel = r.readModel;
      pageToken = r.nextPageToken ?? '';
      pages++;
      if (!pageToken) return { tickets, truncated: false, readModel };
      if (pages >= maxPages) return { tickets, truncated: true, readModel };
    }
  }

  return {
    call,
    listTicketPages,
    getTicket: async (id, opts) =>
      (await call(`/v1/tickets/${encodeURIComponent(id)}`, opts)).ticket,
    // The whole history, oldest first, bounded to maxPages pages of 500.
    getHistory: async (id, { maxPages = 10, signal } = {}) => {
      const events = [];
      let pageToken = '';
      for (let i = 0; i < maxPages; i++) {
        const r = await call(`/v1/tickets/${encodeURIComponent(id)}/history`, {
          query: { page_size: 500, page_token: pageToken },
          signal,
        });
        for (const e of r.events ?? []) events.push(e);
        pageToken = r.nextPageToken ?? '';
        if (!pageToken) break;
      }
      return events;
    },
    listBreaches: (query, opts) => call('/v1/breaches', { query, ...opts }),
    getScorecard: (query, opts) => call('/v1/scorecard', { query, ...opts }),
    listRankings: (query, opts) => call('/v1/rankings', { query, ...opts }),
    getOrganisation: async (opts) => (await call('/v1/organisation', opts)).organisation ?? {},
  };
}

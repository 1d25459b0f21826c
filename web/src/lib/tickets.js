// What the board and the ticket page derive from a Ticket (types.proto) in its JSON form.
// Pure functions of the data and a "now" in service time (ms): the unit tests run them.

import { parseTimestamp } from './time.js';

export const CLOSED_STATUSES = new Set(['TICKET_STATUS_RESOLVED', 'TICKET_STATUS_CLOSED']);

export function clockKey(kind) {
  return String(kind || 'CLOCK_KIND_UNSPECIFIED').replace(/^CLOCK_KIND_/, '');
}

// One SlaClock's state:
//   met       met on time
//   breached  the server flagged it (missed, or met late)
//   overdue   still open and past its deadline by the service clock, not (yet) flagged
//   warned    open, a warning threshold passed (warnedPercent > 0)
//   running   open
export function clockState(clock, now) {
  const met = Number.isFinite(parseTimestamp(clock.metAt));
  if (clock.breached) return 'breached';
  if (met) return 'met';
  const deadline = parseTimestamp(clock.deadline);
  if (Number.isFinite(deadline) && Number.isFinite(now) && now >= deadline) return 'overdue';
  if ((clock.warnedPercent ?? 0) > 0) return 'warned';
  return 'running';
}

export function isOpenClock(clock) {
  return !clock.breached && !Number.isFinite(parseTimestamp(clock.metAt));
}

// The open clock that falls due first: {clock, deadline} or null.
export function nextOpenClock(ticket) {
  let best = null;
  for (const c of ticket.clocks ?? []) {
    if (!isOpenClock(c)) continue;
    const d = parseTimestamp(c.deadline);
    if (!Number.isFinite(d)) continue;
    if (!best || d < best.deadline) best = { clock: c, deadline: d };
  }
  return best;
}

export function breachedClocks(ticket) {
  return (ticket.clocks ?? []).filter((c) => c.breached);
}

function tierSet(t) {
  return !!t && t !== 'TIER_UNSPECIFIED';
}

export function isEscalated(ticket) {
  return tierSet(ticket.raisedTier) || (ticket.clocks ?? []).some((c) => c.kind === 'CLOCK_KIND_SUPERVISION');
}

export function isBreached(ticket) {
  return (ticket.clocks ?? []).some((c) => c.breached);
}

// The row state of the board: "escalated" beats "breached" beats "open".
export function ticketState(ticket) {
  if (isEscalated(ticket)) return 'escalated';
  if (isBreached(ticket)) return 'breached';
  return 'open';
}

export function isOpenTicket(ticket) {
  return !CLOSED_STATUSES.has(ticket.status);
}

// How long the ticket's worst missed clock has been overdue (0 if none is overdue now): a clock
// still open counts up to now, one met late counts how late it was met.
export function overdueMs(ticket, now) {
  let worst = 0;
  for (const c of ticket.clocks ?? []) {
    if (!c.breached) continue;
    const d = parseTimestamp(c.deadline);
    const met = parseTimestamp(c.metAt);
    const end = Number.isFinite(met) ? met : now;
    if (Number.isFinite(d) && end - d > worst) worst = end - d;
  }
  return worst;
}

function byId(a, b) {
  return a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0;
}

// Soonest next deadline first; tickets without an open clock last.
export function sortUpcoming(tickets) {
  return [...tickets].sort((a, b) => {
    const da = nextOpenClock(a)?.deadline ?? Infinity;
    const db = nextOpenClock(b)?.deadline ?? Infinity;
    if (da !== db) return da < db ? -1 : 1;
    return byId(a, b);
  });
}

// Escalated before merely breached, then the longest overdue first.
export function sortBreached(tickets, now) {
  return [...tickets].sort((a, b) => {
    const ea = isEscalated(a) ? 1 : 0;
    const eb = isEscalated(b) ? 1 : 0;
    if (ea !== eb) return eb - ea;
    const oa = overdueMs(a, now);
    const ob = overdueMs(b, now);
    if (oa !== ob) return ob - oa;
    return byId(a, b);
  });
}

// A newer copy of the same ticket wins (higher version, then later updatedAt).
export function newer(a, b) {
  const va = Number(a.version ?? 0);
  const vb = Number(b.version ?? 0);
  if (va !== vb) return va > vb ? a : b;
  return (parseTimestamp(a.updatedAt) || 0) >= (parseTimestamp(b.updatedAt) || 0) ? a : b;
}

export function mergeTickets(...lists) {
  const m = new Map();
  for (const list of lists) {
    for (const t of list ?? []) {
      if (!t?.ticketId) continue;
      const had = m.get(t.ticketId);
      m.set(t.ticketId, had ? newer(had, t) : t);
    }
  }
  return [...m.values()];
}

// The board's two lists: open tickets with nothing breached or escalated (by next deadline),
// and open tickets breached or escalated.
export function classify(tickets, now) {
  const upcoming = [];
  const breached = [];
  for (const t of tickets) {
    if (!isOpenTicket(t)) continue;
    (ticketState(t) === 'open' ? upcoming : breached).push(t);
  }
  return { upcoming: sortUpcoming(upcoming), breached: sortBreached(breached, now) };
}

export function leadHandling(ticket) {
  return (ticket.handlings ?? []).find((h) => h.role === 'HANDLING_ROLE_LEAD') ?? null;
}

// Who holds the ticket: the lead unit and its named handler.
// org: the index of lib/org.js (unitName, handlerName).
export function holder(ticket, org) {
  const lead = leadHandling(ticket);
  const unitCode = ticket.responsibleUnitCode || lead?.unitCode || '';
  const a = ticket.assignee?.id ? ticket.assignee : lead?.assignee?.id ? lead.assignee : null;
  const handlerId = a?.id ?? '';
  const handlerName = a ? a.displayName || org?.handlerName(a.id) || a.id : '';
  return {
    unitCode,
    unitName: unitCode ? org?.unitName(unitCode) ?? unitCode : '',
    department: lead?.department ?? '',
    handlerId,
    handlerName,
    awaitingSignFor: ticket.status === 'TICKET_STATUS_ASSIGNED',
  };
}

// A row for a ticket known only from its TicketAccepted event (the board shows it at once; the
// next list that has caught up replaces it).
export function provisionalTicket(ev) {
  const a = ev.accepted ?? {};
  return {
    ticketId: ev.ticketId,
    version: ev.ticketVersion ?? '1',
    status: 'TICKET_STATUS_ACCEPTED',
    priority: a.priority,
    acceptedAt: ev.occurredAt,
    updatedAt: ev.occurredAt,
    clocks: a.clocks ?? [],
    complaint: { channel: a.channel, channelWorkOrderId: a.channelWorkOrderId, category: a.category, location: a.location },
    assignMetBy: a.assignMetBy,
    provisional: true,
  };
}

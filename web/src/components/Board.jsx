// The duty officer's board for the token's unit: tickets about to breach (time left on their
// next open clock, soonest first), breached and escalated tickets with who holds them, and the
// live event feed.
//
// There is no server-side ordering by deadline: the board lists the open tickets (newest first,
// 200 a page, at most 5 pages) plus the breached ones (breached_only), merges them and sorts
// here. It reloads soon after an event (debounced) and every 10 s otherwise.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { zh, statusLabel, categoryLabel, clockShortLabel, tierLabel, departmentLabel } from '../zh.js';
import { OPEN_STATUSES } from '../lib/api.js';
import { startEventStream } from '../lib/feed.js';
import { createRefresher } from '../lib/refresh.js';
import { eventKind, eventKindLabel, eventDetail, ALERT_KINDS } from '../lib/events.js';
import { serviceClock, parseTimestamp, formatLeft, formatShort, formatClockTime, formatSpan } from '../lib/time.js';
import {
  classify,
  mergeTickets,
  nextOpenClock,
  breachedClocks,
  holder,
  ticketState,
  isEscalated,
  isBreached,
  provisionalTicket,
  clockKey,
} from '../lib/tickets.js';
import { useApp, useServiceNow } from '../hooks.js';

const FEED_LIMIT = 200;
const MAX_PAGES = 5;
const PAGE_SIZE = 200;
const PROVISIONAL_MAX_AGE_MS = 60000; // real time

export function Board() {
  const { api, org, claims, token, signOut } = useApp();
  const unit = claims.unit;
  const now = useServiceNow();
  const [lists, setLists] = useState({ tickets: [], truncated: false, loadedAt: NaN, caughtUpTo: NaN, loaded: false });
  const [error, setError] = useState(null);
  const [feed, setFeed] = useState([]);
  const [feedStatus, setFeedStatus] = useState({ status: 'connecting' });
  const [provisional, setProvisional] = useState(() => new Map());
  const refresher = useRef(null);

  // Lists, reloaded by the refresher.
  useEffect(() => {
    const ctrl = new AbortController();
    const load = async () => {
      try {
        const base = { unit_code: unit, statuses: OPEN_STATUSES };
        const opts = { maxPages: MAX_PAGES, pageSize: PAGE_SIZE, signal: ctrl.signal };
        const [open, breached] = await Promise.all([
          api.listTicketPages(base, opts),
          api.listTicketPages({ ...base, breached_only: true }, opts),
        ]);
        const tickets = mergeTickets(open.tickets, breached.tickets);
        const caughtUpTo = parseTimestamp(open.readModel?.caughtUpTo);
        const listed = new Set(tickets.map((t) => t.ticketId));
        // A provisional row goes once the list has it, or the read model has caught up past its
        // acceptance without listing it (it is not this unit's), or after a minute at most.
        const realNow = Date.now();
        setProvisional((m) => {
          const kept = new Map();
          for (const [id, p] of m) {
            const accepted = parseTimestamp(p.acceptedAt);
            if (listed.has(id)) continue;
            if (Number.isFinite(caughtUpTo) && caughtUpTo >= accepted) continue;
            if (realNow - p.seenAt > PROVISIONAL_MAX_AGE_MS) continue;
            kept.set(id, p);
          }
          return kept.size === m.size ? m : kept;
        });
        setLists({
          tickets,
          truncated: open.truncated || breached.truncated,
          loadedAt: serviceClock.now(),
          caughtUpTo,
          loaded: true,
        });
        setError(null);
      } catch (e) {
        if (e?.name !== 'AbortError') setError(e);
        throw e;
      }
    };
    const r = createRefresher(load);
    refresher.current = r;
    r.request(0);
    return () => {
      r.stop();
      ctrl.abort();
    };
  }, [api, unit]);

  // The live feed.
  useEffect(() => {
    const seen = new Set();
    const stream = startEventStream({
      url: `/v1/events?unit_code=${encodeURIComponent(unit)}`,
      getToken: () => token,
      onUnauthorized: () => signOut(zh.signIn.sessionExpired),
      onStatus: (status, info) => setFeedStatus({ status, ...info }),
      onEvents: (events) => {
        const fresh = [];
        for (const ev of events) {
          if (ev.eventId) {
            if (seen.has(ev.eventId)) continue;
            seen.add(ev.eventId);
            if (seen.size > 4 * FEED_LIMIT) seen.delete(seen.values().next().value);
          }
          fresh.push(ev);
        }
        if (!fresh.length) return;
        setFeed((f) => [...fresh.reverse(), ...f].slice(0, FEED_LIMIT));
        const accepted = fresh.filter((ev) => ev.accepted && ev.ticketId);
        if (accepted.length) {
          setProvisional((m) => {
            const n = new Map(m);
            for (const ev of accepted) n.set(ev.ticketId, { ...provisionalTicket(ev), seenAt: Date.now() });
            return n;
          });
        }
        refresher.current?.request();
      },
    });
    return () => stream.stop();
  }, [unit, token, signOut]);

  // Sorted when the data changes, not on every tick of the countdowns.
  const { upcoming, breached } = useMemo(() => {
    const listedIds = new Set(lists.tickets.map((t) => t.ticketId));
    const all = [...lists.tickets, ...[...provisional.values()].filter((p) => !listedIds.has(p.ticketId))];
    return classify(all, serviceClock.now());
  }, [lists, provisional]);

  // Reload when the soonest open deadline passes (the server then reads the clock as breached).
  useEffect(() => {
    const next = upcoming.length ? nextOpenClock(upcoming[0]) : null;
    if (!next) return undefined;
    const delay = serviceClock.realDelayUntil(next.deadline);
    if (!(delay > -1000)) return undefined; // already past: the poll and the events take it
    const h = setTimeout(() => refresher.current?.request(0), Math.max(0, delay) + 300);
    return () => clearTimeout(h);
  }, [upcoming]);

  return (
    <div class="board" data-testid="board">
      <div class="board-status">
        <span data-testid="board-counts">{zh.board.counts(upcoming.length, breached.length)}</span>
        {lists.loaded ? (
          <span class="muted">
            {zh.board.lastRefresh} {formatClockTime(lists.loadedAt)}
            {Number.isFinite(lists.caughtUpTo) ? ` · ${zh.board.readModel} ${formatClockTime(lists.caughtUpTo)}` : ''}
          </span>
        ) : (
          <span class="muted">{zh.app.loading}</span>
        )}
        <button type="button" class="small" onClick={() => refresher.current?.request(0)}>
          {zh.app.refresh}
        </button>
      </div>
      {error ? (
        <div class="error" role="alert" data-testid="board-error">
          {error.message}
        </div>
      ) : null}
      {lists.truncated ? <div class="notice">{zh.board.truncated(MAX_PAGES * PAGE_SIZE)}</div> : null}
      <div class="board-grid">
        <div class="board-lists">
          <section class="panel" data-testid="board-upcoming">
            <h2>
              {zh.board.upcoming} <span class="count">{upcoming.length}</span>
            </h2>
            <p class="muted small">{zh.board.upcomingHint}</p>
            <UpcomingTable tickets={upcoming} now={now} org={org} />
          </section>
          <section class="panel" data-testid="board-breached">
            <h2>
              {zh.board.breached} <span class="count alert">{breached.length}</span>
            </h2>
            <p class="muted small">{zh.board.breachedHint}</p>
            <BreachedTable tickets={breached} now={now} org={org} />
          </section>
        </div>
        <section class="panel feed" data-testid="event-feed" data-status={feedStatus.status}>
          <h2>
            {zh.board.feed} <FeedStatus s={feedStatus} />
          </h2>
          <Feed events={feed} org={org} />
        </section>
      </div>
    </div>
  );
}

function FeedStatus({ s }) {
  const t = zh.feed.status;
  let text = t[s.status] ?? s.status;
  if (s.status === 'reconnecting') text = t.reconnecting(Math.ceil((s.inMs ?? 0) / 1000));
  if (s.status === 'failed' && s.error) text = `${t.failed}：${s.error.message}`;
  return (
    <span class={`feed-status ${s.status}`} data-testid="feed-status">
      {text}
    </span>
  );
}

function place(t, org) {
  const loc = t.complaint?.location;
  const community = loc?.jurisdiction?.communityCode;
  const parts = [];
  if (loc?.estateName) parts.push(loc.estateName);
  if (community) parts.push(org.unitName(community));
  return parts.join(' · ') || zh.app.dash;
}

function TicketLink({ id }) {
  return (
    <a href={`#/ticket/${encodeURIComponent(id)}`} class="ticket-link mono">
      {id}
    </a>
  );
}

function Holder({ t, org }) {
  const h = holder(t, org);
  return (
    <>
      <td>
        {h.unitCode ? (
          <>
            {h.unitName}
            {h.department ? <span class="muted small"> {departmentLabel(h.department)}</span> : null}
          </>
        ) : (
          <span class="muted">{zh.board.unrouted}</span>
        )}
      </td>
      <td>
        {h.handlerName ? (
          <>
            {h.handlerName}
            {h.awaitingSignFor ? <span class="badge warn">{zh.board.awaitingSignFor}</span> : null}
          </>
        ) : (
          <span class="muted">{zh.board.unassigned}</span>
        )}
      </td>
    </>
  );
}

function leftClass(left, clock) {
  if (!Number.isFinite(left)) return '';
  if (left <= 0) return 'left overdue';
  const started = parseTimestamp(clock.startedAt);
  const deadline = parseTimestamp(clock.deadline);
  const span = deadline - started;
  if (span > 0 && left / span < 0.2) return 'left urgent';
  if (span > 0 && left / span < 0.5) return 'left soon';
  return 'left';
}

function UpcomingTable({ tickets, now, org }) {
  if (!tickets.length) return <p class="empty">{zh.board.emptyUpcoming}</p>;
  const c = zh.board.col;
  return (
    <table class="tickets">
      <thead>
        <tr>
          <th>{c.ticket}</th>
          <th>{c.category}</th>
          <th>{c.place}</th>
          <th>{c.status}</th>
          <th>{c.nextClock}</th>
          <th>{c.deadline}</th>
          <th>{c.left}</th>
          <th>{c.leadUnit}</th>
          <th>{c.handler}</th>
        </tr>
      </thead>
      <tbody>
        {tickets.map((t) => {
          const next = nextOpenClock(t);
          const left = next ? next.deadline - now : NaN;
          return (
            <tr
              key={t.ticketId}
              data-ticket-id={t.ticketId}
              data-state={ticketState(t)}
              data-breached="false"
              data-escalated="false"
              data-next-clock={next ? clockKey(next.clock.kind) : ''}
              class={t.provisional ? 'provisional' : ''}
              title={t.provisional ? zh.board.provisional : undefined}
            >
              <td>
                <TicketLink id={t.ticketId} />
              </td>
              <td>{categoryLabel(t.complaint?.category)}</td>
              <td>{place(t, org)}</td>
              <td>{statusLabel(t.status)}</td>
              <td>{next ? clockShortLabel(next.clock.kind) : zh.board.noOpenClock}</td>
              <td class="time">{next ? formatShort(next.deadline) : zh.app.dash}</td>
              <td class={next ? leftClass(left, next.clock) : ''} data-testid="time-left">
                {next ? (left > 0 ? formatLeft(left) : zh.time.due) : zh.app.dash}
              </td>
              <Holder t={t} org={org} />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function BreachedTable({ tickets, now, org }) {
  if (!tickets.length) return <p class="empty">{zh.board.emptyBreached}</p>;
  const c = zh.board.col;
  return (
    <table class="tickets">
      <thead>
        <tr>
          <th>{c.ticket}</th>
          <th>{c.category}</th>
          <th>{c.flags}</th>
          <th>{c.breachedClocks}</th>
          <th>{c.tier}</th>
          <th>{c.status}</th>
          <th>{c.leadUnit}</th>
          <th>{c.handler}</th>
          <th>{c.nextClock}</th>
        </tr>
      </thead>
      <tbody>
        {tickets.map((t) => {
          const next = nextOpenClock(t);
          const left = next ? next.deadline - now : NaN;
          const esc = isEscalated(t);
          const br = isBreached(t);
          return (
            <tr
              key={t.ticketId}
              data-ticket-id={t.ticketId}
              data-state={ticketState(t)}
              data-breached={String(br)}
              data-escalated={String(esc)}
            >
              <td>
                <TicketLink id={t.ticketId} />
              </td>
              <td>{categoryLabel(t.complaint?.category)}</td>
              <td>
                {br ? <span class="badge alert">{zh.board.flagBreached}</span> : null}
                {esc ? <span class="badge escalated">{zh.board.flagEscalated}</span> : null}
              </td>
              <td>
                {breachedClocks(t).map((k) => {
                  const d = parseTimestamp(k.deadline);
                  const met = parseTimestamp(k.metAt);
                  const late = (Number.isFinite(met) ? met : now) - d;
                  return (
                    <div key={k.kind + (k.round ?? '')} class="breached-clock" data-clock={clockKey(k.kind)}>
                      {clockShortLabel(k.kind)} <span class="muted small">{zh.time.overdue(formatSpan(late))}</span>
                    </div>
                  );
                })}
              </td>
              <td>{tierLabel(t.supervisionTier)}</td>
              <td>{statusLabel(t.status)}</td>
              <Holder t={t} org={org} />
              <td class={next ? leftClass(left, next.clock) : ''}>
                {next ? `${clockShortLabel(next.clock.kind)} ${left > 0 ? formatLeft(left) : zh.time.due}` : zh.app.dash}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Feed({ events, org }) {
  if (!events.length) return <p class="empty">{zh.board.emptyFeed}</p>;
  return (
    <ol class="feed-list">
      {events.map((ev, i) => {
        const kind = eventKind(ev);
        return (
          <li
            key={ev.eventId || `${ev.ticketId}-${ev.ticketVersion}-${i}`}
            class={ALERT_KINDS.has(kind) ? `alert ${kind}` : kind}
            data-testid="feed-entry"
            data-event-kind={kind}
            data-event-ticket-id={ev.ticketId}
          >
            <span class="time muted">{formatClockTime(parseTimestamp(ev.occurredAt))}</span>
            <span class={`kind ${kind}`}>{eventKindLabel(kind)}</span>
            <TicketLink id={ev.ticketId} />
            <div class="detail">{eventDetail(ev, org)}</div>
          </li>
        );
      })}
    </ol>
  );
}

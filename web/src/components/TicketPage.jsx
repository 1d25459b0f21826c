// One ticket: its fields, each clock as a timeline, who handles it, and its history (oldest
// first, newest last). Reloaded every 5 s while open.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  zh,
  statusLabel,
  priorityLabel,
  categoryLabel,
  channelLabel,
  tierLabel,
  departmentLabel,
  handlingRoleLabel,
  shareStateLabel,
  clockShortLabel,
} from '../zh.js';
import { parseTimestamp, formatDateTime } from '../lib/time.js';
import { ticketState, isBreached, isEscalated, holder } from '../lib/tickets.js';
import { eventKind, eventKindLabel, eventDetail, actorLabel, ALERT_KINDS } from '../lib/events.js';
import { useApp, useServiceNow } from '../hooks.js';
import { ClockTimeline } from './ClockTimeline.jsx';

const RELOAD_MS = 5000;

export function TicketPage({ id }) {
  const { api, org } = useApp();
  const now = useServiceNow();
  const [ticket, setTicket] = useState(null);
  const [history, setHistory] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    const ctrl = new AbortController();
    let timer = null;
    const load = async () => {
      try {
        const [t, h] = await Promise.all([
          api.getTicket(id, { signal: ctrl.signal }),
          api.getHistory(id, { signal: ctrl.signal }),
        ]);
        setTicket(t);
        setHistory(h);
        setError(null);
      } catch (e) {
        if (e?.name === 'AbortError') return;
        setError(e);
      }
      if (!ctrl.signal.aborted) timer = setTimeout(load, RELOAD_MS);
    };
    load();
    return () => {
      ctrl.abort();
      clearTimeout(timer);
    };
  }, [api, id]);

  if (!ticket) {
    return (
      <div class="ticket-page" data-testid="ticket-page" data-ticket-id={id} data-loaded="false">
        <p>
          <a href="#/board">← {zh.ticket.back}</a>
        </p>
        {error ? (
          <div class="error" role="alert" data-testid="ticket-error">
            {error.httpStatus === 404 ? zh.ticket.notFound : error.message}
          </div>
        ) : (
          <p class="muted">{zh.app.loading}</p>
        )}
      </div>
    );
  }

  const f = zh.ticket.field;
  const c = ticket.complaint ?? {};
  const loc = c.location ?? {};
  const h = holder(ticket, org);
  const state = ticketState(ticket);
  const rows = [
    [f.status, statusLabel(ticket.status)],
    [f.priority, priorityLabel(ticket.priority)],
    [f.category, categoryLabel(c.category)],
    [f.channel, channelLabel(c.channel)],
    [f.workOrder, c.channelWorkOrderId],
    [f.title, c.title],
    [f.estate, loc.estateName],
    [f.address, loc.address],
    [f.community, loc.jurisdiction?.communityCode ? org.unitName(loc.jurisdiction.communityCode) : ''],
    [f.complainant, c.complainant?.name],
    [f.phone, c.complainant?.phone],
    [f.acceptedAt, formatDateTime(parseTimestamp(ticket.acceptedAt))],
    [f.leadUnit, h.unitCode ? `${h.unitName}${h.department ? ` · ${departmentLabel(h.department)}` : ''}` : zh.board.unrouted],
    [f.assignee, h.handlerName ? `${h.handlerName}${h.awaitingSignFor ? `（${zh.board.awaitingSignFor}）` : ''}` : zh.board.unassigned],
    [f.signForDeadline, ticket.signForDeadline ? formatDateTime(parseTimestamp(ticket.signForDeadline)) : ''],
    [f.supervisionTier, tierLabel(ticket.supervisionTier)],
    [f.raisedTier, ticket.raisedTier ? tierLabel(ticket.raisedTier) : ''],
    [f.manualRouting, ticket.needsManualRouting ? '是' : ''],
    [f.returns, ticket.returnCount ? String(ticket.returnCount) : ''],
    [f.redos, ticket.redoCount ? String(ticket.redoCount) : ''],
    [f.company, ticket.propertyCompanyCode || c.propertyCompany],
    [
      f.pendingExtension,
      ticket.pendingExtension
        ? `${clockShortLabel(ticket.pendingExtension.clock)} → ${formatDateTime(
            parseTimestamp(ticket.pendingExtension.requestedDeadline),
          )}：${ticket.pendingExtension.reason ?? ''}`
        : '',
    ],
    [f.updatedAt, formatDateTime(parseTimestamp(ticket.updatedAt))],
    [f.version, ticket.version],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');

  return (
    <div
      class="ticket-page"
      data-testid="ticket-page"
      data-ticket-id={ticket.ticketId}
      data-state={state}
      data-loaded="true"
    >
      <p>
        <a href="#/board">← {zh.ticket.back}</a>
      </p>
      <h1>
        {zh.ticket.title(ticket.ticketId)} <span class="badge">{statusLabel(ticket.status)}</span>
        {isBreached(ticket) ? <span class="badge alert">{zh.board.flagBreached}</span> : null}
        {isEscalated(ticket) ? <span class="badge escalated">{zh.board.flagEscalated}</span> : null}
      </h1>
      {error ? (
        <div class="error" role="alert" data-testid="ticket-error">
          {error.message}
        </div>
      ) : null}
      <div class="ticket-grid">
        <section class="panel">
          <h2>{zh.ticket.fields}</h2>
          <dl class="fields" data-testid="ticket-fields">
            {rows.map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </Fragment>
            ))}
          </dl>
          {c.description ? (
            <>
              <h3>{f.description}</h3>
              <p class="description">{c.description}</p>
            </>
          ) : null}
        </section>
        <section class="panel" data-testid="ticket-clocks">
          <h2>{zh.ticket.clocks}</h2>
          {(ticket.clocks ?? []).map((k) => (
            <ClockTimeline key={`${k.kind}-${k.round ?? 1}`} clock={k} now={now} />
          ))}
          {(ticket.handlings ?? []).length ? (
            <>
              <h3>{zh.ticket.handlings}</h3>
              <table class="tickets" data-testid="ticket-handlings">
                <thead>
                  <tr>
                    <th>{zh.ticket.handling.unit}</th>
                    <th>{zh.ticket.handling.department}</th>
                    <th>{zh.ticket.handling.role}</th>
                    <th>{zh.ticket.handling.assignee}</th>
                    <th>{zh.ticket.handling.state}</th>
                  </tr>
                </thead>
                <tbody>
                  {ticket.handlings.map((x) => (
                    <tr key={`${x.unitCode}-${x.department}`}>
                      <td>{org.unitName(x.unitCode)}</td>
                      <td>{departmentLabel(x.department)}</td>
                      <td>{handlingRoleLabel(x.role)}</td>
                      <td>
                        {x.assignee?.id
                          ? x.assignee.displayName || org.handlerName(x.assignee.id) || x.assignee.id
                          : zh.board.unassigned}
                      </td>
                      <td>{shareStateLabel(x.state)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </section>
      </div>
      <section class="panel" data-testid="ticket-history">
        <h2>{zh.ticket.history}</h2>
        {history && history.length ? (
          <table class="tickets history">
            <thead>
              <tr>
                <th>{zh.ticket.hist.time}</th>
                <th>{zh.ticket.hist.kind}</th>
                <th>{zh.ticket.hist.actor}</th>
                <th>{zh.ticket.hist.detail}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((ev, i) => {
                const kind = eventKind(ev);
                return (
                  <tr key={ev.eventId || i} data-event-kind={kind} class={ALERT_KINDS.has(kind) ? 'alert' : ''}>
                    <td class="time">{formatDateTime(parseTimestamp(ev.occurredAt))}</td>
                    <td>
                      <span class={`kind ${kind}`}>{eventKindLabel(kind)}</span>
                    </td>
                    <td>{actorLabel(ev, org)}</td>
                    <td>
                      {eventDetail(ev, org)}
                      {ev.reason ? <div class="muted small">{ev.reason}</div> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p class="empty">{history ? zh.ticket.historyEmpty : zh.app.loading}</p>
        )}
      </section>
    </div>
  );
}

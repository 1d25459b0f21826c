// TicketEvent (events.proto) in its JSON form → what the feed and the history show. The payload
// is a oneof: exactly one of the lowerCamelCase fields below is set.

import {
  zh,
  channelLabel,
  categoryLabel,
  clockShortLabel,
  tierLabel,
  departmentLabel,
  satisfactionLabel,
  closureLabel,
  returnReasonLabel,
} from '../zh.js';
import { parseDuration, parseTimestamp, formatSpan, formatDateTime } from './time.js';

export const EVENT_KINDS = [
  'accepted',
  'routed',
  'assigned',
  'returned',
  'contacted',
  'resolved',
  'revisited',
  'reopened',
  'extensionRequested',
  'warned',
  'breached',
  'escalated',
  'closed',
  'extensionDecided',
  'signedFor',
  'signForLapsed',
  'assistAssigned',
  'assistSignedFor',
  'assistCompleted',
  'companyCorrected',
];

export function eventKind(ev) {
  for (const k of EVENT_KINDS) if (ev && ev[k] !== undefined) return k;
  return 'unknown';
}

export function eventKindLabel(kind) {
  return zh.eventKind[kind] ?? zh.eventKind.unknown;
}

// Events that need the duty officer's eye.
export const ALERT_KINDS = new Set(['breached', 'escalated', 'warned', 'returned', 'signForLapsed', 'reopened']);

function actorName(a, org) {
  if (!a) return '';
  return a.displayName || org?.handlerName(a.id) || a.id || '';
}

export function actorLabel(ev, org) {
  const a = ev.actor;
  if (!a?.id) return '';
  if (a.id === 'system') return '系统';
  if (a.id === 'routing') return '自动派单';
  if (a.id.startsWith('channel:')) return channelLabel(a.id.slice('channel:'.length));
  return actorName(a, org);
}

// One line of detail in Chinese.
export function eventDetail(ev, org) {
  const d = zh.detail;
  const unit = (code) => org?.unitName(code) ?? code ?? '';
  const kind = eventKind(ev);
  const p = ev[kind] ?? {};
  switch (kind) {
    case 'accepted':
      return d.accepted(channelLabel(p.channel), categoryLabel(p.category));
    case 'routed': {
      const parts = [d.routedTo(unit(p.unitCode))];
      if (p.needsManualRouting) parts.push(d.manualRouting);
      else if (p.manual) parts.push(d.byDispatcher);
      return parts.join('，');
    }
    case 'assigned': {
      const s = d.assignedTo(actorName(p.assignee, org));
      return p.automatic ? `${s}（${d.automatic}）` : s;
    }
    case 'signedFor':
      return d.signedBy(actorName(p.handler, org));
    case 'signForLapsed':
      return d.lapsed(actorName(p.assignee, org));
    case 'returned': {
      const parts = [d.returnedBy(unit(p.unitCode)), returnReasonLabel(p.reasonCode)];
      if (p.suggestedDepartment) parts.push(d.suggested(departmentLabel(p.suggestedDepartment)));
      return parts.join('，');
    }
    case 'contacted':
      return d.preliminary(p.preliminaryResult ?? '');
    case 'resolved':
      return d.resolvedResult(p.result ?? '');
    case 'revisited': {
      const s = d.revisit(!!p.reached, !!p.solved, satisfactionLabel(p.satisfaction));
      return p.falseClosure ? `${s}，${d.falseClosure}` : s;
    }
    case 'reopened':
      return d.reopened(p.redoCount ?? 1);
    case 'extensionRequested':
      return d.extension(
        clockShortLabel(p.extension?.clock),
        formatDateTime(parseTimestamp(p.extension?.requestedDeadline)),
      );
    case 'extensionDecided':
      return d.extensionDecided(!!p.approved, formatDateTime(parseTimestamp(p.newDeadline)));
    case 'warned':
      return d.warned(clockShortLabel(p.clock), p.percentElapsed ?? 0);
    case 'breached': {
      const s = d.breached(clockShortLabel(p.clock), unit(p.unitCode), formatSpan(parseDuration(p.breachedBy)));
      return p.metLate ? s + d.metLate : s;
    }
    case 'escalated':
      return `${d.escalated(tierLabel(p.fromTier), tierLabel(p.toTier))}，${d.supervisionBy(
        formatDateTime(parseTimestamp(p.supervisionDeadline)),
      )}`;
    case 'closed':
      return d.closed(closureLabel(p.reason));
    case 'assistAssigned':
      return `${d.share(unit(p.share?.unitCode), departmentLabel(p.share?.department))} ${d.assignedTo(
        actorName(p.assignee, org),
      )}`;
    case 'assistSignedFor':
      return `${d.share(unit(p.share?.unitCode), departmentLabel(p.share?.department))} ${d.signedBy(
        actorName(p.handler, org),
      )}`;
    case 'assistCompleted':
      return `${d.share(unit(p.share?.unitCode), departmentLabel(p.share?.department))} ${p.result ?? ''}`;
    case 'companyCorrected':
      return d.companyCorrected(p.fromCode, p.toCode);
    default:
      return '';
  }
}

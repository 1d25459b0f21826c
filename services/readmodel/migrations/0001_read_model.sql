-- 0001: the read model and archive (issue #15). Fed by the projector from the Redis event
-- streams; every row is derived from events and can be rebuilt from them. Times are
-- timestamptz (UTC instants); enums are the dispatch.v1 enum numbers; serialized protobufs are
-- bytea. Applied once, in one transaction, by services/readmodel/migrations.h.

-- The current state of every ticket (open, closed, archived: Redis keeps only live work).
CREATE TABLE tickets (
  ticket_id              text PRIMARY KEY,
  -- The ticket's version after the last event applied; an older event never overwrites it.
  version                bigint      NOT NULL,
  status                 smallint    NOT NULL,  -- dispatch.v1.TicketStatus
  channel                smallint    NOT NULL,  -- dispatch.v1.Channel
  channel_work_order_id  text        NOT NULL DEFAULT '',
  category               smallint    NOT NULL,  -- dispatch.v1.Category
  priority               smallint    NOT NULL,  -- dispatch.v1.Priority
  supervision_tier       smallint    NOT NULL DEFAULT 0,  -- dispatch.v1.Tier
  unit_code              text        NOT NULL DEFAULT '',  -- lead unit; '' before routing
  -- The lead unit and its ancestors as stored at routing (parent first after the unit).
  unit_path              text[]      NOT NULL DEFAULT '{}',
  department             smallint    NOT NULL DEFAULT 0,  -- dispatch.v1.Department
  assisting_units        text[]      NOT NULL DEFAULT '{}',
  handler_id             text        NOT NULL DEFAULT '',
  estate                 text        NOT NULL DEFAULT '',
  property_company       text        NOT NULL DEFAULT '',
  accepted_at            timestamptz NOT NULL,
  closed_at              timestamptz,  -- when it was closed (the archive's retention runs from it)
  archived_at            timestamptz,  -- when it left Redis (services/readmodel/archiver.h)
  -- A keyed hash of the complainant's phone (services/readmodel/personal_data.h): counts
  -- distinct complainants, finds a complainant's tickets, and outlives the erasure of the phone.
  complainant_key        text        NOT NULL DEFAULT '',
  pii_erased_at          timestamptz,  -- when the name, phone and address were erased
  breached               boolean     NOT NULL DEFAULT false,
  -- The serialized dispatch.v1.Ticket as the last event left it (complainant included: reads
  -- mask it as the API does).
  ticket                 bytea       NOT NULL,
  updated_at             timestamptz NOT NULL
);
-- Not unique: once a work order's idempotency record has expired (read_model.
-- idempotency_retention) a re-send is a new ticket; a lookup takes the newest.
CREATE INDEX tickets_work_order ON tickets (channel, channel_work_order_id, accepted_at DESC)
  WHERE channel_work_order_id <> '';
CREATE INDEX tickets_accepted ON tickets (accepted_at DESC, ticket_id DESC);
CREATE INDEX tickets_to_archive ON tickets (closed_at, ticket_id)
  WHERE archived_at IS NULL AND closed_at IS NOT NULL;
CREATE INDEX tickets_complainant ON tickets (complainant_key) WHERE complainant_key <> '';
CREATE INDEX tickets_to_erase ON tickets (accepted_at, ticket_id) WHERE pii_erased_at IS NULL;

-- Which units' views a ticket belongs to: one row per unit of its lead unit's path, of its
-- assisting units' paths and, before routing, of its location's units. A unit's subtree list
-- is then one index range, newest first, with the filters dashboards use beside it.
CREATE TABLE ticket_units (
  unit_code    text        NOT NULL,
  accepted_at  timestamptz NOT NULL,
  ticket_id    text        NOT NULL REFERENCES tickets (ticket_id) ON DELETE CASCADE,
  status       smallint    NOT NULL,
  breached     boolean     NOT NULL,
  category     smallint    NOT NULL,
  supervision_tier smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (unit_code, accepted_at, ticket_id)
);
CREATE INDEX ticket_units_status ON ticket_units (unit_code, status, accepted_at DESC, ticket_id DESC);
CREATE INDEX ticket_units_breached ON ticket_units (unit_code, accepted_at DESC, ticket_id DESC)
  WHERE breached;
CREATE INDEX ticket_units_category ON ticket_units (unit_code, category, accepted_at DESC, ticket_id DESC);
CREATE INDEX ticket_units_ticket ON ticket_units (ticket_id);

-- Every event of every ticket, partitioned by month of occurred_at (the projector creates a
-- month's partition before its first event). event_id is "<shard>-<stream entry id>";
-- stream_ms and stream_seq are the entry id's two numbers: a ticket's events (all in one
-- shard's stream) in that order are its history in the order it happened.
CREATE TABLE ticket_events (
  occurred_at  timestamptz NOT NULL,
  event_id     text        NOT NULL,
  ticket_id    text        NOT NULL,
  stream_ms    bigint      NOT NULL,
  stream_seq   bigint      NOT NULL,
  version      bigint      NOT NULL,  -- the ticket's version after the event
  type         text        NOT NULL,  -- the payload's field name: "accepted", "breached", ...
  actor_id     text        NOT NULL DEFAULT '',
  event        bytea       NOT NULL,  -- serialized dispatch.v1.TicketEvent
  PRIMARY KEY (occurred_at, event_id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, stream_ms, stream_seq);

-- The ledgers the supervision outputs read (breaches, returns, extensions, revisits), one row
-- per event, with the unit it counts against and that unit's path for subtree filters.
CREATE TABLE breaches (
  event_id     text        PRIMARY KEY,
  ticket_id    text        NOT NULL,
  clock_kind   smallint    NOT NULL,  -- dispatch.v1.ClockKind
  tier         smallint    NOT NULL,
  unit_code    text        NOT NULL,
  breached_at  timestamptz NOT NULL,
  deadline     timestamptz,
  breached_by_ms bigint    NOT NULL DEFAULT 0  -- how late, when detected or met late
);
CREATE INDEX breaches_time ON breaches (breached_at DESC, event_id DESC);
CREATE TABLE breach_units (
  unit_code    text        NOT NULL,
  breached_at  timestamptz NOT NULL,
  event_id     text        NOT NULL REFERENCES breaches (event_id) ON DELETE CASCADE,
  PRIMARY KEY (unit_code, breached_at, event_id)
);

CREATE TABLE returns (
  event_id     text        PRIMARY KEY,
  ticket_id    text        NOT NULL,
  unit_code    text        NOT NULL,  -- the unit that returned it (退单)
  returned_at  timestamptz NOT NULL,
  reason       text        NOT NULL DEFAULT ''
);
CREATE INDEX returns_unit ON returns (unit_code, returned_at DESC);

CREATE TABLE extensions (
  extension_id  text        PRIMARY KEY,
  ticket_id     text        NOT NULL,
  unit_code     text        NOT NULL,  -- the lead unit when it was requested
  clock_kind    smallint    NOT NULL,  -- dispatch.v1.ClockKind
  requested_by  text        NOT NULL DEFAULT '',
  requested_at  timestamptz NOT NULL,
  decided_at    timestamptz,
  approved      boolean
);
CREATE INDEX extensions_unit ON extensions (unit_code, requested_at DESC);

CREATE TABLE revisits (
  event_id      text        PRIMARY KEY,
  ticket_id     text        NOT NULL,
  unit_code     text        NOT NULL,  -- the unit the revisit judges
  revisited_at  timestamptz NOT NULL,
  satisfaction  smallint    NOT NULL DEFAULT 0,  -- dispatch.v1.Satisfaction
  false_closure boolean     NOT NULL DEFAULT false,
  revisit       bytea       NOT NULL,  -- serialized dispatch.v1.RevisitRecorded
  recorded_at   timestamptz NOT NULL,  -- when the event was recorded (the ledger's time)
  revisited_by  bytea       NOT NULL   -- serialized dispatch.v1.Actor
);
CREATE INDEX revisits_unit ON revisits (unit_code, revisited_at DESC);
CREATE INDEX revisits_time ON revisits (recorded_at DESC, event_id DESC);
-- The revisit ledger (回访台账) of a unit's subtree: the judged unit and its ancestors.
CREATE TABLE revisit_units (
  unit_code    text        NOT NULL,
  recorded_at  timestamptz NOT NULL,
  event_id     text        NOT NULL REFERENCES revisits (event_id) ON DELETE CASCADE,
  PRIMARY KEY (unit_code, recorded_at, event_id)
);

-- How far each projector has caught up: every stream entry appended before caught_up_to (the
-- projector's clock) that it was handed is applied. Reads report the least of the projectors
-- seen lately (services/readmodel/reader.h).
CREATE TABLE projector_progress (
  consumer      text        PRIMARY KEY,
  caught_up_to  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- Erasures of personal data (IntakeService.ErasePersonalData): who asked, why, which tickets,
-- and when every one of them was done (the archiver finishes tickets it had to wait for).
CREATE TABLE erasure_requests (
  erasure_id    text        PRIMARY KEY,
  request_id    text        NOT NULL UNIQUE,
  requested_by  text        NOT NULL,
  reason        text        NOT NULL,
  requested_at  timestamptz NOT NULL,
  ticket_ids    text[]      NOT NULL,
  pending       text[]      NOT NULL,  -- tickets not erased yet
  completed_at  timestamptz
);
CREATE INDEX erasure_requests_open ON erasure_requests (requested_at) WHERE completed_at IS NULL;

-- 0003: the supervision statistics (issue #16). The facts services/statistics/rates.h folds from
-- each ticket's history (FoldTicket, CompanyComplaintOf), kept by services/statistics/
-- fact_store.h. Every row here is derived from ticket_events and the organisation, and a month
-- recomputed from the events gives the same rows (FactStore::Recompute).

-- Tickets whose facts must be folded again: the projector appends every ticket a batch touched,
-- in the batch's transaction; the fact store takes the rows due (oldest first), deletes every
-- row of their tickets, folds them and writes the facts in one transaction. Append-only, so the
-- projector never waits for the fact store.
CREATE TABLE fact_queue (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket_id  text        NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_queue_ticket ON fact_queue (ticket_id);

-- One row a fact: a ticket counted once in one measure (statistics::Measure: 0 response,
-- 1 resolution, 2 satisfaction, 3 on time, 4 return, 5 redo), in the calendar month of the
-- service's time zone (`month` is its first day), charged to one unit.
CREATE TABLE ticket_facts (
  ticket_id  text        NOT NULL,
  measure    smallint    NOT NULL,
  seq        integer     NOT NULL,  -- 0, or the dispatch's number for RETURN
  month      date        NOT NULL,
  unit_code  text        NOT NULL,  -- the unit charged
  -- The unit charged and its ancestors when the fact was folded: the subtrees it counts in.
  unit_path  text[]      NOT NULL,
  numerator  boolean     NOT NULL,
  fact_at    timestamptz NOT NULL,  -- the event that settled it
  PRIMARY KEY (ticket_id, measure, seq)
);
CREATE INDEX ticket_facts_month ON ticket_facts (month, ticket_id);

-- The facts of a unit's subtree: one row for each unit of a fact's unit_path (the tickets
-- behind a scorecard's number, a keyset page of one index range).
CREATE TABLE fact_units (
  unit_code  text     NOT NULL,
  month      date     NOT NULL,
  measure    smallint NOT NULL,
  ticket_id  text     NOT NULL,
  seq        integer  NOT NULL,
  numerator  boolean  NOT NULL,
  PRIMARY KEY (unit_code, month, measure, ticket_id, seq)
);

-- fact_units summed by unit, month and measure, changed in the same transaction as they are:
-- a scorecard or a ranking is a read of a few rows whatever the number of tickets.
CREATE TABLE unit_month_totals (
  month        date     NOT NULL,
  unit_code    text     NOT NULL,
  measure      smallint NOT NULL,
  numerator    bigint   NOT NULL,
  denominator  bigint   NOT NULL,
  PRIMARY KEY (month, unit_code, measure)
);

-- What each complaint about a property company adds to the company's credit record (DOMAIN.md
-- §5): the finding of its latest resolution, a refusal to rectify, the verdict revisit. The
-- complainant key is the keyed hash of the phone (personal_data.h), never the number.
CREATE TABLE company_complaints (
  ticket_id        text        PRIMARY KEY,
  company          text        NOT NULL,
  accepted_at      timestamptz NOT NULL,
  complainant_key  text        NOT NULL,
  substantiated    boolean     NOT NULL,
  refused          boolean     NOT NULL,
  reached          boolean     NOT NULL,
  satisfied        boolean     NOT NULL,
  unit_path        text[]      NOT NULL  -- the lead unit's path: whose subtree lists the ticket
);
CREATE INDEX company_complaints_window ON company_complaints (company, accepted_at)
  INCLUDE (complainant_key, substantiated, refused, reached, satisfied);
CREATE INDEX company_complaints_time ON company_complaints (accepted_at);

-- The tickets projected before this migration: their facts are folded once (the fact store
-- works through the queue in the background after an upgrade).
INSERT INTO fact_queue (ticket_id) SELECT ticket_id FROM tickets ORDER BY accepted_at;

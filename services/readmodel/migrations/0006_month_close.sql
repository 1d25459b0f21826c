-- 0006: the month close (issue #16). Month M is final from 00:00 on statistics.close_day of
-- M+1 (the service's time zone): the fact store records the close and the figures published
-- then (a copy of unit_month_totals), and from then on every change to a fact of M is also
-- recorded here as an adjustment, so that published + adjustments = the figures kept live
-- (FactStore::Recompute checks it). Scorecards, rankings and exports of a closed month read
-- the published figures (services/statistics/statistics_service.h).
CREATE TABLE month_closes (
  month      date        PRIMARY KEY,
  closed_at  timestamptz NOT NULL  -- service time
);

CREATE TABLE closed_unit_totals (
  month        date     NOT NULL,
  unit_code    text     NOT NULL,
  measure      smallint NOT NULL,
  numerator    bigint   NOT NULL,
  denominator  bigint   NOT NULL,
  PRIMARY KEY (month, unit_code, measure)
);

-- One row a fact of a closed month taken out (-1) or put in (+1) after the close, with the
-- path it counts in (the charged unit and its ancestors).
CREATE TABLE fact_adjustments (
  seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  month              date        NOT NULL,
  ticket_id          text        NOT NULL,
  measure            smallint    NOT NULL,
  fact_seq           integer     NOT NULL,
  unit_code          text        NOT NULL,
  unit_path          text[]      NOT NULL,
  numerator_delta    integer     NOT NULL,
  denominator_delta  integer     NOT NULL,
  recorded_at        timestamptz NOT NULL  -- service time
);
CREATE INDEX fact_adjustments_month ON fact_adjustments (month, seq);

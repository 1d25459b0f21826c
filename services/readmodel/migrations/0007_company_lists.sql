-- 0007: the company lists (issue #16; DOMAIN.md §5). The housing bureau's annual credit
-- evaluations as recorded (StatisticsService.RecordCreditEvaluation: one a company and year,
-- the latest recording standing), and the lists published at each month's close (the fact
-- store writes them in the close's transaction, services/statistics/fact_store.h).
CREATE TABLE credit_evaluations (
  credit_code  text          NOT NULL,
  year         integer       NOT NULL,
  score        numeric(5, 2) NOT NULL,
  note         text          NOT NULL DEFAULT '',
  recorded_by  text          NOT NULL,
  recorded_at  timestamptz   NOT NULL,  -- service time
  PRIMARY KEY (credit_code, year)
);

CREATE TABLE company_lists (
  month           date          NOT NULL,
  list            smallint      NOT NULL,  -- dispatch.v1.CompanyList
  credit_code     text          NOT NULL,
  name            text          NOT NULL,
  latest_year     integer       NOT NULL,
  latest_score    numeric(5, 2) NOT NULL,
  previous_year   integer       NOT NULL,  -- 0: none
  previous_score  numeric(5, 2) NOT NULL,
  PRIMARY KEY (month, list, credit_code)
);

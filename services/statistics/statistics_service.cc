#include "services/statistics/statistics_service.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/proto_time.h"
#include "common/text.h"
#include "services/auth/access_policy.h"
#include "services/readmodel/sql.h"
#include "services/statistics/company_lists.h"

namespace dispatch::statistics {
namespace {

namespace sql = readmodel::sql;

constexpr int kDefaultPageSize = 50;

absl::StatusOr<absl::CivilMonth> ParseMonth(const std::string& text, const char* field) {
  absl::CivilMonth m;
  if (text.size() != 7 || !absl::ParseCivilTime(text, &m) || absl::FormatCivilTime(m) != text ||
      m.year() < 2000 || m.year() > 2199) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a month \"YYYY-MM\" (e.g. 2026-11), got \"",
                     text.substr(0, 20), "\""));
  }
  return m;
}

absl::Status NoReadModel() {
  return absl::FailedPreconditionError(
      "statistics are read from the read model: this dispatchd has none (read_model.conninfo)");
}

// The measures of a scorecard, in the proto's order (rates.h Measure + 1).
v1::Measure MeasureOf(Measure m) { return static_cast<v1::Measure>(static_cast<int>(m) + 1); }

v1::Weights WeightsOf(const Weights& w) {
  v1::Weights out;
  out.set_response(w.response);
  out.set_resolution(w.resolution);
  out.set_satisfaction(w.satisfaction);
  return out;
}

// When `month` was closed (fact_store.h, the month close); nullopt while it is open.
absl::StatusOr<std::optional<absl::Time>> ClosedAt(readmodel::Reader& rm, absl::CivilMonth month) {
  absl::StatusOr<pg::Result> r =
      rm.Query(absl::StrCat("SELECT ", sql::MicrosOf("closed_at"),
                            " FROM month_closes WHERE month = $1::date"),
               {pg::Text(sql::MonthDate(month))});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<absl::Time>();
  return std::optional<absl::Time>(sql::TimeOfMicros(r->GetInt(0, 0)));
}

// The totals of `units` in `month`: those published at its close when it is closed (and
// `*closed_at` says when), else those kept live (`*closed_at` nullopt).
absl::StatusOr<std::map<std::string, Tally>> Totals(readmodel::Reader& rm, absl::CivilMonth month,
                                                    const std::vector<std::string>& units,
                                                    std::optional<absl::Time>* closed_at) {
  absl::StatusOr<std::optional<absl::Time>> closed = ClosedAt(rm, month);
  if (!closed.ok()) return closed.status();
  *closed_at = *closed;
  absl::StatusOr<pg::Result> r =
      rm.Query(absl::StrCat("SELECT unit_code, measure, numerator, denominator FROM ",
                            *closed_at ? "closed_unit_totals" : "unit_month_totals",
                            " WHERE month = $1::date AND unit_code = ANY($2::text[])"),
               {pg::Text(sql::MonthDate(month)), sql::TextArray(units)});
  if (!r.ok()) return r.status();
  std::map<std::string, Tally> out;
  for (const std::string& u : units) out[u];
  for (int i = 0; i < r->rows(); ++i) {
    const int64_t m = r->GetInt(i, 1);
    if (m < 0 || m >= kMeasures) continue;  // a measure this binary does not know
    Tally& t = out[r->Get(i, 0)];
    t.numerator[m] = r->GetInt(i, 2);
    t.denominator[m] = r->GetInt(i, 3);
  }
  return out;
}

// The rates of `t`, and its composite score (nullopt when undefined).
std::optional<double> FillRates(const Tally& t, const Weights& w,
                                google::protobuf::RepeatedPtrField<v1::Rate>* rates) {
  for (int m = 0; m < kMeasures; ++m) {
    v1::Rate* r = rates->Add();
    r->set_measure(MeasureOf(static_cast<Measure>(m)));
    r->set_numerator(t.numerator[m]);
    r->set_denominator(t.denominator[m]);
    if (std::optional<double> rate = t.Rate(static_cast<Measure>(m))) r->set_percent(*rate * 100);
  }
  return Composite(t, w);
}

// How current the figures are: the projection's progress and the oldest unfolded change.
absl::StatusOr<v1::StatisticsPosition> Position(readmodel::Reader& rm) {
  v1::StatisticsPosition p;
  absl::StatusOr<std::optional<absl::Time>> caught_up = rm.CaughtUpTo();
  if (!caught_up.ok()) return caught_up.status();
  if (*caught_up) *p.mutable_read_model()->mutable_caught_up_to() = ToProto(**caught_up);
  absl::StatusOr<pg::Result> r = rm.Query(
      absl::StrCat("SELECT ", sql::MicrosOf("queued_at"), " FROM fact_queue ORDER BY seq LIMIT 1"));
  if (!r.ok()) return r.status();
  if (r->rows() > 0) {
    *p.mutable_unfolded_since() = ToProto(sql::TimeOfMicros(r->GetInt(0, 0)));
  }
  return p;
}

// The credit code and registered name of a record kept under a company of the organisation.
void NameCompany(const org::OrgModel& org, v1::CompanyRecord* out) {
  if (const org::OrgModel::Company* c = org.FindCompany(out->company())) {
    out->set_credit_code(c->credit_code);
    out->set_name(c->name);
  }
}

// The company figures of rows (count, substantiated, distinct, reached, satisfied, refusals)
// starting at column `first`.
void FillCompany(const pg::Result& r, int row, int first, const ExitRule& rule,
                 v1::CompanyRecord* out) {
  CompanyRecord rec;
  out->set_complaints(r.GetInt(row, first));
  rec.substantiated = r.GetInt(row, first + 1);
  rec.distinct_complainants = r.GetInt(row, first + 2);
  rec.reached = r.GetInt(row, first + 3);
  rec.satisfied = r.GetInt(row, first + 4);
  rec.refusals = r.GetInt(row, first + 5);
  out->set_substantiated(rec.substantiated);
  out->set_distinct_complainants(rec.distinct_complainants);
  out->set_reached(rec.reached);
  out->set_satisfied(rec.satisfied);
  if (rec.reached > 0) {
    out->set_satisfaction_percent(100.0 * static_cast<double>(rec.satisfied) /
                                  static_cast<double>(rec.reached));
  }
  out->set_refusals(rec.refusals);
  out->set_exit_trigger(ExitTriggerHolds(rec, rule));
}

constexpr char kCompanyFigures[] =
    "count(*), count(*) FILTER (WHERE substantiated), "
    "count(DISTINCT complainant_key) FILTER (WHERE substantiated AND complainant_key <> ''), "
    "count(*) FILTER (WHERE reached), count(*) FILTER (WHERE reached AND satisfied), "
    "count(*) FILTER (WHERE refused)";

}  // namespace

absl::StatusOr<StatisticsQueries::Scope> StatisticsQueries::Scoped(
    const std::string& unit_code, const std::string& month, const auth::Caller& caller) const {
  auto parsed = ParseMonth(month, "month");
  if (!parsed.ok()) return parsed.status();
  Scope scope;
  scope.month = *parsed;
  scope.org = org_->Get();
  auto unit = access::UnitFilter(caller, unit_code, scope.org->model);
  if (!unit.ok()) return unit.status();
  scope.unit = unit->empty() ? scope.org->model.city_code() : *std::move(unit);
  if (read_model_ == nullptr) return NoReadModel();
  return scope;
}

void StatisticsQueries::Scorecard(const v1::GetScorecardRequest& req, const auth::Caller& caller,
                                  rpc::Reply<v1::Scorecard> done) {
  auto scope = Scoped(req.unit_code(), req.month(), caller);
  if (!scope.ok()) return done(scope.status());
  work_.Submit([this, unit = scope->unit, month = scope->month, org = scope->org,
                done = std::move(done)] {
    std::optional<absl::Time> closed;
    auto totals = Totals(*read_model_, month, {unit}, &closed);
    if (!totals.ok()) return done(totals.status());
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    v1::Scorecard out;
    if (closed) {
      out.set_final(true);
      *out.mutable_closed_at() = ToProto(*closed);
      auto adjusted = read_model_->Query(
          "SELECT measure, sum(numerator_delta), sum(denominator_delta), count(*) "
          "FROM fact_adjustments WHERE month = $1::date AND $2 = ANY(unit_path) "
          "GROUP BY measure ORDER BY measure",
          {pg::Text(sql::MonthDate(month)), pg::Text(unit)});
      if (!adjusted.ok()) return done(adjusted.status());
      for (int i = 0; i < adjusted->rows(); ++i) {
        v1::RateAdjustment* a = out.add_adjustments();
        a->set_measure(MeasureOf(static_cast<Measure>(adjusted->GetInt(i, 0))));
        a->set_numerator_delta(adjusted->GetInt(i, 1));
        a->set_denominator_delta(adjusted->GetInt(i, 2));
        a->set_count(adjusted->GetInt(i, 3));
      }
    }
    out.set_unit_code(unit);
    if (const auto* u = org->model.FindUnit(unit)) out.set_unit_name(u->name);
    out.set_month(absl::FormatCivilTime(month));
    if (auto c = FillRates((*totals)[unit], options_.weights, out.mutable_rates())) {
      out.set_composite(*c);
    }
    *out.mutable_weights() = WeightsOf(options_.weights);
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::Tickets(const v1::ListScorecardTicketsRequest& req,
                                const auth::Caller& caller,
                                rpc::Reply<v1::ListScorecardTicketsResponse> done) {
  if (req.measure() < v1::MEASURE_RESPONSE || req.measure() > v1::MEASURE_REDO) {
    return done(absl::InvalidArgumentError(
        "measure: required, one of MEASURE_RESPONSE to MEASURE_REDO (the composite has no "
        "tickets of its own)"));
  }
  auto paged = PagedScope(req, caller);
  if (!paged.ok()) return done(paged.status());
  work_.Submit([this, req, unit = paged->first.unit, month = paged->first.month,
                paging = paged->second, done = std::move(done)] {
    std::string after_ticket;
    int64_t after_seq = -1;
    if (!paging.position.empty()) {
      std::vector<std::string> parts = absl::StrSplit(paging.position, ':');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &after_seq)) {
        return done(absl::InvalidArgumentError("page_token: not from a previous response"));
      }
      after_ticket = parts[0];
    }
    const int limit = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
    std::vector<pg::Param> params = {pg::Text(unit), pg::Text(sql::MonthDate(month)),
                                     pg::Int(static_cast<int>(req.measure()) - 1),
                                     pg::Text(after_ticket), pg::Int(after_seq),
                                     pg::Int(limit + 1)};
    std::string q = absl::StrCat(
        "SELECT f.ticket_id, f.seq, f.numerator, t.unit_code, ", sql::MicrosOf("t.fact_at"),
        " FROM fact_units f JOIN ticket_facts t ON t.ticket_id = f.ticket_id AND "
        "t.measure = f.measure AND t.seq = f.seq WHERE f.unit_code = $1 AND f.month = $2::date "
        "AND f.measure = $3 AND (f.ticket_id, f.seq) > ($4, $5)");
    if (req.has_numerator()) {
      q += " AND f.numerator = $7";
      params.push_back(sql::Bool(req.numerator()));
    }
    q += " ORDER BY f.ticket_id, f.seq LIMIT $6";
    auto r = read_model_->Query(q, params);
    if (!r.ok()) return done(r.status());
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    v1::ListScorecardTicketsResponse out;
    for (int i = 0; i < r->rows() && i < limit; ++i) {
      v1::ScorecardTicket* t = out.add_tickets();
      t->set_ticket_id(r->Get(i, 0));
      t->set_seq(static_cast<int32_t>(r->GetInt(i, 1)));
      t->set_numerator(r->Get(i, 2) == "t");
      t->set_charged_unit_code(r->Get(i, 3));
      *t->mutable_settled_at() = ToProto(sql::TimeOfMicros(r->GetInt(i, 4)));
    }
    if (r->rows() > limit) {
      const v1::ScorecardTicket& last = out.tickets(limit - 1);
      out.set_next_page_token(readmodel::PageToken(
          absl::StrCat(last.ticket_id(), ":", last.seq()), paging.fingerprint));
    }
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::Rankings(const v1::ListRankingsRequest& req, const auth::Caller& caller,
                                 rpc::Reply<v1::ListRankingsResponse> done) {
  const v1::Measure order_by =
      req.order_by() == v1::MEASURE_UNSPECIFIED ? v1::MEASURE_COMPOSITE : req.order_by();
  if (order_by < v1::MEASURE_RESPONSE || order_by > v1::MEASURE_COMPOSITE) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("order_by: unknown measure ", static_cast<int>(req.order_by()))));
  }
  auto scope = Scoped(req.parent_unit_code(), req.month(), caller);
  if (!scope.ok()) return done(scope.status());
  work_.Submit([this, parent = scope->unit, month = scope->month, order_by, org = scope->org,
                done = std::move(done)] {
    const std::vector<std::string> children = org->model.Children(parent);
    std::optional<absl::Time> closed;
    auto totals = Totals(*read_model_, month, children, &closed);
    if (!totals.ok()) return done(totals.status());
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    std::vector<RankedUnit> units;
    for (const std::string& u : children) {
      const Tally& t = (*totals)[u];
      units.push_back({u, order_by == v1::MEASURE_COMPOSITE
                              ? Composite(t, options_.weights)
                              : t.Rate(static_cast<Measure>(static_cast<int>(order_by) - 1)),
                       0});
    }
    const bool lower = order_by == v1::MEASURE_RETURN || order_by == v1::MEASURE_REDO;
    v1::ListRankingsResponse out;
    out.set_final(closed.has_value());
    out.set_parent_unit_code(parent);
    out.set_month(absl::FormatCivilTime(month));
    out.set_order_by(order_by);
    for (const RankedUnit& ranked : RankUnits(std::move(units), lower)) {
      v1::Ranking* r = out.add_rankings();
      r->set_rank(ranked.rank);
      r->set_unit_code(ranked.unit_code);
      if (const auto* u = org->model.FindUnit(ranked.unit_code)) r->set_unit_name(u->name);
      if (auto c = FillRates((*totals)[ranked.unit_code], options_.weights, r->mutable_rates())) {
        r->set_composite(*c);
      }
    }
    *out.mutable_weights() = WeightsOf(options_.weights);
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::Company(const v1::GetCompanyRecordRequest& req,
                                const auth::Caller& caller, rpc::Reply<v1::CompanyRecord> done) {
  if (req.company().empty() || Utf8Length(req.company()) > 100) {
    return done(absl::InvalidArgumentError(
        "company: required, at most 100 characters: a company's credit code or registered name, "
        "or the name complaints gave a company the organisation does not list"));
  }
  auto month = ParseMonth(req.month(), "month");
  if (!month.ok()) return done(month.status());
  if (absl::Status s = readmodel::CheckPageSize(req.page_size()); !s.ok()) return done(s);
  auto paging = readmodel::PagingOf(req);
  if (!paging.ok()) return done(paging.status());
  auto org = org_->Get();
  // The complaints listed: the caller's subtree ("" for a caller without a unit: all).
  auto unit = access::UnitFilter(caller, "", org->model);
  if (!unit.ok()) return done(unit.status());
  if (read_model_ == nullptr) return done(NoReadModel());
  const std::string key = CompanyKey(org->model, "", req.company());
  v1::CompanyRecord out;
  out.set_company(key);
  NameCompany(org->model, &out);
  work_.Submit([this, req, unit = *unit, month = *month, paging = *paging, key,
                out = std::move(out), done = std::move(done)]() mutable {
    const absl::CivilMonth first = month - (options_.exit.window_months - 1);
    const absl::Time from = absl::FromCivil(first, options_.zone);
    const absl::Time to = absl::FromCivil(month + 1, options_.zone);
    auto figures = read_model_->Query(
        absl::StrCat("SELECT ", kCompanyFigures,
                     " FROM company_complaints WHERE company = $1 AND accepted_at >= $2 AND "
                     "accepted_at < $3"),
        {pg::Text(key), sql::Ts(from), sql::Ts(to)});
    if (!figures.ok()) return done(figures.status());
    out.set_from_month(absl::FormatCivilTime(first));
    out.set_to_month(absl::FormatCivilTime(month));
    FillCompany(*figures, 0, 0, options_.exit, &out);
    // The page: newest first, keyset "<accepted microseconds>:<ticket id>".
    const int limit = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
    std::vector<pg::Param> params = {pg::Text(key), sql::Ts(from), sql::Ts(to)};
    auto next = [&params](pg::Param p) {
      params.push_back(std::move(p));
      return absl::StrCat("$", params.size());
    };
    std::string q = absl::StrCat(
        "SELECT ticket_id, ", sql::MicrosOf("accepted_at"),
        ", substantiated, refused, reached, satisfied FROM company_complaints WHERE company = $1 "
        "AND accepted_at >= $2 AND accepted_at < $3");
    if (!paging.position.empty()) {
      std::vector<std::string> parts = absl::StrSplit(paging.position, ':');
      int64_t before_us = 0;
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &before_us)) {
        return done(absl::InvalidArgumentError("page_token: not from a previous response"));
      }
      const std::string us = next(pg::Int(before_us)), id = next(pg::Text(parts[1]));
      absl::StrAppend(&q, " AND (accepted_at, ticket_id) < (", sql::FromMicros(us), ", ", id, ")");
    }
    if (!unit.empty()) absl::StrAppend(&q, " AND ", next(pg::Text(unit)), " = ANY(unit_path)");
    absl::StrAppend(&q, " ORDER BY accepted_at DESC, ticket_id DESC LIMIT ",
                    next(pg::Int(limit + 1)));
    auto rows = read_model_->Query(q, params);
    if (!rows.ok()) return done(rows.status());
    for (int i = 0; i < rows->rows() && i < limit; ++i) {
      v1::CompanyComplaint* c = out.add_listed();
      c->set_ticket_id(rows->Get(i, 0));
      *c->mutable_accepted_at() = ToProto(sql::TimeOfMicros(rows->GetInt(i, 1)));
      c->set_substantiated(rows->Get(i, 2) == "t");
      c->set_refused_to_rectify(rows->Get(i, 3) == "t");
      c->set_reached(rows->Get(i, 4) == "t");
      c->set_satisfied(rows->Get(i, 5) == "t");
    }
    if (rows->rows() > limit) {
      out.set_next_page_token(readmodel::PageToken(
          absl::StrCat(rows->GetInt(limit - 1, 1), ":", rows->Get(limit - 1, 0)), paging.fingerprint));
    }
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::ExitCandidates(const v1::ListExitCandidatesRequest& req,
                                       const auth::Caller&,
                                       rpc::Reply<v1::ListExitCandidatesResponse> done) {
  auto month = ParseMonth(req.month(), "month");
  if (!month.ok()) return done(month.status());
  if (read_model_ == nullptr) return done(NoReadModel());
  work_.Submit([this, month = *month, org = org_->Get(), done = std::move(done)] {
    const absl::CivilMonth first = month - (options_.exit.window_months - 1);
    // Only companies past the distinct-complainant threshold can be candidates.
    auto rows = read_model_->Query(
        absl::StrCat("SELECT company, ", kCompanyFigures,
                     " FROM company_complaints WHERE accepted_at >= $1 AND accepted_at < $2 "
                     "GROUP BY company HAVING count(DISTINCT complainant_key) FILTER (WHERE "
                     "substantiated AND complainant_key <> '') > $3 ORDER BY company"),
        {sql::Ts(absl::FromCivil(first, options_.zone)),
         sql::Ts(absl::FromCivil(month + 1, options_.zone)),
         pg::Int(options_.exit.exit_min_distinct)});
    if (!rows.ok()) return done(rows.status());
    v1::ListExitCandidatesResponse out;
    for (int i = 0; i < rows->rows(); ++i) {
      v1::CompanyRecord c;
      c.set_company(rows->Get(i, 0));
      NameCompany(org->model, &c);
      c.set_from_month(absl::FormatCivilTime(first));
      c.set_to_month(absl::FormatCivilTime(month));
      FillCompany(*rows, i, 1, options_.exit, &c);
      if (c.exit_trigger()) *out.add_companies() = std::move(c);
    }
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

namespace {

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\"", "\"\""}}), "\"");
}

}  // namespace

void StatisticsQueries::Export(const v1::ExportMonthRequest& req, const auth::Caller& caller,
                               rpc::Reply<v1::ExportMonthResponse> done) {
  auto scope = Scoped(req.unit_code(), req.month(), caller);
  if (!scope.ok()) return done(scope.status());
  work_.Submit([this, unit = scope->unit, month = scope->month, org = scope->org,
                done = std::move(done)] {
    // The unit, then the tree below it depth first by code.
    std::vector<std::string> order;
    std::vector<std::string> stack = {unit};
    while (!stack.empty()) {
      std::string u = std::move(stack.back());
      stack.pop_back();
      std::vector<std::string> children = org->model.Children(u);
      for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
      order.push_back(std::move(u));
    }
    std::optional<absl::Time> closed;
    auto totals = Totals(*read_model_, month, order, &closed);
    if (!totals.ok()) return done(totals.status());
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    // Each unit's rank among its siblings by the composite.
    std::map<std::string, int> rank;
    for (const std::string& parent : order) {
      std::vector<RankedUnit> siblings;
      for (const std::string& c : org->model.Children(parent)) {
        siblings.push_back({c, Composite((*totals)[c], options_.weights), 0});
      }
      for (const RankedUnit& r : RankUnits(std::move(siblings), false)) rank[r.unit_code] = r.rank;
    }
    std::string csv = "unit_code,unit_name,tier,parent_code";
    for (int m = 0; m < kMeasures; ++m) {
      absl::StrAppend(&csv, ",", MeasureName(static_cast<Measure>(m)), "_numerator,",
                      MeasureName(static_cast<Measure>(m)), "_denominator");
    }
    csv += ",composite,rank_among_siblings\r\n";
    for (const std::string& u : order) {
      const org::OrgModel::Unit* found = org->model.FindUnit(u);
      const Tally& t = (*totals)[u];
      std::vector<std::string> row = {u, found ? found->name : "",
                                      found ? v1::Tier_Name(found->tier) : "",
                                      found ? found->parent_code : ""};
      for (int m = 0; m < kMeasures; ++m) {
        row.push_back(absl::StrCat(t.numerator[m]));
        row.push_back(absl::StrCat(t.denominator[m]));
      }
      std::optional<double> c = Composite(t, options_.weights);
      row.push_back(c ? absl::StrFormat("%.2f", *c) : "");
      row.push_back(u == unit ? "" : absl::StrCat(rank[u]));
      for (size_t i = 0; i < row.size(); ++i) {
        absl::StrAppend(&csv, i == 0 ? "" : ",", CsvField(row[i]));
      }
      csv += "\r\n";
    }
    v1::ExportMonthResponse out;
    out.set_final(closed.has_value());
    out.set_month(absl::FormatCivilTime(month));
    out.set_csv(std::move(csv));
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::Adjustments(const v1::ListAdjustmentsRequest& req,
                                    const auth::Caller& caller,
                                    rpc::Reply<v1::ListAdjustmentsResponse> done) {
  auto paged = PagedScope(req, caller);
  if (!paged.ok()) return done(paged.status());
  work_.Submit([this, req, unit = paged->first.unit, month = paged->first.month,
                paging = paged->second, done = std::move(done)] {
    int64_t before = std::numeric_limits<int64_t>::max();
    if (!paging.position.empty() && !absl::SimpleAtoi(paging.position, &before)) {
      return done(absl::InvalidArgumentError("page_token: not from a previous response"));
    }
    const int limit = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
    auto closed = ClosedAt(*read_model_, month);
    if (!closed.ok()) return done(closed.status());
    auto r = read_model_->Query(
        absl::StrCat("SELECT seq, ticket_id, measure, fact_seq, unit_code, numerator_delta, "
                     "denominator_delta, ", sql::MicrosOf("recorded_at"),
                     " FROM fact_adjustments WHERE month = $1::date AND $2 = ANY(unit_path) "
                     "AND seq < $3 ORDER BY seq DESC LIMIT $4"),
        {pg::Text(sql::MonthDate(month)), pg::Text(unit), pg::Int(before), pg::Int(limit + 1)});
    if (!r.ok()) return done(r.status());
    auto position = Position(*read_model_);
    if (!position.ok()) return done(position.status());
    v1::ListAdjustmentsResponse out;
    if (*closed) *out.mutable_closed_at() = ToProto(**closed);
    for (int i = 0; i < r->rows() && i < limit; ++i) {
      v1::Adjustment* a = out.add_adjustments();
      a->set_ticket_id(r->Get(i, 1));
      a->set_measure(MeasureOf(static_cast<Measure>(r->GetInt(i, 2))));
      a->set_seq(static_cast<int32_t>(r->GetInt(i, 3)));
      a->set_charged_unit_code(r->Get(i, 4));
      a->set_numerator_delta(static_cast<int32_t>(r->GetInt(i, 5)));
      a->set_denominator_delta(static_cast<int32_t>(r->GetInt(i, 6)));
      *a->mutable_recorded_at() = ToProto(sql::TimeOfMicros(r->GetInt(i, 7)));
    }
    if (r->rows() > limit) {
      out.set_next_page_token(
          readmodel::PageToken(absl::StrCat(r->GetInt(limit - 1, 0)), paging.fingerprint));
    }
    *out.mutable_position() = *std::move(position);
    done(std::move(out));
  });
}

void StatisticsQueries::RecordEvaluation(const v1::RecordCreditEvaluationRequest& req,
                                         const auth::Caller& caller,
                                         rpc::Reply<v1::CreditEvaluation> done) {
  auto org = org_->Get();
  const std::string code = absl::AsciiStrToUpper(req.credit_code().substr(0, 40));
  const org::OrgModel::Company* company = org->model.FindCompany(code);
  if (company == nullptr) {
    return done(absl::InvalidArgumentError(absl::StrCat(
        "credit_code: \"", code,
        "\" is not a property company of organisation ", org->model.version())));
  }
  Clock* clock = options_.clock != nullptr ? options_.clock : Clock::Real();
  const absl::Time now = clock->Now();
  const int64_t this_year = absl::ToCivilYear(now, options_.zone).year();
  if (req.year() < 2000 || req.year() > this_year) {
    return done(absl::InvalidArgumentError(absl::StrCat(
        "year: must be from 2000 to the current year (", this_year, "), got ", req.year())));
  }
  const double hundredths = req.score() * 100;
  if (!(req.score() >= 0 && req.score() <= 100) ||
      std::abs(hundredths - std::round(hundredths)) > 1e-6) {
    return done(absl::InvalidArgumentError(
        "score: must be from 0 to 100 with at most two decimals"));
  }
  if (absl::Status s = CheckText(req.note(), "note", 500, false); !s.ok()) return done(s);
  if (read_model_ == nullptr) return done(NoReadModel());
  work_.Submit([this, req, code, name = company->name, who = caller.principal.subject, now,
                done = std::move(done)] {
    auto r = read_model_->Query(
        "INSERT INTO credit_evaluations (credit_code, year, score, note, recorded_by, "
        "recorded_at) VALUES ($1, $2, $3::numeric, $4, $5, $6) ON CONFLICT (credit_code, year) "
        "DO UPDATE SET score = EXCLUDED.score, note = EXCLUDED.note, "
        "recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at "
        "RETURNING score::text",
        {pg::Text(code), pg::Int(req.year()),
         pg::Text(absl::StrFormat("%.2f", req.score())), pg::Text(req.note()), pg::Text(who),
         sql::Ts(now)});
    if (!r.ok()) return done(r.status());
    v1::CreditEvaluation out;
    out.set_credit_code(code);
    out.set_name(name);
    out.set_year(req.year());
    double score = 0;
    if (r->rows() == 1 && absl::SimpleAtod(r->Get(0, 0), &score)) out.set_score(score);
    out.set_note(req.note());
    out.set_recorded_by(who);
    *out.mutable_recorded_at() = ToProto(now);
    done(std::move(out));
  });
}

void StatisticsQueries::Lists(const v1::ListCompanyListsRequest& req, const auth::Caller&,
                              rpc::Reply<v1::ListCompanyListsResponse> done) {
  auto month = ParseMonth(req.month(), "month");
  if (!month.ok()) return done(month.status());
  if (!v1::CompanyList_IsValid(req.list())) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("list: unknown CompanyList ", static_cast<int>(req.list()))));
  }
  if (read_model_ == nullptr) return done(NoReadModel());
  work_.Submit([this, req, month = *month, org = org_->Get(), done = std::move(done)] {
    auto closed = ClosedAt(*read_model_, month);
    if (!closed.ok()) return done(closed.status());
    std::vector<ListedCompany> listed;
    if (*closed) {
      auto r = read_model_->Query(
          "SELECT list, credit_code, name, latest_year, latest_score::text, previous_year, "
          "previous_score::text FROM company_lists WHERE month = $1::date "
          "ORDER BY list, credit_code",
          {pg::Text(sql::MonthDate(month))});
      if (!r.ok()) return done(r.status());
      for (int i = 0; i < r->rows(); ++i) {
        ListedCompany l{static_cast<CompanyList>(r->GetInt(i, 0)), r->Get(i, 1), r->Get(i, 2),
                        static_cast<int>(r->GetInt(i, 3)), 0,
                        static_cast<int>(r->GetInt(i, 5)), 0};
        if (!absl::SimpleAtod(r->Get(i, 4), &l.latest_score) ||
            !absl::SimpleAtod(r->Get(i, 6), &l.previous_score)) {
          return done(absl::DataLossError("company_lists: a score does not parse"));
        }
        listed.push_back(std::move(l));
      }
    } else {
      auto r = read_model_->Query(kEvaluationsUpToYear, {pg::Int(month.year())});
      if (!r.ok()) return done(r.status());
      auto now = ListCompanies(*r, static_cast<int>(month.year()), options_.credit, org->model);
      if (!now.ok()) return done(now.status());
      listed = *std::move(now);
    }
    v1::ListCompanyListsResponse out;
    out.set_month(absl::FormatCivilTime(month));
    if (*closed) {
      out.set_final(true);
      *out.mutable_closed_at() = ToProto(**closed);
    }
    for (const ListedCompany& l : listed) {
      if (req.list() != v1::COMPANY_LIST_UNSPECIFIED && static_cast<int>(l.list) != req.list()) {
        continue;
      }
      v1::ListedCompany* c = out.add_companies();
      c->set_list(static_cast<v1::CompanyList>(l.list));
      c->set_credit_code(l.credit_code);
      c->set_name(l.name);
      c->set_latest_year(l.latest_year);
      c->set_latest_score(l.latest_score);
      c->set_previous_year(l.previous_year);
      c->set_previous_score(l.previous_score);
    }
    done(std::move(out));
  });
}

// Each method is served by gRPC and the HTTP gateway through the one table (method_table.h).
#define DISPATCH_STATISTICS_RPC(Name, Request, Response, Call)                              \
  grpc::ServerUnaryReactor* StatisticsGrpcService::Name(grpc::CallbackServerContext* ctx,   \
                                                        const grpc::ByteBuffer* request,    \
                                                        grpc::ByteBuffer* response) {       \
    return methods_.Serve("StatisticsService." #Name, ctx, request, response);              \
  }
#define DISPATCH_STATISTICS_REGISTER(Name, Request, Response, Call)                          \
  {                                                                                          \
    static constexpr char kMethod[] = "StatisticsService." #Name;                           \
    methods_.Add<v1::Request, v1::Response>(                                                 \
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},  \
        [this](const auto& req, const auth::Caller& caller, auto done) {                     \
          queries_->Call(req, caller, std::move(done));                                      \
        });                                                                                  \
  }
#define DISPATCH_STATISTICS_METHODS(X)                                                       \
  X(GetScorecard, GetScorecardRequest, Scorecard, Scorecard)                                 \
  X(ListScorecardTickets, ListScorecardTicketsRequest, ListScorecardTicketsResponse, Tickets) \
  X(ListRankings, ListRankingsRequest, ListRankingsResponse, Rankings)                       \
  X(GetCompanyRecord, GetCompanyRecordRequest, CompanyRecord, Company)                       \
  X(ListExitCandidates, ListExitCandidatesRequest, ListExitCandidatesResponse,               \
    ExitCandidates)                                                                          \
  X(ExportMonth, ExportMonthRequest, ExportMonthResponse, Export)                            \
  X(ListAdjustments, ListAdjustmentsRequest, ListAdjustmentsResponse, Adjustments)           \
  X(RecordCreditEvaluation, RecordCreditEvaluationRequest, CreditEvaluation,                 \
    RecordEvaluation)                                                                        \
  X(ListCompanyLists, ListCompanyListsRequest, ListCompanyListsResponse, Lists)

void StatisticsGrpcService::RegisterMethods() { DISPATCH_STATISTICS_METHODS(DISPATCH_STATISTICS_REGISTER) }
DISPATCH_STATISTICS_METHODS(DISPATCH_STATISTICS_RPC)

#undef DISPATCH_STATISTICS_METHODS
#undef DISPATCH_STATISTICS_REGISTER
#undef DISPATCH_STATISTICS_RPC

}  // namespace dispatch::statistics

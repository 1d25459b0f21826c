// StatisticsService (proto/dispatch/v1/statistics.proto): scorecards, rankings and company
// records, read from the facts the fact store keeps in the read model (fact_store.h; every
// number is defined in rates.h).
//
//   GetScorecard          unit_month_totals of (month, unit): one primary-key range.
//   ListScorecardTickets  fact_units of (unit, month, measure) by ticket id, keyset pages
//                         ("pg:<ticket>:<seq>:<filter fingerprint>").
//   ListRankings          unit_month_totals of the parent's children in the organisation in
//                         force, ordered here (rates.h RankUnits).
//   GetCompanyRecord      company_complaints of the company (a known company's credit code or
//                         registered name finds its code; another name is looked up as given)
//                         in the window (rates.h
//                         ExitTriggerHolds); the complaints listed are those in the caller's
//                         subtree, newest first.
//   ListExitCandidates    company_complaints of the window grouped by company.
//   ExportMonth           unit_month_totals of the unit and its subtree (the organisation in
//                         force) as CSV, each unit ranked among its siblings.
//   ListAdjustments       fact_adjustments of the month whose path holds the unit, newest
//                         first (keyset on their sequence).
//   RecordCreditEvaluation  upserts credit_evaluations (company of the organisation, year up
//                         to the current one in the zone, score 0-100 with two decimals).
//   ListCompanyLists      company_lists as published at the month's close; for an open month
//                         computed from credit_evaluations now (company_lists.h).
// A closed month (month_closes) is read from the figures published at its close
// (closed_unit_totals) instead of unit_month_totals; its scorecard adds the adjustments'
// sums a measure.
// Units are scoped by access::UnitFilter (empty: the caller's unit; outside its subtree:
// NOT_FOUND). The company aggregates are company-wide (the trigger is): any caller the access
// policy admits sees them. Without a read model every call is FAILED_PRECONDITION.
//
// Blocking reads run on the object's own work queue; thread-safe.
#ifndef DISPATCH_SERVICES_STATISTICS_STATISTICS_SERVICE_H_
#define DISPATCH_SERVICES_STATISTICS_STATISTICS_SERVICE_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/rpc/method_table.h"
#include "common/rpc/unary.h"
#include "common/work_queue.h"
#include "dispatch/v1/statistics.grpc.pb.h"
#include "services/org/org_holder.h"
#include "services/readmodel/reader.h"
#include "services/statistics/rates.h"

namespace dispatch::statistics {

class StatisticsQueries {
 public:
  struct Options {
    absl::TimeZone zone;
    Weights weights;
    ExitRule exit;
    CreditRule credit;
    Clock* clock = nullptr;  // the current year of an evaluation; Clock::Real() when null
  };
  // `read_model` (may be null) and `org` must outlive this object.
  StatisticsQueries(readmodel::Reader* read_model, const org::OrgHolder* org, Options options)
      : read_model_(read_model), org_(org), options_(options), work_(2) {}

  void Scorecard(const v1::GetScorecardRequest& request, const auth::Caller& caller,
                 rpc::Reply<v1::Scorecard> done);
  void Tickets(const v1::ListScorecardTicketsRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::ListScorecardTicketsResponse> done);
  void Rankings(const v1::ListRankingsRequest& request, const auth::Caller& caller,
                rpc::Reply<v1::ListRankingsResponse> done);
  void Company(const v1::GetCompanyRecordRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::CompanyRecord> done);
  void ExitCandidates(const v1::ListExitCandidatesRequest& request, const auth::Caller& caller,
                      rpc::Reply<v1::ListExitCandidatesResponse> done);
  void Export(const v1::ExportMonthRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::ExportMonthResponse> done);
  void Adjustments(const v1::ListAdjustmentsRequest& request, const auth::Caller& caller,
                   rpc::Reply<v1::ListAdjustmentsResponse> done);
  void RecordEvaluation(const v1::RecordCreditEvaluationRequest& request,
                        const auth::Caller& caller, rpc::Reply<v1::CreditEvaluation> done);
  void Lists(const v1::ListCompanyListsRequest& request, const auth::Caller& caller,
             rpc::Reply<v1::ListCompanyListsResponse> done);

 private:
  // What a unit's request starts with: its month, and its unit (the caller's when empty, the
  // city for a caller without a unit) within the caller's subtree, under `org`.
  struct Scope {
    std::string unit;
    absl::CivilMonth month;
    std::shared_ptr<const org::OrgSnapshot> org;
  };
  absl::StatusOr<Scope> Scoped(const std::string& unit_code, const std::string& month,
                               const auth::Caller& caller) const;
  // A paged request of a unit's month: its page size and token checked, then Scoped.
  template <typename Request>
  absl::StatusOr<std::pair<Scope, readmodel::Paging>> PagedScope(const Request& req,
                                                                 const auth::Caller& caller) const {
    if (absl::Status s = readmodel::CheckPageSize(req.page_size()); !s.ok()) return s;
    auto paging = readmodel::PagingOf(req);
    if (!paging.ok()) return paging.status();
    auto scope = Scoped(req.unit_code(), req.month(), caller);
    if (!scope.ok()) return scope.status();
    return std::make_pair(*std::move(scope), *std::move(paging));
  }

  readmodel::Reader* const read_model_;
  const org::OrgHolder* const org_;
  const Options options_;
  WorkQueue work_;
};

using RawStatisticsService = v1::StatisticsService::WithRawCallbackMethod_GetScorecard<
    v1::StatisticsService::WithRawCallbackMethod_ListScorecardTickets<
        v1::StatisticsService::WithRawCallbackMethod_ListRankings<
            v1::StatisticsService::WithRawCallbackMethod_GetCompanyRecord<
                v1::StatisticsService::WithRawCallbackMethod_ListExitCandidates<
                    v1::StatisticsService::WithRawCallbackMethod_ExportMonth<
                        v1::StatisticsService::WithRawCallbackMethod_ListAdjustments<
                            v1::StatisticsService::WithRawCallbackMethod_RecordCreditEvaluation<
                                v1::StatisticsService::WithRawCallbackMethod_ListCompanyLists<
                                    v1::StatisticsService::Service>>>>>>>>>;

class StatisticsGrpcService final : public RawStatisticsService {
 public:
  // All must outlive this object.
  StatisticsGrpcService(StatisticsQueries* queries, const rpc::Gate* gate, rpc::Limits limits)
      : queries_(queries), gate_(gate), limits_(limits) {
    RegisterMethods();
  }

  grpc::ServerUnaryReactor* GetScorecard(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListScorecardTickets(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListRankings(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCompanyRecord(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListExitCandidates(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ExportMonth(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAdjustments(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordCreditEvaluation(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListCompanyLists(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;

 // The unary methods (the HTTP gateway serves them too).
  const rpc::MethodTable& methods() const { return methods_; }

 private:
  void RegisterMethods();
  StatisticsQueries* const queries_;
  const rpc::Gate* const gate_;
  const rpc::Limits limits_;
  // Every unary method's handler, for gRPC and the HTTP gateway alike.
  rpc::MethodTable methods_;
};

}  // namespace dispatch::statistics

#endif  // DISPATCH_SERVICES_STATISTICS_STATISTICS_SERVICE_H_

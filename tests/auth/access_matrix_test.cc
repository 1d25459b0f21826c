// The access matrix, derived from the role table (services/auth/access_policy.cc, Policy()):
// every RPC × every role × (inside the caller's part of the organisation, outside it), against
// a running dispatchd over TLS with real signed tokens. For each case the table says whether
// the call is allowed; the test makes the ticket the call needs, calls as that role, and fails
// if an allowed call is refused or a refused one gets through (or writes anything).
//
// Inside: the caller's unit is where the role's grant reaches the ticket (the lead unit for
// "own unit", the county for "subtree", the township above the community for "below"), a
// gateway's channels include the complaint's. Outside: the other county (资阳区, 430902), a
// gateway of another channel. The ticket is always in 安化县 (430923): a community of 东坪镇
// (430923100001) leads, or, for the assisting share, 东坪镇 (430923100) itself.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/stream_cursor.h"
#include "dispatch/v1/diagnostics.grpc.pb.h"
#include "dispatch/v1/statistics.grpc.pb.h"
#include "services/auth/access_policy.h"
#include "tests/escalation/escalation_fixture.h"
#include "tests/testing/http_calls.h"

namespace dispatch::access {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::TestClient;

constexpr char kLead[] = "430923100001";      // 城东社区, the lead community
constexpr char kTownship[] = "430923100";     // 东坪镇, above it
constexpr char kCounty[] = "430923";          // 安化县
constexpr char kOtherCounty[] = "430902";     // 资阳区

const std::vector<Role>& AllRoles() {
  static const auto* const roles =
      new std::vector<Role>{Role::kGateway, Role::kHandler, Role::kDispatcher,
                            Role::kSupervisor, Role::kAdmin, Role::kPii};
  return *roles;
}

// Who each role is in the matrix (a handler is one the organisation has, at the lead).
std::string SubjectOf(Role role) {
  switch (role) {
    case Role::kGateway: return "gw-12345";
    case Role::kHandler: return "h-cd-wgy";
    case Role::kDispatcher: return "desk-ah";
    case Role::kSupervisor: return "sup-1";
    case Role::kAdmin: return "admin-1";
    case Role::kPii: return "pii-1";
  }
  return "";
}

// Reads: refused outside the caller's reach as NOT_FOUND.
bool IsRead(const std::string& method) {
  for (const char* m : {"IntakeService.GetTicket", "IntakeService.LookupTicket",
                        "IntakeService.GetTicketHistory", "IntakeService.ListTickets",
                        "IntakeService.WatchTicketEvents", "EscalationService.ListBreaches",
                        "EscalationService.ListRevisits", "StatisticsService.GetScorecard",
                        "StatisticsService.ListScorecardTickets", "StatisticsService.ListRankings",
                        "StatisticsService.ExportMonth", "StatisticsService.ListAdjustments"}) {
    if (method == m) return true;
  }
  return false;
}

// Each case runs over gRPC and again over the HTTP/JSON gateway (GetParam()): the gateway
// must admit and refuse exactly what gRPC does.
class AccessMatrixTest : public escalation::TimerEngineTest,
                         public ::testing::WithParamInterface<std::string> {
 protected:
  // StatisticsService too (without a read model: an admitted call says it needs one), and the
  // HTTP listener.
  void SetUp() override {
    Start("services: 'statistics' http { listen_address: '127.0.0.1:0' "
          "plaintext_on_loopback: true }");
  }

  bool OverHttp() const { return GetParam() == "http"; }

  // The call `method` with `req`: over gRPC by `grpc_call`, or through the gateway with the
  // token of the case.
  template <typename Request, typename Response, typename GrpcCall>
  grpc::Status Via(const char* method, const Request& req, Response* resp, GrpcCall grpc_call) {
    if (OverHttp()) return testing::HttpUnary(stack_.http_port(), token_, method, req, resp);
    return grpc_call(req);
  }

  // What one RPC needs: the ticket to act on, made by the dispatchers and handlers of the
  // story (signed for the actor their requests name), and the call itself.
  struct Call {
    std::function<v1::Ticket()> setup;  // null: no ticket involved
    std::function<grpc::Status(grpc::ClientContext*, const v1::Ticket&)> send;
    // The handler who acts, and the unit that is its own, when not h-cd-wgy at the lead.
    std::string handler = "h-cd-wgy";
    std::string own_unit = kLead;
    // What an admitted call answers: OK, or for a call this stack cannot carry out (no read
    // model here) the code that says so after the door let it through.
    grpc::StatusCode admitted = grpc::StatusCode::OK;
  };

  std::string NextWorkOrder() { return absl::StrCat("12345-MX-", ++work_orders_); }

  // Stages of one ticket's story.
  v1::Ticket Accepted() {
    auto req = HotlineComplaint(NextWorkOrder());
    req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
        kLead);
    return client_->Get(client_->Submit(req));
  }
  v1::Ticket Routed() {
    v1::Ticket t;
    EXPECT_TRUE(client_->RouteByHand(Accepted(), kLead, &t, "route-mx").ok());
    return t;
  }
  v1::Ticket Assigned() {
    v1::Ticket t;
    EXPECT_TRUE(client_->Assign(Routed(), "h-cd-wgy", &t, "assign-mx").ok());
    return t;
  }
  v1::Ticket Taken() {
    v1::Ticket t;
    EXPECT_TRUE(client_->Take(Routed(), "h-cd-wgy", &t, "take-mx").ok());
    return t;
  }
  v1::Ticket Resolved() {
    v1::Ticket t;
    EXPECT_TRUE(client_->Resolve(Taken(), "h-cd-wgy", &t, "resolve-mx").ok());
    return t;
  }
  v1::Ticket WithExtensionAsked() {
    v1::Ticket t = Taken();
    grpc::ClientContext ctx;
    v1::TicketActionResponse resp;
    EXPECT_TRUE(client_->escalation().RequestExtension(&ctx, ExtensionRequest(t, "h-cd-wgy"),
                                                       &resp).ok());
    return resp.ticket();
  }
  // 东坪镇's market-supervision office leads, its housing centre assists; h-dp-wy1 has signed
  // for the housing share.
  v1::Ticket WithASignedShare() {
    v1::Ticket t = Accepted();
    {
      grpc::ClientContext ctx;
      v1::RouteTicketRequest req;
      *req.mutable_write() = TestClient::Write(t, "route-share", "desk-1");
      req.set_unit_code(kTownship);
      req.set_department(v1::DEPARTMENT_MARKET_SUPERVISION);
      req.add_assisting_departments(v1::DEPARTMENT_HOUSING);
      v1::TicketActionResponse resp;
      EXPECT_TRUE(client_->routing().RouteTicket(&ctx, req, &resp).ok());
      t = resp.ticket();
    }
    {
      grpc::ClientContext ctx;
      v1::AssignTicketRequest req;
      *req.mutable_write() = TestClient::Write(t, "assign-share", "dispatcher-1");
      req.set_handler_id("h-dp-wy1");
      *req.mutable_share() = HousingShare();
      v1::TicketActionResponse resp;
      EXPECT_TRUE(client_->routing().AssignTicket(&ctx, req, &resp).ok());
      t = resp.ticket();
    }
    v1::ShareRef share = HousingShare();
    EXPECT_TRUE(client_->SignFor(t, "h-dp-wy1", &t, "sign-share", &share).ok());
    return t;
  }
  static v1::ShareRef HousingShare() {
    v1::ShareRef share;
    share.set_unit_code(kTownship);
    share.set_department(v1::DEPARTMENT_HOUSING);
    return share;
  }
  v1::RequestExtensionRequest ExtensionRequest(const v1::Ticket& t, const std::string& actor) {
    v1::RequestExtensionRequest req;
    *req.mutable_write() = TestClient::Write(t, "ext-mx", actor);
    req.set_reason("需等待电梯配件到货");
    *req.mutable_requested_deadline() = ToProto(accepted_ + absl::Hours(100));
    return req;
  }
  // The write header of `t` for the caller (the token names the actor).
  static v1::TicketWrite Header(const v1::Ticket& t, const std::string& request_id) {
    v1::TicketWrite w = TestClient::Write(t, request_id, "");
    w.clear_actor();
    return w;
  }

  // Follows the events from the start until one of `ticket_id` comes: OK when it does, else
  // NOT_FOUND (the watch ran to its deadline without it) or the watch's own refusal.
  grpc::Status WatchFor(grpc::ClientContext* ctx, const std::string& ticket_id) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
    v1::WatchTicketEventsRequest req;
    req.mutable_resume_after()->set_token(
        EncodeStreamCursor(std::vector<std::string>(keys::kShardCount, "0-0")));
    if (OverHttp()) return testing::HttpWatchFor(stack_.http_port(), token_, req, ticket_id);
    auto reader = client_->intake().WatchTicketEvents(ctx, req);
    v1::WatchTicketEventsResponse r;
    while (reader->Read(&r)) {
      if (r.event().ticket_id() == ticket_id) {
        ctx->TryCancel();
        reader->Finish();
        return grpc::Status::OK;
      }
    }
    grpc::Status s = reader->Finish();
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no event of the ticket came");
    }
    return s.ok() ? grpc::Status(grpc::StatusCode::NOT_FOUND, "the watch ended") : s;
  }

  // Every RPC of the table and how to make it.
  std::map<std::string, Call> Calls() {
    auto intake = [this] { return &client_->intake(); };
    auto routing = [this] { return &client_->routing(); };
    auto escalation = [this] { return &client_->escalation(); };
    std::map<std::string, Call> calls;
    calls["IntakeService.SubmitComplaint"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::SubmitComplaintResponse resp;
      return Via("IntakeService.SubmitComplaint", HotlineComplaint(NextWorkOrder()), &resp, [&](const auto& r) { return intake()->SubmitComplaint(ctx, r, &resp); });
    }};
    calls["IntakeService.GetTicket"] = {[=] { return Routed(); },
                                        [=](auto* ctx, const v1::Ticket& t) {
      v1::GetTicketRequest req;
      req.set_ticket_id(t.ticket_id());
      v1::GetTicketResponse resp;
      return Via("IntakeService.GetTicket", req, &resp, [&](const auto& r) { return intake()->GetTicket(ctx, r, &resp); });
    }};
    calls["IntakeService.LookupTicket"] = {[=] { return Routed(); },
                                           [=](auto* ctx, const v1::Ticket& t) {
      v1::LookupTicketRequest req;
      req.set_channel(t.complaint().channel());
      req.set_channel_work_order_id(t.complaint().channel_work_order_id());
      v1::GetTicketResponse resp;
      return Via("IntakeService.LookupTicket", req, &resp, [&](const auto& r) { return intake()->LookupTicket(ctx, r, &resp); });
    }};
    calls["IntakeService.GetTicketHistory"] = {[=] { return Routed(); },
                                               [=](auto* ctx, const v1::Ticket& t) {
      v1::GetTicketHistoryRequest req;
      req.set_ticket_id(t.ticket_id());
      v1::GetTicketHistoryResponse resp;
      grpc::Status s = Via("IntakeService.GetTicketHistory", req, &resp, [&](const auto& r) { return intake()->GetTicketHistory(ctx, r, &resp); });
      if (s.ok() && resp.events_size() == 0) return grpc::Status(grpc::StatusCode::NOT_FOUND, "");
      return s;
    }};
    calls["IntakeService.ListTickets"] = {[=] { return Routed(); },
                                          [=](auto* ctx, const v1::Ticket& t) {
      v1::ListTicketsRequest req;
      req.set_unit_code(kCounty);
      v1::ListTicketsResponse resp;
      grpc::Status s = Via("IntakeService.ListTickets", req, &resp, [&](const auto& r) { return intake()->ListTickets(ctx, r, &resp); });
      if (!s.ok()) return s;
      for (const v1::Ticket& listed : resp.tickets()) {
        if (listed.ticket_id() == t.ticket_id()) return s;
      }
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "not listed");
    }};
    calls["IntakeService.WatchTicketEvents"] = {[=] { return Routed(); },
                                                [=](auto* ctx, const v1::Ticket& t) {
      return WatchFor(ctx, t.ticket_id());
    }};
    calls["IntakeService.ListPersonalDataAccess"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListPersonalDataAccessResponse resp;
      return Via("IntakeService.ListPersonalDataAccess", v1::ListPersonalDataAccessRequest(), &resp, [&](const auto& r) { return intake()->ListPersonalDataAccess(ctx, r, &resp); });
    }};
    calls["IntakeService.ErasePersonalData"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ErasePersonalDataRequest req;
      req.set_request_id("erase-1");
      req.set_phone("13800138000");
      req.set_reason("本人申请");
      v1::ErasePersonalDataResponse resp;
      return Via("IntakeService.ErasePersonalData", req, &resp, [&](const auto& r) { return intake()->ErasePersonalData(ctx, r, &resp); });
    }};
    // The matrix's stack has no read model: an admitted erasure says it needs one.
    calls["IntakeService.ErasePersonalData"].admitted = grpc::StatusCode::FAILED_PRECONDITION;
    calls["RoutingService.RouteTicket"] = {[=] { return Accepted(); },
                                           [=](auto* ctx, const v1::Ticket& t) {
      v1::RouteTicketRequest req;
      *req.mutable_write() = Header(t, "route-1");
      req.set_unit_code(kLead);
      req.set_department(v1::DEPARTMENT_HOUSING);
      v1::TicketActionResponse resp;
      return Via("RoutingService.RouteTicket", req, &resp, [&](const auto& r) { return routing()->RouteTicket(ctx, r, &resp); });
    }};
    calls["RoutingService.AssignTicket"] = {[=] { return Routed(); },
                                            [=](auto* ctx, const v1::Ticket& t) {
      v1::AssignTicketRequest req;
      *req.mutable_write() = Header(t, "assign-1");
      req.set_handler_id("h-cd-wgy");  // a dispatcher names them; the handler takes it
      v1::TicketActionResponse resp;
      return Via("RoutingService.AssignTicket", req, &resp, [&](const auto& r) { return routing()->AssignTicket(ctx, r, &resp); });
    }};
    calls["RoutingService.SignForTicket"] = {[=] { return Assigned(); },
                                             [=](auto* ctx, const v1::Ticket& t) {
      v1::SignForTicketRequest req;
      *req.mutable_write() = Header(t, "sign-1");
      v1::TicketActionResponse resp;
      return Via("RoutingService.SignForTicket", req, &resp, [&](const auto& r) { return routing()->SignForTicket(ctx, r, &resp); });
    }};
    Call assist{[=] { return WithASignedShare(); }, [=](auto* ctx, const v1::Ticket& t) {
      v1::RecordAssistResultRequest req;
      *req.mutable_write() = Header(t, "assist-1");
      *req.mutable_share() = HousingShare();
      req.set_result("物业服务中心已督促物业公司落实电梯维保");
      v1::TicketActionResponse resp;
      return Via("RoutingService.RecordAssistResult", req, &resp, [&](const auto& r) { return routing()->RecordAssistResult(ctx, r, &resp); });
    }};
    assist.handler = "h-dp-wy1";
    assist.own_unit = kTownship;
    calls["RoutingService.RecordAssistResult"] = assist;
    calls["RoutingService.ReturnTicket"] = {[=] { return Routed(); },
                                            [=](auto* ctx, const v1::Ticket& t) {
      v1::ReturnTicketRequest req;
      *req.mutable_write() = Header(t, "return-1");
      req.set_reason("不属于本单位职责");
      req.set_reason_code(v1::RETURN_REASON_NOT_OUR_DEPARTMENT);
      v1::TicketActionResponse resp;
      return Via("RoutingService.ReturnTicket", req, &resp, [&](const auto& r) { return routing()->ReturnTicket(ctx, r, &resp); });
    }};
    calls["RoutingService.RecordContact"] = {[=] { return Taken(); },
                                             [=](auto* ctx, const v1::Ticket& t) {
      v1::RecordContactRequest req;
      *req.mutable_write() = Header(t, "contact-1");
      req.set_preliminary_result("物业已承诺三日内更换配件");
      req.set_property_company("绿城物业");
      v1::TicketActionResponse resp;
      return Via("RoutingService.RecordContact", req, &resp, [&](const auto& r) { return routing()->RecordContact(ctx, r, &resp); });
    }};
    calls["RoutingService.ResolveTicket"] = {[=] { return Taken(); },
                                             [=](auto* ctx, const v1::Ticket& t) {
      v1::ResolveTicketRequest req;
      *req.mutable_write() = Header(t, "resolve-1");
      req.set_result("电梯已修复运行");
      req.set_feedback_to_complainant("已电话告知业主电梯恢复运行");
      req.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
      req.set_substantiation(v1::SUBSTANTIATION_SUBSTANTIATED);
      v1::TicketActionResponse resp;
      return Via("RoutingService.ResolveTicket", req, &resp, [&](const auto& r) { return routing()->ResolveTicket(ctx, r, &resp); });
    }};
    calls["RoutingService.SetPropertyCompany"] = {[=] { return Routed(); },
                                                  [=](auto* ctx, const v1::Ticket& t) {
      v1::SetPropertyCompanyRequest req;
      *req.mutable_write() = Header(t, "company-1");
      req.set_credit_code("91430923MA4L000029");  // 安化滨江物业 instead of the estate's
      req.set_reason("回访核实为滨江物业管理的楼栋");
      v1::TicketActionResponse resp;
      return Via("RoutingService.SetPropertyCompany", req, &resp, [&](const auto& r) { return routing()->SetPropertyCompany(ctx, r, &resp); });
    }};
    calls["RoutingService.GetOrganisation"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::GetOrganisationResponse resp;
      return Via("RoutingService.GetOrganisation", v1::GetOrganisationRequest(), &resp, [&](const auto& r) { return routing()->GetOrganisation(ctx, r, &resp); });
    }};
    calls["RoutingService.UpdateOrganisation"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      grpc::ClientContext get;
      v1::GetOrganisationResponse current;
      EXPECT_TRUE(routing()->GetOrganisation(&get, {}, &current).ok());
      v1::UpdateOrganisationRequest req;
      *req.mutable_organisation() = current.organisation();
      req.mutable_organisation()->set_version(absl::StrCat("mx-", ++org_versions_));
      req.set_expected_version(current.organisation().version());
      v1::GetOrganisationResponse resp;
      return Via("RoutingService.UpdateOrganisation", req, &resp, [&](const auto& r) { return routing()->UpdateOrganisation(ctx, r, &resp); });
    }};
    calls["EscalationService.ListBreaches"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListBreachesRequest req;
      req.set_unit_code(kCounty);
      v1::ListBreachesResponse resp;
      return Via("EscalationService.ListBreaches", req, &resp, [&](const auto& r) { return escalation()->ListBreaches(ctx, r, &resp); });
    }};
    calls["EscalationService.RequestExtension"] = {[=] { return Taken(); },
                                                   [=](auto* ctx, const v1::Ticket& t) {
      v1::RequestExtensionRequest req = ExtensionRequest(t, "");
      req.mutable_write()->clear_actor();
      v1::TicketActionResponse resp;
      return Via("EscalationService.RequestExtension", req, &resp, [&](const auto& r) { return escalation()->RequestExtension(ctx, r, &resp); });
    }};
    calls["EscalationService.DecideExtension"] = {[=] { return WithExtensionAsked(); },
                                                  [=](auto* ctx, const v1::Ticket& t) {
      v1::DecideExtensionRequest req;
      *req.mutable_write() = Header(t, "decide-1");
      req.set_extension_id(t.pending_extension().extension_id());
      req.set_approve(true);
      v1::TicketActionResponse resp;
      return Via("EscalationService.DecideExtension", req, &resp, [&](const auto& r) { return escalation()->DecideExtension(ctx, r, &resp); });
    }};
    calls["EscalationService.RecordRevisit"] = {[=] { return Resolved(); },
                                                [=](auto* ctx, const v1::Ticket& t) {
      v1::RecordRevisitRequest req;
      *req.mutable_write() = Header(t, "revisit-1");
      req.set_tier(v1::TIER_TOWNSHIP);
      req.set_reached(true);
      req.set_solved(true);
      req.set_satisfaction(v1::SATISFACTION_SATISFIED);
      v1::TicketActionResponse resp;
      return Via("EscalationService.RecordRevisit", req, &resp, [&](const auto& r) { return escalation()->RecordRevisit(ctx, r, &resp); });
    }};
    calls["EscalationService.ListRevisits"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListRevisitsRequest req;
      req.set_unit_code(kCounty);
      req.set_month("2026-11");
      v1::ListRevisitsResponse resp;
      return Via("EscalationService.ListRevisits", req, &resp, [&](const auto& r) { return escalation()->ListRevisits(ctx, r, &resp); });
    }};
    auto statistics = [=] { return v1::StatisticsService::NewStub(stack_.Channel()); };
    calls["StatisticsService.GetScorecard"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::GetScorecardRequest req;
      req.set_unit_code(kCounty);
      req.set_month("2026-11");
      v1::Scorecard resp;
      return Via("StatisticsService.GetScorecard", req, &resp, [&](const auto& r) { return statistics()->GetScorecard(ctx, r, &resp); });
    }};
    calls["StatisticsService.ListScorecardTickets"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListScorecardTicketsRequest req;
      req.set_unit_code(kCounty);
      req.set_month("2026-11");
      req.set_measure(v1::MEASURE_RESPONSE);
      v1::ListScorecardTicketsResponse resp;
      return Via("StatisticsService.ListScorecardTickets", req, &resp, [&](const auto& r) { return statistics()->ListScorecardTickets(ctx, r, &resp); });
    }};
    calls["StatisticsService.ListRankings"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListRankingsRequest req;
      req.set_parent_unit_code(kCounty);
      req.set_month("2026-11");
      v1::ListRankingsResponse resp;
      return Via("StatisticsService.ListRankings", req, &resp, [&](const auto& r) { return statistics()->ListRankings(ctx, r, &resp); });
    }};
    calls["StatisticsService.GetCompanyRecord"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::GetCompanyRecordRequest req;
      req.set_company("绿城物业");
      req.set_month("2026-11");
      v1::CompanyRecord resp;
      return Via("StatisticsService.GetCompanyRecord", req, &resp, [&](const auto& r) { return statistics()->GetCompanyRecord(ctx, r, &resp); });
    }};
    calls["StatisticsService.ListExitCandidates"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListExitCandidatesRequest req;
      req.set_month("2026-11");
      v1::ListExitCandidatesResponse resp;
      return Via("StatisticsService.ListExitCandidates", req, &resp, [&](const auto& r) { return statistics()->ListExitCandidates(ctx, r, &resp); });
    }};
    calls["StatisticsService.ExportMonth"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ExportMonthRequest req;
      req.set_unit_code(kCounty);
      req.set_month("2026-11");
      v1::ExportMonthResponse resp;
      return Via("StatisticsService.ExportMonth", req, &resp, [&](const auto& r) { return statistics()->ExportMonth(ctx, r, &resp); });
    }};
    calls["StatisticsService.ListAdjustments"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListAdjustmentsRequest req;
      req.set_unit_code(kCounty);
      req.set_month("2026-11");
      v1::ListAdjustmentsResponse resp;
      return Via("StatisticsService.ListAdjustments", req, &resp, [&](const auto& r) { return statistics()->ListAdjustments(ctx, r, &resp); });
    }};
    calls["StatisticsService.RecordCreditEvaluation"] = {nullptr,
                                                       [=](auto* ctx, const v1::Ticket&) {
      v1::RecordCreditEvaluationRequest req;
      req.set_credit_code("91430923MA4L000016");
      req.set_year(2024);
      req.set_score(88.5);
      v1::CreditEvaluation resp;
      return Via("StatisticsService.RecordCreditEvaluation", req, &resp, [&](const auto& r) { return statistics()->RecordCreditEvaluation(ctx, r, &resp); });
    }};
    calls["StatisticsService.ListCompanyLists"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      v1::ListCompanyListsRequest req;
      req.set_month("2026-11");
      v1::ListCompanyListsResponse resp;
      return Via("StatisticsService.ListCompanyLists", req, &resp, [&](const auto& r) { return statistics()->ListCompanyLists(ctx, r, &resp); });
    }};
    for (const char* m : {"GetScorecard", "ListScorecardTickets", "ListRankings",
                          "GetCompanyRecord", "ListExitCandidates", "ExportMonth",
                          "ListAdjustments", "RecordCreditEvaluation", "ListCompanyLists"}) {
      calls[absl::StrCat("StatisticsService.", m)].admitted = grpc::StatusCode::FAILED_PRECONDITION;
    }
    calls["DiagnosticsService.Echo"] = {nullptr, [=](auto* ctx, const v1::Ticket&) {
      auto stub = v1::DiagnosticsService::NewStub(stack_.Channel());
      v1::EchoRequest req;
      req.set_payload("ping");
      v1::EchoResponse resp;
      return Via("DiagnosticsService.Echo", req, &resp,
                 [&](const auto& r) { return stub->Echo(ctx, r, &resp); });
    }};
    return calls;
  }

  // The token of `role` inside or outside, for `call` of `rule`.
  std::string TokenFor(const Rule& rule, Role role, bool inside, const Call& call) {
    std::string subject = role == Role::kHandler ? call.handler : SubjectOf(role);
    std::string unit = kOtherCounty;
    std::vector<std::string> channels = {"CHANNEL_PHONE"};
    if (inside) {
      channels = {"CHANNEL_HOTLINE_12345"};
      unit = call.own_unit;
      for (const Grant& g : rule.grants) {
        if (g.role != role) continue;
        if (g.scope == Scope::kSubtree || g.scope == Scope::kAnything) unit = kCounty;
        if (g.scope == Scope::kBelow) unit = kTownship;
      }
    }
    return stack_.pki().Token(subject, role == Role::kGateway ? "" : unit,
                              {std::string(auth::RoleName(role))},
                              role == Role::kGateway ? channels : std::vector<std::string>{});
  }

  int work_orders_ = 0;
  int org_versions_ = 0;
  // The token of the case being run (the gateway's calls carry it in Authorization).
  std::string token_;
};

TEST_P(AccessMatrixTest, EveryRpcForEveryRoleInsideAndOutsideItsPartIsAllowedExactlyAsTheTableSays) {
  std::map<std::string, Call> calls = Calls();
  int cases = 0, allowed = 0;
  for (const Rule& rule : Policy()) {
    ASSERT_TRUE(calls.count(rule.method)) << rule.method << " has no call in this test";
    const Call& call = calls[rule.method];
    for (Role role : AllRoles()) {
      for (bool inside : {true, false}) {
        // What the table says.
        bool expect_allowed = false;
        bool has_grant = false;
        for (const Grant& g : rule.grants) {
          if (g.role != role) continue;
          has_grant = true;
          expect_allowed |= inside || g.scope == Scope::kAnything;
        }
        const std::string what = absl::StrCat(rule.method, " as ", auth::RoleName(role), " ",
                                              inside ? "inside" : "outside");
        SCOPED_TRACE(what);
        v1::Ticket t = call.setup ? call.setup() : v1::Ticket();
        grpc::ClientContext ctx;
        token_ = TokenFor(rule, role, inside, call);
        testing::WithToken(&ctx, token_);
        grpc::Status s = call.send(&ctx, t);
        ++cases;
        if (expect_allowed) {
          ++allowed;
          EXPECT_EQ(s.error_code(), call.admitted)
              << what << " was refused: " << s.error_code() << " " << s.error_message();
          continue;
        }
        EXPECT_FALSE(s.ok()) << what << " was allowed";
        if (!has_grant) {
          // Refused at the door, naming what the rule allows.
          EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
        } else if (IsRead(rule.method)) {
          // Another county's tickets do not exist for the caller.
          EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
        } else {
          EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
          EXPECT_THAT(s.error_message(), ::testing::HasSubstr("the rule allows"));
        }
        if (call.setup) {
          // Nothing was written.
          EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version()) << what;
        }
      }
    }
  }
  // The table is all there: 32 RPCs, six roles, two sides; a good number of them allowed.
  EXPECT_EQ(cases, static_cast<int>(Policy().size()) * 12);
  EXPECT_GE(allowed, 30);
}

TEST(AccessTable, TheTableNamesEveryRpcTheServiceServesAndNothingElse) {
  std::set<std::string> served;
  for (const char* service : {"dispatch.v1.IntakeService", "dispatch.v1.RoutingService",
                              "dispatch.v1.EscalationService", "dispatch.v1.DiagnosticsService",
                              "dispatch.v1.StatisticsService"}) {
    const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) {
      served.insert(absl::StrCat(d->name(), ".", d->method(i)->name()));
    }
  }
  std::set<std::string> ruled;
  for (const Rule& rule : Policy()) ruled.insert(rule.method);
  EXPECT_EQ(ruled, served);
}

INSTANTIATE_TEST_SUITE_P(OverGrpcAndHttp, AccessMatrixTest, ::testing::Values("grpc", "http"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace dispatch::access

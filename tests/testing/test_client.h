// TestClient: the calls a handler or gateway makes, through real gRPC, for integration tests
// that read like a case file: Submit, Get, RouteByHand, Assign, and the ticket's events as
// stored in its shard's stream (the outbox).
#ifndef DISPATCH_TESTS_TESTING_TEST_CLIENT_H_
#define DISPATCH_TESTS_TESTING_TEST_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/event_entry.h"
#include "common/keys.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/escalation.grpc.pb.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "dispatch/v1/routing.grpc.pb.h"
#include "gtest/gtest.h"

namespace dispatch::testing {

class TestClient {
 public:
  TestClient(const std::shared_ptr<grpc::Channel>& channel, redis::Client* redis)
      : intake_(v1::IntakeService::NewStub(channel)),
        routing_(v1::RoutingService::NewStub(channel)),
        escalation_(v1::EscalationService::NewStub(channel)),
        redis_(redis) {}

  std::string Submit(const v1::SubmitComplaintRequest& req) {
    grpc::ClientContext ctx;
    v1::SubmitComplaintResponse resp;
    grpc::Status s = intake_->SubmitComplaint(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.ticket().ticket_id();
  }

  v1::Ticket Get(const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetTicketRequest req;
    req.set_ticket_id(id);
    v1::GetTicketResponse resp;
    grpc::Status s = intake_->GetTicket(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.ticket();
  }

  static v1::TicketWrite Write(const v1::Ticket& t, const std::string& request_id,
                               const std::string& actor) {
    v1::TicketWrite w;
    w.set_ticket_id(t.ticket_id());
    w.set_expected_version(t.version());
    w.set_request_id(request_id);
    w.mutable_actor()->set_id(actor);
    return w;
  }

  // A dispatcher routes `t` by hand to `unit` (housing unless told otherwise); no one is
  // assigned yet.
  grpc::Status RouteByHand(const v1::Ticket& t, const std::string& unit, v1::Ticket* out,
                           const std::string& request_id = "route-1",
                           v1::Department department = v1::DEPARTMENT_HOUSING) {
    grpc::ClientContext ctx;
    v1::RouteTicketRequest req;
    *req.mutable_write() = Write(t, request_id, "desk-1");
    req.set_unit_code(unit);
    req.set_department(department);
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->RouteTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // A dispatcher names `handler` (who must then sign for it, under sign-for).
  grpc::Status Assign(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                      const std::string& request_id = "assign-1") {
    return AssignAs("dispatcher-1", t, handler, out, request_id);
  }

  // A handler takes `t` (names themself: assigned and signed for at once, 签收).
  grpc::Status Take(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                    const std::string& request_id = "take-1") {
    return AssignAs(handler, t, handler, out, request_id);
  }

  // The ids of the tickets ListTickets gives for `unit`'s subtree (first page).
  std::vector<std::string> ListedFor(const std::string& unit) {
    v1::ListTicketsRequest req;
    req.set_unit_code(unit);
    const v1::ListTicketsResponse listed = ListTickets(req);
    std::vector<std::string> ids;
    for (const v1::Ticket& t : listed.tickets()) ids.push_back(t.ticket_id());
    return ids;
  }

  // `handler` signs for `t` (签收), or for its assisting share `share` when given.
  grpc::Status SignFor(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                       const std::string& request_id = "sign-1",
                       const v1::ShareRef* share = nullptr) {
    grpc::ClientContext ctx;
    v1::SignForTicketRequest req;
    *req.mutable_write() = Write(t, request_id, handler);
    if (share != nullptr) *req.mutable_share() = *share;
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->SignForTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  v1::RoutingService::Stub& routing() { return *routing_; }

 private:
  grpc::Status AssignAs(const std::string& actor, const v1::Ticket& t,
                        const std::string& handler, v1::Ticket* out,
                        const std::string& request_id) {
    grpc::ClientContext ctx;
    v1::AssignTicketRequest req;
    *req.mutable_write() = Write(t, request_id, actor);
    req.set_handler_id(handler);
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->AssignTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

 public:

  // The lead unit's handler returns `t` (退单): not its department's business. It goes to the
  // county dispatch desk.
  grpc::Status Return(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                      const std::string& request_id = "return-1") {
    grpc::ClientContext ctx;
    v1::ReturnTicketRequest req;
    *req.mutable_write() = Write(t, request_id, handler);
    req.set_reason("不属于本单位职责");
    req.set_reason_code(v1::RETURN_REASON_NOT_OUR_DEPARTMENT);
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->ReturnTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // The assigned handler records the contact with the property company.
  grpc::Status Contact(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                       const std::string& request_id = "contact-1") {
    grpc::ClientContext ctx;
    v1::RecordContactRequest req;
    *req.mutable_write() = Write(t, request_id, handler);
    req.set_preliminary_result("物业已承诺三日内更换配件");
    req.set_property_company("绿城物业");
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->RecordContact(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // The handler resolves and tells the complainant by phone.
  grpc::Status Resolve(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                       const std::string& request_id = "resolve-1") {
    grpc::ClientContext ctx;
    v1::ResolveTicketRequest req;
    *req.mutable_write() = Write(t, request_id, handler);
    req.set_result("电梯已修复运行");
    req.set_feedback_to_complainant("已电话告知业主电梯恢复运行");
    req.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
    req.set_substantiation(v1::SUBSTANTIATION_SUBSTANTIATED);
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->ResolveTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // `actor` corrects the property company of `t` to `credit_code` ("" for none).
  grpc::Status SetCompany(const v1::Ticket& t, const std::string& actor,
                          const std::string& credit_code, v1::Ticket* out,
                          const std::string& request_id = "company-1",
                          const std::string& reason = "回访核实物业公司有误") {
    grpc::ClientContext ctx;
    v1::SetPropertyCompanyRequest req;
    *req.mutable_write() = Write(t, request_id, actor);
    req.set_credit_code(credit_code);
    req.set_reason(reason);
    v1::TicketActionResponse resp;
    grpc::Status s = routing_->SetPropertyCompany(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // A revisit call by `caller` at `tier`; reached when `satisfaction` is set.
  grpc::Status Revisit(const v1::Ticket& t, const std::string& caller, v1::Tier tier,
                       v1::Satisfaction satisfaction, v1::Ticket* out,
                       const std::string& request_id, bool false_closure = false) {
    grpc::ClientContext ctx;
    v1::RecordRevisitRequest req;
    *req.mutable_write() = Write(t, request_id, caller);
    req.set_tier(tier);
    req.set_reached(satisfaction != v1::SATISFACTION_UNSPECIFIED);
    req.set_solved(satisfaction != v1::SATISFACTION_DISSATISFIED);
    req.set_satisfaction(satisfaction);
    req.set_false_closure(false_closure);
    v1::TicketActionResponse resp;
    grpc::Status s = escalation_->RecordRevisit(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }

  // The whole history through GetTicketHistory, page by page.
  std::vector<v1::TicketEvent> History(const std::string& id, int page_size = 0) {
    std::vector<v1::TicketEvent> out;
    std::string token;
    do {
      grpc::ClientContext ctx;
      v1::GetTicketHistoryRequest req;
      req.set_ticket_id(id);
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::GetTicketHistoryResponse resp;
      grpc::Status s = intake_->GetTicketHistory(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (auto& e : *resp.mutable_events()) out.push_back(std::move(e));
      token = resp.next_page_token();
    } while (!token.empty());
    return out;
  }

  // One ListTickets call; a failure is a test failure unless the caller takes the status.
  v1::ListTicketsResponse ListTickets(const v1::ListTicketsRequest& req,
                                      grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::ListTicketsResponse resp;
    grpc::Status s = intake_->ListTickets(&ctx, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  v1::IntakeService::Stub& intake() { return *intake_; }
  v1::EscalationService::Stub& escalation() { return *escalation_; }

  // The ticket's events in stream order.
  std::vector<v1::TicketEvent> Events(const std::string& ticket_id) {
    std::vector<v1::TicketEvent> out;
    auto r = redis_->ExecuteSync(
        {"XRANGE", keys::Events(*keys::ShardOfTicketId(ticket_id)), "-", "+"});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return out;
    for (const auto& item : r->elements) {
      auto entry = DecodeEventEntry(item);
      EXPECT_TRUE(entry.ok()) << entry.status();
      if (entry.ok() && entry->ticket_id == ticket_id) out.push_back(std::move(entry->event));
    }
    return out;
  }

 private:
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::RoutingService::Stub> routing_;
  std::unique_ptr<v1::EscalationService::Stub> escalation_;
  redis::Client* redis_;
};

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_TEST_CLIENT_H_

// A fixture for read-model tests: a real PostgreSQL 15 (database "live"), dispatchd in-process
// (TimerEngineTest: real gRPC and redis-server, a fake clock, no background workers) and a
// projector the test drains by hand, with helpers that read the tables.
#ifndef DISPATCH_TESTS_READMODEL_READ_MODEL_FIXTURE_H_
#define DISPATCH_TESTS_READMODEL_READ_MODEL_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/testing/postgres_server.h"
#include "services/readmodel/migrations.h"
#include "services/readmodel/projector.h"
#include "tests/escalation/escalation_fixture.h"
#include "tests/testing/sample_org.h"

namespace dispatch::readmodel {

using ::dispatch::testing::IsOk;

constexpr const char* kTables[] = {"tickets",    "ticket_units", "ticket_events",
                                   "breaches",   "breach_units", "returns",
                                   "extensions", "revisits",     "revisit_units"};

class ReadModelFixture : public escalation::TimerEngineTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(pg_server_.Start(), IsOk());
    auto info = pg_server_.CreateDatabase("live");
    ASSERT_THAT(info, IsOk());
    live_conninfo_ = *info;
    Start(StackConfig());
    live_ = Open(*info);
    projector_redis_ = std::make_unique<redis::HiredisClient>(stack_.redis_options());
    auto org = testing::SampleOrgHolder(projector_redis_.get());
    ASSERT_THAT(org, IsOk());
    org_ = *std::move(org);
    ASSERT_THAT(org_->Load(), IsOk());
    projector_ = NewProjector(live_.get());
  }

  std::unique_ptr<pg::Connection> Open(const std::string& conninfo) {
    pg::Options o;
    o.conninfo = conninfo;
    auto c = pg::Connection::Open(o);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::unique_ptr<Projector> NewProjector(pg::Connection* pg, int batch = 0) {
    Projector::Options options;
    if (batch > 0) options.batch = batch;  // entries a transaction
    options.clock = &clock_;  // progress in the stack's (fake) time
    options.pii_secret = pii_secret_;
    auto p = std::make_unique<Projector>(projector_redis_.get(), pg, org_.get(), options);
    EXPECT_THAT(p->Prepare(), IsOk());
    return p;
  }

  // Runs `p` until nothing is left; returns how many entries it applied.
  int Drain(Projector& p) {
    int total = 0;
    for (;;) {
      auto n = p.RunOnce(absl::ZeroDuration());
      EXPECT_THAT(n, IsOk());
      if (!n.ok() || *n == 0) return total;
      total += *n;
    }
  }

  int64_t Count(pg::Connection& c, const std::string& sql) {
    auto r = c.Exec(sql);
    EXPECT_THAT(r, IsOk()) << sql;
    return r.ok() && r->rows() > 0 ? r->GetInt(0, 0) : -1;
  }
  std::string Text(pg::Connection& c, const std::string& sql) {
    auto r = c.Exec(sql);
    EXPECT_THAT(r, IsOk()) << sql;
    return r.ok() && r->rows() > 0 ? r->Get(0, 0) : "";
  }
  std::vector<std::string> Column(pg::Connection& c, const std::string& sql) {
    std::vector<std::string> out;
    auto r = c.Exec(sql);
    EXPECT_THAT(r, IsOk()) << sql;
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.push_back(r->Get(i, 0));
    return out;
  }
  // Every row of every read-model table, as one digest per table.
  std::vector<std::string> Contents(pg::Connection& c) {
    std::vector<std::string> out;
    for (const char* t : kTables) {
      out.push_back(absl::StrCat(
          t, ": ", Count(c, absl::StrCat("SELECT count(*) FROM ", t)), " rows, md5 ",
          Text(c, absl::StrCat("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), "
                               "'')) FROM ", t, " x"))));
    }
    return out;
  }

  // Every consumer-group entry of the projector delivered again, as after a crash between
  // the commit and the acknowledgement.
  void ForgetAcknowledgements() {
    std::vector<std::vector<std::string>> commands;
    for (int s = 0; s < keys::kShardCount; ++s) {
      commands.push_back({"XGROUP", "SETID", keys::Events(s), keys::kProjectorGroup, "0"});
    }
    for (auto& r : stack_.redis().ExecuteAllSync(std::move(commands))) ASSERT_THAT(r, IsOk());
  }

  // The versions of events, in their order.
  static std::vector<int64_t> Versions(const std::vector<v1::TicketEvent>& events) {
    std::vector<int64_t> out;
    for (const v1::TicketEvent& e : events) out.push_back(e.ticket_version());
    return out;
  }
  // The ticket of a 12345 hotline work order, through LookupTicket.
  grpc::Status LookupWorkOrder(const std::string& work_order, v1::Ticket* out) {
    grpc::ClientContext ctx;
    v1::LookupTicketRequest lookup;
    lookup.set_channel(v1::CHANNEL_HOTLINE_12345);
    lookup.set_channel_work_order_id(work_order);
    v1::GetTicketResponse found;
    grpc::Status s = client_->intake().LookupTicket(&ctx, lookup, &found);
    *out = found.ticket();
    return s;
  }

  // A ticket's life: accepted, routed by hand to the community, assigned and signed for, its
  // 3-hour clock breached, contacted, resolved, revisited satisfied (closed).
  std::string OneWholeCase(const std::string& work_order) {
    std::string id = SubmitAndRoute(work_order);
    v1::Ticket t;
    grpc::Status assigned = client_->Assign(client_->Get(id), "h-cd-wgy", &t);
    EXPECT_TRUE(assigned.ok()) << assigned.error_message();
    EXPECT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
    FireAt(clock_.Now() + absl::Hours(3) + absl::Minutes(1));
    EXPECT_TRUE(client_->Contact(client_->Get(id), "h-cd-wgy", &t).ok());
    EXPECT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
    EXPECT_TRUE(client_->Revisit(t, "supervisor-1", v1::TIER_TOWNSHIP,
                                 v1::SATISFACTION_SATISFIED, &t, "rv-" + work_order)
                    .ok());
    return id;
  }

  // dispatchd's configuration beyond the fixture's (TimerEngineTest::Start).
  virtual std::string StackConfig() { return ""; }

  testing::PostgresServer pg_server_;
  std::string live_conninfo_;
  std::string pii_secret_;  // the projector's (personal_data.h); empty: none
  std::unique_ptr<pg::Connection> live_;
  std::unique_ptr<redis::HiredisClient> projector_redis_;
  std::unique_ptr<org::OrgHolder> org_;
  std::unique_ptr<Projector> projector_;
};

}  // namespace dispatch::readmodel

#endif  // DISPATCH_TESTS_READMODEL_READ_MODEL_FIXTURE_H_

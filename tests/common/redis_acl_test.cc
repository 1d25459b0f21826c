// Redis credentials: the whole service runs as the ACL user of deploy/redis-acl.txt (only the
// commands it uses), with its password from a file; a command the rules leave out is refused
// to that user. A command the service needs and the rules miss fails this test.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/stream_cursor.h"
#include "services/escalation/sla_policy.h"
#include "services/escalation/timer_engine.h"
#include "services/org/org_holder.h"
#include "services/readmodel/archiver.h"
#include "services/readmodel/personal_data.h"
#include "services/readmodel/projector.h"
#include "services/routing/routing_worker.h"
#include "common/testing/postgres_server.h"
#include "tests/escalation/escalation_fixture.h"
#include "tests/testing/sample_org.h"

namespace dispatch {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;

constexpr char kPassword[] = "acl-test-password";

// The rules of deploy/redis-acl.txt, one argument each.
std::vector<std::string> AclRules() {
  std::vector<std::string> rules;
  std::ifstream in(DISPATCH_SOURCE_DIR "/deploy/redis-acl.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    for (absl::string_view r : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
      rules.emplace_back(r);
    }
  }
  return rules;
}

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> user = {"--user", "dispatchd", "on", absl::StrCat(">", kPassword)};
    for (const std::string& r : AclRules()) user.push_back(r);
    ASSERT_GT(user.size(), 10u);
    stack_.redis_server().AddArgs(user);
    password_file_ = stack_.pki().dir() + "/redis.password";
    std::ofstream(password_file_) << kPassword << "\n";
    ASSERT_THAT(
        stack_.Start(absl::StrCat("services: ['intake', 'routing', 'escalation'] "
                                  "routing_worker_disabled: true escalation { worker_disabled: "
                                  "true } redis { username: 'dispatchd' password_file: '",
                                  password_file_, "' }"),
                     &clock_),
        IsOk());
    client_ = std::make_unique<testing::TestClient>(stack_.channel(), &stack_.redis());
  }
  // A Redis client that is the service's user.
  redis::HiredisOptions AsService() const {
    redis::HiredisOptions o = stack_.redis_options();
    o.username = "dispatchd";
    o.password = kPassword;
    return o;
  }

  FakeClock clock_{testing::Shanghai(2026, 11, 23, 10, 0)};  // a Monday morning: on duty
  testing::ServerStack stack_;
  std::string password_file_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(RedisAclTest, TheWholeServiceRunsAsTheUserOfDeployAndNothingMore) {
  redis::HiredisClient service(AsService());
  // The routing worker as the service's user: its group, its reads, its acknowledgements.
  auto sample = testing::SampleOrgHolder(&service);
  ASSERT_THAT(sample, IsOk());
  org::OrgHolder& org = **sample;
  ASSERT_THAT(org.Load(), IsOk());
  SlaPolicy policy = SlaPolicy::Default();
  routing::RoutingWorker::Options worker_options;
  worker_options.consumer = "acl";
  worker_options.claim_min_idle = absl::ZeroDuration();
  routing::RoutingWorker worker(&service, &clock_, &org, &policy, worker_options);
  ASSERT_THAT(worker.Prepare(), IsOk());

  // A complaint about an estate the directory knows, routed by the worker.
  auto req = HotlineComplaint("12345-ACL-1");
  req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
      "430923100001");
  std::string id = client_->Submit(req);
  ASSERT_THAT(worker.ClaimAbandoned(), IsOk());
  ASSERT_THAT(worker.RunOnce(absl::ZeroDuration()), testing::IsOkAndHolds(1));
  v1::Ticket t = client_->Get(id);
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  // A dispatcher moves it to the community's housing officer, who takes it.
  ASSERT_TRUE(client_->RouteByHand(t, "430923100001", &t, "reroute").ok());
  grpc::Status taken = client_->Take(t, "h-cd-wgy", &t);
  ASSERT_TRUE(taken.ok()) << taken.error_message();

  // The timer engine as the service's user: the contact clock breaches and escalates.
  escalation::TimerEngine::Options engine_options;
  engine_options.now_from_clock = true;
  escalation::TimerEngine engine(&service, &clock_, engine_options);
  clock_.Advance(absl::Hours(4));
  auto pass = engine.RunOnce();
  ASSERT_THAT(pass, IsOk());
  EXPECT_GE(pass->events, 2);
  t = client_->Get(id);
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t,
                               "revisit-1")
                  .ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_FALSE(client_->History(id).empty());
  EXPECT_EQ(client_->ListedFor("430923"), std::vector<std::string>{id});

  // The reads and the personal-data log.
  auto intake = v1::IntakeService::NewStub(stack_.Channel());
  {
    grpc::ClientContext ctx;
    testing::WithToken(&ctx, stack_.pki().Token("h-cd-wgy", "430923100001", {"handler", "pii"}));
    v1::GetTicketRequest get;
    get.set_ticket_id(id);
    get.set_contact_view(v1::CONTACT_VIEW_FULL);
    get.set_pii_reason("回电");
    v1::GetTicketResponse resp;
    ASSERT_TRUE(intake->GetTicket(&ctx, get, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    testing::WithToken(&ctx, stack_.pki().Token("admin-1", "430900", {"admin"}));
    v1::ListPersonalDataAccessResponse log;
    ASSERT_TRUE(intake->ListPersonalDataAccess(&ctx, {}, &log).ok());
    EXPECT_EQ(log.accesses_size(), 1);
  }
  {
    grpc::ClientContext ctx;
    v1::WatchTicketEventsRequest watch;
    watch.mutable_resume_after()->set_token(
        EncodeStreamCursor(std::vector<std::string>(keys::kShardCount, "0-0")));
    auto reader = client_->intake().WatchTicketEvents(&ctx, watch);
    v1::WatchTicketEventsResponse r;
    EXPECT_TRUE(reader->Read(&r));
    ctx.TryCancel();
    reader->Finish();
  }
  for (const char* method : {"breaches", "revisits"}) {
    grpc::ClientContext ctx;
    grpc::Status s;
    if (std::string(method) == "breaches") {
      v1::ListBreachesResponse resp;
      s = client_->escalation().ListBreaches(&ctx, v1::ListBreachesRequest(), &resp);
      EXPECT_GT(resp.breaches_size(), 0);
    } else {
      v1::ListRevisitsResponse resp;
      s = client_->escalation().ListRevisits(&ctx, v1::ListRevisitsRequest(), &resp);
    }
    EXPECT_TRUE(s.ok()) << method << ": " << s.error_message();
  }
  // The organisation, changed and read back.
  grpc::ClientContext get_ctx;
  v1::GetOrganisationResponse current;
  ASSERT_TRUE(client_->routing().GetOrganisation(&get_ctx, {}, &current).ok());
  v1::UpdateOrganisationRequest update;
  *update.mutable_organisation() = current.organisation();
  update.mutable_organisation()->set_version("acl-2");
  update.set_expected_version(current.organisation().version());
  grpc::ClientContext update_ctx;
  v1::GetOrganisationResponse updated;
  ASSERT_TRUE(client_->routing().UpdateOrganisation(&update_ctx, update, &updated).ok());

  // What the rules leave out is refused to the service's user.
  for (std::vector<std::string> other : std::vector<std::vector<std::string>>{
           {"FLUSHALL"}, {"KEYS", "*"}, {"CONFIG", "GET", "*"}, {"RENAME", "{time}:epoch", "x"},
           {"SCRIPT", "FLUSH"}, {"ACL", "LIST"}}) {
    auto r = service.ExecuteSync(other);
    EXPECT_FALSE(r.ok()) << other[0];
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("NOPERM")) << other[0];
  }
}


TEST_F(RedisAclTest, TheProjectorAndTheArchiverRunAsTheUserOfDeploy) {
  redis::HiredisClient service(AsService());
  testing::PostgresServer pg_server;
  ASSERT_THAT(pg_server.Start(), IsOk());
  pg::Options pg_options;
  pg_options.conninfo = pg_server.conninfo();
  auto pg = pg::Connection::Open(pg_options);
  ASSERT_THAT(pg, IsOk());
  auto sample = testing::SampleOrgHolder(&service);
  ASSERT_THAT(sample, IsOk());
  org::OrgHolder& org = **sample;
  ASSERT_THAT(org.Load(), IsOk());

  // A whole case, closed.
  std::string id = client_->Submit(HotlineComplaint("12345-ACL-2"));
  v1::Ticket t;
  ASSERT_TRUE(client_->RouteByHand(client_->Get(id), "430923100001", &t).ok());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t,
                               "revisit-2")
                  .ok());
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);

  // The projector: its group, reads, acknowledgements, the tickets it reads.
  readmodel::Projector::Options projector_options;
  projector_options.clock = &clock_;
  projector_options.claim_min_idle = absl::ZeroDuration();
  readmodel::Projector projector(&service, pg->get(), &org, projector_options);
  ASSERT_THAT(projector.Prepare(), IsOk());
  ASSERT_THAT(projector.ClaimAbandoned(), IsOk());
  int applied = 0;
  for (;;) {
    auto n = projector.RunOnce(absl::ZeroDuration());
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
    applied += *n;
  }
  EXPECT_GE(applied, 6);

  // The eraser: the complainant's data goes from Redis and the archive.
  readmodel::Eraser::Options eraser_options;
  eraser_options.clock = &clock_;
  readmodel::Eraser eraser(&service, pg->get(), eraser_options);
  auto erased = eraser.Request("acl-erase-1", "", id, "本人申请", "dpo-1");
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(erased->erased, 1);

  // The archiver: the ticket leaves Redis, the stream is trimmed.
  clock_.Advance(absl::Hours(24 * 31));
  readmodel::Archiver::Options archiver_options;
  archiver_options.clock = &clock_;
  archiver_options.stream_keep = absl::ZeroDuration();
  readmodel::Archiver archiver(&service, pg->get(), archiver_options);
  auto pass = archiver.RunOnce();
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->archived, 1);
  EXPECT_GT(pass->events_trimmed, 0);
}

}  // namespace
}  // namespace dispatch

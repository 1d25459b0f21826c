// Authentication and the rules around it, against a running dispatchd over TLS: every bad token
// is UNAUTHENTICATED with its reason and writes nothing; a hotline gateway's client certificate
// names it; a gateway submits only for its channels; a handler cannot approve its own
// extension; the actor of every event is the token's subject; personal data is masked unless
// the pii role asks with a reason, and every full view is in the access log.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/jwt.h"
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::auth {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::TestClient;
using ::dispatch::testing::WithToken;
using ::testing::HasSubstr;

constexpr char kLead[] = "430923100001";

class AuthenticationTest : public escalation::TimerEngineTest {
 protected:
  void SetUp() override {
    // The 12345 hotline's gateway authenticates with its client certificate.
    Start(
        "auth { clients { common_name: 'gateway.12345.example.gov.cn' subject: 'gw-12345-mtls' "
        "roles: 'gateway' channels: CHANNEL_HOTLINE_12345 } }");
    ASSERT_THAT(devpki::IssueClient(stack_.pki().dir(), "hotline", "gateway.12345.example.gov.cn"),
                testing::IsOk());
    ASSERT_THAT(devpki::IssueClient(stack_.pki().dir(), "stranger", "someone.example.com"),
                testing::IsOk());
  }

  // Claims the server accepts, for a gateway of the hotline.
  Claims Gateway() const {
    Claims c;
    c.subject = "gw-12345";
    c.issuer = devpki::kDevIssuer;
    c.audience = {devpki::kDevAudience};
    c.roles = {"gateway"};
    c.channels = {"CHANNEL_HOTLINE_12345"};
    c.not_before = absl::Now() - absl::Minutes(1);
    c.expires = absl::Now() + absl::Hours(1);
    return c;
  }
  std::string Sign(const Claims& c, const std::string& kid = devpki::kDevKeyId) const {
    auto key = ReadFile(stack_.pki().dir() + "/jwt.key");
    auto t = SignJwtEs256(c, kid, *key);
    return t.ok() ? *t : "";
  }
  static std::string B64(absl::string_view s) {
    std::string out;
    absl::WebSafeBase64Escape(s, &out);
    return out;
  }

  grpc::Status SubmitWith(const std::string& authorization, const std::string& work_order,
                          v1::SubmitComplaintResponse* resp = nullptr) {
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    v1::SubmitComplaintResponse ignored;
    auto stub = v1::IntakeService::NewStub(stack_.Channel());
    return stub->SubmitComplaint(&ctx, HotlineComplaint(work_order), resp ? resp : &ignored);
  }
  std::string Bearer(const std::string& token) { return "Bearer " + token; }

  // How many tickets exist.
  size_t Tickets() {
    auto keys = stack_.redis().ExecuteSync({"KEYS", "*:t:*"});
    return keys.ok() ? keys->elements.size() : 0;
  }
};

TEST_F(AuthenticationTest, EachBadTokenIsUnauthenticatedWithItsReasonAndNothingIsWritten) {
  Claims expired = Gateway();
  expired.expires = absl::Now() - absl::Minutes(5);  // beyond the minute of skew
  Claims early = Gateway();
  early.not_before = absl::Now() + absl::Minutes(5);
  Claims issuer = Gateway();
  issuer.issuer = "https://sso.elsewhere.example.com";
  Claims audience = Gateway();
  audience.audience = {"another-service"};
  std::vector<std::string> good = absl::StrSplit(Sign(Gateway()), '.');
  Claims admin = Gateway();
  admin.subject = "admin";
  admin.roles = {"gateway", "admin"};
  std::vector<std::string> forged = absl::StrSplit(Sign(admin), '.');
  const std::string payload = B64(absl::StrCat(
      R"({"sub":"gw-12345","iss":"dispatch-dev","aud":"dispatch","exp":)",
      absl::ToUnixSeconds(absl::Now()) + 3600,
      R"(,"roles":["gateway"],"channels":["CHANNEL_HOTLINE_12345"]})"));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "no credentials"},
      {Bearer(Sign(expired)), "expired at"},
      {Bearer(Sign(early)), "not valid before"},
      {Bearer(Sign(issuer)), "issuer"},
      {Bearer(Sign(audience)), "audience"},
      {Bearer(Sign(Gateway(), "retired-key")), "unknown key id"},
      {Bearer(absl::StrCat(good[0], ".", forged[1], ".", good[2])), "signature"},
      {Bearer(absl::StrCat(B64(R"({"alg":"none","kid":"dev-1"})"), ".", payload, ".")),
       "algorithm \"none\" is not accepted"},
      {"Basic YWRtaW46YWRtaW4=", "not a Bearer token"},
  };
  int i = 0;
  for (const auto& [authorization, reason] : cases) {
    grpc::Status s = SubmitWith(authorization, absl::StrCat("12345-BAD-", i++));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << reason;
    EXPECT_THAT(s.error_message(), HasSubstr(reason));
  }
  EXPECT_EQ(Tickets(), 0u);
  // The same call with a good token is served.
  EXPECT_TRUE(SubmitWith(Bearer(Sign(Gateway())), "12345-GOOD").ok());
  EXPECT_EQ(Tickets(), 1u);
}

TEST_F(AuthenticationTest, AWatchIsAuthenticatedLikeEveryOtherCall) {
  auto stub = v1::IntakeService::NewStub(stack_.Channel());
  grpc::ClientContext ctx;
  auto reader = stub->WatchTicketEvents(&ctx, v1::WatchTicketEventsRequest());
  v1::WatchTicketEventsResponse r;
  EXPECT_FALSE(reader->Read(&r));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("no credentials"));
}

TEST_F(AuthenticationTest, AGatewaysClientCertificateNamesItAndAnUnknownOneIsRefused) {
  auto hotline = v1::IntakeService::NewStub(
      stack_.Channel(stack_.pki().CredentialsWithCertificate("hotline")));
  grpc::ClientContext ctx;
  v1::SubmitComplaintResponse resp;
  ASSERT_TRUE(hotline->SubmitComplaint(&ctx, HotlineComplaint("12345-MTLS"), &resp).ok());
  EXPECT_EQ(client_->Events(resp.ticket().ticket_id()).front().actor().id(), "gw-12345-mtls");

  // A certificate of our CA whose name is not a configured system: no one.
  auto stranger = v1::IntakeService::NewStub(
      stack_.Channel(stack_.pki().CredentialsWithCertificate("stranger")));
  grpc::ClientContext stranger_ctx;
  grpc::Status s = stranger->SubmitComplaint(&stranger_ctx, HotlineComplaint("12345-X"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("not a configured client"));

  // A certificate of another CA does not get through TLS at all.
  testing::TestPki elsewhere;
  ASSERT_THAT(devpki::IssueClient(elsewhere.dir(), "hotline", "gateway.12345.example.gov.cn"),
              testing::IsOk());
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ReadFile(stack_.pki().dir() + "/ca.pem");
  options.pem_cert_chain = *ReadFile(elsewhere.dir() + "/hotline.pem");
  options.pem_private_key = *ReadFile(elsewhere.dir() + "/hotline.key");
  auto forged = v1::IntakeService::NewStub(stack_.Channel(grpc::SslCredentials(options)));
  grpc::ClientContext forged_ctx;
  forged_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(forged->SubmitComplaint(&forged_ctx, HotlineComplaint("12345-Y"), &resp).ok());
  EXPECT_EQ(Tickets(), 1u);
}

TEST_F(AuthenticationTest, AGatewayCannotSubmitForAnotherChannel) {
  Claims phone = Gateway();
  phone.subject = "gw-phone";
  phone.channels = {"CHANNEL_PHONE"};
  grpc::Status s = SubmitWith(Bearer(Sign(phone)), "12345-NOT-MINE");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("complaint.channel"));
  EXPECT_EQ(Tickets(), 0u);
}

TEST_F(AuthenticationTest, AHandlerCannotApproveItsOwnExtension) {
  // h-cd-wgy handles the ticket at 城东社区 and asks for more time.
  std::string id = SubmitAndRoute("12345-OWN-EXT");
  v1::Ticket t;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &t).ok());
  auto escalation = v1::EscalationService::NewStub(stack_.Channel());
  {
    grpc::ClientContext ctx;
    WithToken(&ctx, stack_.pki().Token("h-cd-wgy", kLead, {"handler"}));
    v1::RequestExtensionRequest req;
    *req.mutable_write() = TestClient::Write(t, "ext-own", "");
    req.mutable_write()->clear_actor();
    req.set_reason("需等待电梯配件到货");
    *req.mutable_requested_deadline() = ToProto(accepted_ + absl::Hours(100));
    v1::TicketActionResponse resp;
    ASSERT_TRUE(escalation->RequestExtension(&ctx, req, &resp).ok());
    t = resp.ticket();
  }
  auto decide = [&](const std::string& token, const std::string& request_id) {
    grpc::ClientContext ctx;
    WithToken(&ctx, token);
    v1::DecideExtensionRequest req;
    *req.mutable_write() = TestClient::Write(t, request_id, "");
    req.mutable_write()->clear_actor();
    req.set_extension_id(t.pending_extension().extension_id());
    req.set_approve(true);
    v1::TicketActionResponse resp;
    return escalation->DecideExtension(&ctx, req, &resp);
  };
  // As a handler: deciding is not a handler's.
  grpc::Status s = decide(stack_.pki().Token("h-cd-wgy", kLead, {"handler", "supervisor"}), "d1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("supervisor (below its unit)"));
  // Even holding the township's supervision as well, not their own request.
  s = decide(stack_.pki().Token("h-cd-wgy", "430923100", {"supervisor"}), "d2");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("requested this extension and may not decide it"));
  EXPECT_TRUE(client_->Get(id).has_pending_extension());
  EXPECT_EQ(client_->Get(id).version(), t.version());
  // The township's supervisor decides it.
  EXPECT_TRUE(decide(stack_.pki().Token("sup-dp", "430923100", {"supervisor"}), "d3").ok());
  EXPECT_FALSE(client_->Get(id).has_pending_extension());
}

TEST_F(AuthenticationTest, EveryEventsActorIsTheTokensSubject) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(SubmitWith(Bearer(Sign(Gateway())), "12345-ACTOR", &submitted).ok());
  const std::string id = submitted.ticket().ticket_id();
  auto routing = v1::RoutingService::NewStub(stack_.Channel());
  const std::string desk = stack_.pki().Token("desk-ah", "430923", {"dispatcher"});
  v1::Ticket t = client_->Get(id);
  // A dispatcher who names a colleague as the actor is refused.
  v1::RouteTicketRequest route;
  *route.mutable_write() = TestClient::Write(t, "route-actor", "desk-colleague");
  route.set_unit_code(kLead);
  route.set_department(v1::DEPARTMENT_HOUSING);
  v1::TicketActionResponse resp;
  grpc::ClientContext impersonating;
  WithToken(&impersonating, desk);
  grpc::Status s = routing->RouteTicket(&impersonating, route, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("write.actor.id"));
  // Naming nobody, or themself, the write is theirs.
  route.mutable_write()->clear_actor();
  grpc::ClientContext as_itself;
  WithToken(&as_itself, desk);
  ASSERT_TRUE(routing->RouteTicket(&as_itself, route, &resp).ok());
  std::vector<v1::TicketEvent> events = client_->Events(id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].actor().id(), "gw-12345");
  EXPECT_EQ(events[1].actor().id(), "desk-ah");
  EXPECT_EQ(events[1].actor().unit_code(), "430923");
}

TEST_F(AuthenticationTest, TheFullComplainantViewNeedsThePiiRoleAndAReasonAndIsLogged) {
  std::string id = SubmitAndRoute("12345-PII");
  auto intake = v1::IntakeService::NewStub(stack_.Channel());
  auto get = [&](const std::string& token, v1::ContactView view, const std::string& reason,
                 v1::GetTicketResponse* resp) {
    grpc::ClientContext ctx;
    WithToken(&ctx, token);
    v1::GetTicketRequest req;
    req.set_ticket_id(id);
    req.set_contact_view(view);
    req.set_pii_reason(reason);
    return intake->GetTicket(&ctx, req, resp);
  };
  const std::string handler = stack_.pki().Token("h-cd-wgy", kLead, {"handler"});
  const std::string with_pii = stack_.pki().Token("h-cd-wgy", kLead, {"handler", "pii"});
  v1::GetTicketResponse resp;
  // Masked by default, for every role.
  ASSERT_TRUE(get(with_pii, v1::CONTACT_VIEW_UNSPECIFIED, "", &resp).ok());
  EXPECT_EQ(resp.ticket().complaint().complainant().phone(), "138****5678");
  // The full view without the pii role.
  grpc::Status s = get(handler, v1::CONTACT_VIEW_FULL, "回电告知处理结果", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("pii"));
  // With it but without a reason.
  s = get(with_pii, v1::CONTACT_VIEW_FULL, "", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("pii_reason"));
  // With both: the number, and an entry in the access log.
  ASSERT_TRUE(get(with_pii, v1::CONTACT_VIEW_FULL, "回电告知处理结果", &resp).ok());
  EXPECT_EQ(resp.ticket().complaint().complainant().phone(), "13812345678");
  // The pii role does not reach past the caller's subtree.
  const std::string elsewhere = stack_.pki().Token("h-zy", "430902", {"handler", "pii"});
  EXPECT_EQ(get(elsewhere, v1::CONTACT_VIEW_FULL, "回电", &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const std::string admin = stack_.pki().Token("admin-1", "430900", {"admin"});
  grpc::ClientContext ctx;
  WithToken(&ctx, admin);
  v1::ListPersonalDataAccessResponse log;
  ASSERT_TRUE(
      intake->ListPersonalDataAccess(&ctx, v1::ListPersonalDataAccessRequest(), &log).ok());
  ASSERT_EQ(log.accesses_size(), 1);
  EXPECT_EQ(log.accesses(0).subject(), "h-cd-wgy");
  EXPECT_EQ(log.accesses(0).unit_code(), kLead);
  EXPECT_EQ(log.accesses(0).ticket_id(), id);
  EXPECT_EQ(log.accesses(0).reason(), "回电告知处理结果");
  EXPECT_EQ(log.accesses(0).method(), "IntakeService.GetTicket");
  EXPECT_TRUE(log.accesses(0).has_at());
  // Only admins read the log.
  grpc::ClientContext not_admin;
  WithToken(&not_admin, with_pii);
  EXPECT_EQ(intake->ListPersonalDataAccess(&not_admin, {}, &log).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthenticationTest, AFullViewListLogsEveryTicketItShows) {
  std::string a = SubmitAndRoute("12345-PII-A");
  std::string b = SubmitAndRoute("12345-PII-B");
  auto intake = v1::IntakeService::NewStub(stack_.Channel());
  grpc::ClientContext ctx;
  WithToken(&ctx, stack_.pki().Token("sup-cd", "430923100", {"supervisor", "pii"}));
  v1::ListTicketsRequest req;
  req.set_contact_view(v1::CONTACT_VIEW_FULL);
  req.set_pii_reason("月度回访");
  v1::ListTicketsResponse listed;
  ASSERT_TRUE(intake->ListTickets(&ctx, req, &listed).ok());
  ASSERT_EQ(listed.tickets_size(), 2);
  EXPECT_EQ(listed.tickets(0).complaint().complainant().phone(), "13812345678");

  grpc::ClientContext admin;
  WithToken(&admin, stack_.pki().Token("admin-1", "430900", {"admin"}));
  v1::ListPersonalDataAccessRequest by_subject;
  by_subject.set_subject("sup-cd");
  v1::ListPersonalDataAccessResponse log;
  ASSERT_TRUE(intake->ListPersonalDataAccess(&admin, by_subject, &log).ok());
  std::set<std::string> logged;
  for (const auto& e : log.accesses()) logged.insert(e.ticket_id());
  EXPECT_EQ(logged, (std::set<std::string>{a, b}));
}

}  // namespace
}  // namespace dispatch::auth

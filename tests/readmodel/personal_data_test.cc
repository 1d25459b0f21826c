// Personal data (services/readmodel/personal_data.h): a complainant's name, phone and address
// erased from the archive and Redis on a recorded request and after the retention, while the
// tickets, their history and the distinct-complainant key stay.
#include "services/readmodel/personal_data.h"

#include <fstream>
#include <string>
#include <vector>

#include "common/keys.h"
#include "tests/readmodel/read_model_fixture.h"

namespace dispatch::readmodel {
namespace {

using ::dispatch::testing::IsOk;
using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test-key";

class PersonalDataTest : public ReadModelFixture {
 protected:
  void SetUp() override {
    pii_secret_ = kSecret;
    ReadModelFixture::SetUp();
    eraser_redis_ = std::make_unique<redis::HiredisClient>(stack_.redis_options());
    eraser_pg_ = Open(live_conninfo_);
    Eraser::Options options;
    options.secret = kSecret;
    options.clock = &clock_;
    eraser_ = std::make_unique<Eraser>(eraser_redis_.get(), eraser_pg_.get(), options);
  }
  std::string StackConfig() override {
    key_file_ = stack_.pki().dir() + "/pii.key";
    std::ofstream(key_file_) << kSecret << "\n";
    return absl::StrCat("read_model { conninfo: '", live_conninfo_, "' pii_key_file: '",
                        key_file_, "' }");
  }

  grpc::Status Erase(v1::ErasePersonalDataRequest req, v1::ErasePersonalDataResponse* out,
                     const std::vector<std::string>& roles = {"admin"}) {
    grpc::ClientContext ctx;
    testing::WithToken(&ctx, stack_.pki().Token("dpo-1", "430900", roles));
    return client_->intake().ErasePersonalData(&ctx, req, out);
  }
  static v1::ErasePersonalDataRequest ByPhone(const std::string& phone, const std::string& id) {
    v1::ErasePersonalDataRequest req;
    req.set_request_id(id);
    req.set_phone(phone);
    req.set_reason("本人申请删除个人信息 (申请编号 PIPL-2026-001)");
    return req;
  }
  // The ticket as the archive stores it.
  v1::Ticket Archived(const std::string& id) {
    auto r = live_->Exec("SELECT ticket FROM tickets WHERE ticket_id = $1", {pg::Text(id)});
    EXPECT_THAT(r, IsOk());
    v1::Ticket t;
    if (r.ok() && r->rows() == 1) {
      EXPECT_TRUE(t.ParseFromString(r->Get(0, 0)));
    }
    return t;
  }
  v1::TicketEvent ArchivedAccepted(const std::string& id) {
    auto r = live_->Exec("SELECT event FROM ticket_events WHERE ticket_id = $1 AND type = "
                         "'accepted'",
                         {pg::Text(id)});
    EXPECT_THAT(r, IsOk());
    v1::TicketEvent e;
    if (r.ok() && r->rows() == 1) {
      EXPECT_TRUE(e.ParseFromString(r->Get(0, 0)));
    }
    return e;
  }
  static void ExpectErased(const v1::Complaint& c) {
    EXPECT_EQ(c.complainant().name(), "");
    EXPECT_EQ(c.complainant().phone(), "");
    EXPECT_TRUE(c.complainant().has_erased_at());
    EXPECT_EQ(c.location().address(), "");
  }

  std::string key_file_;
  std::unique_ptr<redis::HiredisClient> eraser_redis_;
  std::unique_ptr<pg::Connection> eraser_pg_;
  std::unique_ptr<Eraser> eraser_;
};

TEST_F(PersonalDataTest, ErasureByPhoneEmptiesEveryTicketOfTheComplainantAndKeepsTheRest) {
  const v1::SubmitComplaintRequest sample = testing::HotlineComplaint("12345-PD1");
  const std::string phone = sample.complaint().complainant().phone();
  const std::string first = SubmitAndRoute("12345-PD1");
  const std::string second = SubmitAndRoute("12345-PD2");  // the same complainant
  auto other_req = testing::HotlineComplaint("12345-PD3");
  other_req.mutable_complaint()->mutable_complainant()->set_phone("13900001111");
  const std::string other = client_->Submit(other_req);
  Drain(*projector_);
  const std::string key = ComplainantKey(kSecret, phone);
  EXPECT_EQ(Text(*live_, absl::StrCat("SELECT count(DISTINCT complainant_key) FROM tickets")), "2");

  v1::ErasePersonalDataResponse out;
  grpc::Status s = Erase(ByPhone(phone, "pd-1"), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.erased(), 2);
  EXPECT_EQ(out.pending(), 0);
  for (const std::string& id : {first, second}) {
    const v1::Ticket archived = Archived(id);
    ExpectErased(archived.complaint());
    EXPECT_EQ(archived.complaint().description(), sample.complaint().description());
    EXPECT_EQ(archived.complaint().location().estate_name(),
              sample.complaint().location().estate_name());
    EXPECT_EQ(ArchivedAccepted(id).accepted().location().address(), "");
    // Redis too: the ticket as the API reads it.
    ExpectErased(client_->Get(id).complaint());
    // The key stays: the complainant still counts, once.
    EXPECT_EQ(Text(*live_, absl::StrCat("SELECT complainant_key FROM tickets WHERE ticket_id = '",
                                        id, "'")),
              key);
  }
  EXPECT_EQ(Archived(other).complaint().complainant().phone(), "13900001111");
  EXPECT_FALSE(client_->Get(other).complaint().complainant().has_erased_at());
  EXPECT_EQ(Text(*live_, "SELECT count(DISTINCT complainant_key) FROM tickets"), "2");

  // Later writes and projections keep it erased, and the history is whole.
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(first), "h-cd-wgy", &t).ok());
  Drain(*projector_);
  ExpectErased(Archived(first).complaint());
  EXPECT_EQ(client_->History(first).size(), 3u);

  // The same request again answers the same erasure.
  v1::ErasePersonalDataResponse again;
  ASSERT_TRUE(Erase(ByPhone(phone, "pd-1"), &again).ok());
  EXPECT_EQ(again.erasure_id(), out.erasure_id());
  EXPECT_EQ(Text(*live_, "SELECT count(*) FROM erasure_requests WHERE completed_at IS NOT NULL"),
            "1");
}

TEST_F(PersonalDataTest, AnErasureWaitsUntilEveryConsumerHasTakenInTheAcceptedEvent) {
  const std::string id = SubmitAndRoute("12345-PD4");
  const int shard = *keys::ShardOfTicketId(id);
  Drain(*projector_);
  // A consumer group that has not read the complaint's entry yet.
  ASSERT_THAT(stack_.redis().ExecuteSync({"XGROUP", "CREATE", keys::Events(shard), "late", "0"}),
              IsOk());
  v1::ErasePersonalDataRequest req;
  req.set_request_id("pd-2");
  req.set_ticket_id(id);
  req.set_reason("本人申请");
  v1::ErasePersonalDataResponse out;
  ASSERT_TRUE(Erase(req, &out).ok());
  EXPECT_EQ(out.erased(), 0);
  EXPECT_EQ(out.pending(), 1);
  EXPECT_FALSE(Archived(id).complaint().complainant().has_erased_at()) << "nothing changed yet";
  EXPECT_FALSE(client_->Get(id).complaint().complainant().has_erased_at());

  // The group takes it in: the archiver's pass finishes the request.
  auto read = stack_.redis().ExecuteSync(
      {"XREADGROUP", "GROUP", "late", "c", "STREAMS", keys::Events(shard), ">"});
  ASSERT_THAT(read, IsOk());
  for (const redis::Reply& e : read->elements[0].elements[1].elements) {
    ASSERT_THAT(stack_.redis().ExecuteSync({"XACK", keys::Events(shard), "late", e.elements[0].str}),
                IsOk());
  }
  auto erased = eraser_->RunOnce();
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(*erased, 1);
  ExpectErased(Archived(id).complaint());
  ExpectErased(client_->Get(id).complaint());
  EXPECT_EQ(Text(*live_, "SELECT completed_at IS NOT NULL FROM erasure_requests"), "t");
}

TEST_F(PersonalDataTest, TicketsPastThePersonalDataRetentionAreErasedByThemselves) {
  const std::string id = SubmitAndRoute("12345-PD5");
  Drain(*projector_);
  clock_.Advance(absl::Hours(24 * 365 * 3) - absl::Hours(24));
  ASSERT_THAT(eraser_->RunOnce(), testing::IsOkAndHolds(0));
  clock_.Advance(absl::Hours(48));
  ASSERT_THAT(eraser_->RunOnce(), testing::IsOkAndHolds(1));
  ExpectErased(Archived(id).complaint());
}

TEST_F(PersonalDataTest, AnErasureNamesWhatIsMissingOrWrong) {
  v1::ErasePersonalDataResponse out;
  v1::ErasePersonalDataRequest req = ByPhone("13800138000", "pd-3");
  req.clear_reason();
  grpc::Status s = Erase(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
  req = ByPhone("13800138000", "pd-3");
  req.set_ticket_id("T20261123-001-AAAAAAAA");
  s = Erase(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("exactly one"));
  s = Erase(ByPhone("13800138000", "pd-4"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = Erase(ByPhone("13800138000", "pd-5"), &out, {"handler"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace dispatch::readmodel

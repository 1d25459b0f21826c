// The stored form of a TicketAccepted (common/event_entry.h): stored next to its complaint it
// leaves out what the complaint and the event say already, and decoding gives back exactly the
// event intake built, whatever the policy; when leaving something out would change the event,
// the event is stored whole.
#include "common/event_entry.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/status_matchers.h"
#include "common/testing/time.h"
#include "common/ticket_store.h"
#include "gtest/gtest.h"
#include "services/escalation/sla_policy.h"
#include "services/escalation/work_calendar.h"
#include "tests/testing/calendar.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::Shanghai;

constexpr char kId[] = "T20261123-007-AAAAAAAA";

redis::Reply Str(std::string s) {
  redis::Reply r;
  r.type = redis::Reply::Type::kString;
  r.str = std::move(s);
  return r;
}

// One XRANGE element: [id, [field, value, ...]].
redis::Reply Entry(const std::vector<std::string>& field_values) {
  redis::Reply fields;
  fields.type = redis::Reply::Type::kArray;
  for (const std::string& s : field_values) fields.elements.push_back(Str(s));
  redis::Reply entry;
  entry.type = redis::Reply::Type::kArray;
  entry.elements.push_back(Str("1795410994983-0"));
  entry.elements.push_back(std::move(fields));
  return entry;
}

// As submit.lua writes it: [id, [type, accepted, ticket, <id>, <pc|pb>, <event>, c,
// <complaint>]].
redis::Reply AcceptedEntry(const StoredEvent& stored, const std::string& complaint) {
  return Entry({"type", "accepted", "ticket", kId, stored.field, stored.bytes, "c", complaint});
}

// The ticket intake builds for `complaint` accepted at `at` under `policy`.
v1::Ticket Accepted(const SlaPolicy& policy, const v1::Complaint& complaint, absl::Time at) {
  v1::Ticket t;
  t.set_ticket_id(kId);
  t.set_version(1);
  t.set_priority(SlaPolicy::EffectivePriority(complaint.category(), complaint.priority()));
  *t.mutable_accepted_at() = ToProto(at);
  t.set_sla_policy_version(policy.version());
  for (v1::SlaClock& c : policy.ClocksFor(complaint.category(), complaint.priority(), at)) {
    *t.add_clocks() = std::move(c);
  }
  return t;
}

v1::TicketEvent WithIds(v1::TicketEvent e) {
  e.set_ticket_id(kId);
  e.set_event_id(std::string(kId) + ":1:accepted");
  return e;
}

// Stores `e` with `complaint`, decodes it, and checks it comes back byte for byte.
StoredEvent ExpectRoundTrip(const v1::TicketEvent& e, const v1::Complaint& complaint) {
  StoredEvent stored = StoredAcceptedEvent(e, complaint);
  absl::StatusOr<EventEntry> decoded =
      DecodeEventEntry(AcceptedEntry(stored, complaint.SerializeAsString()));
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (decoded.ok()) {
    EXPECT_EQ(decoded->event.SerializeAsString(), WithIds(e).SerializeAsString())
        << decoded->event.DebugString() << "\nwant\n" << e.DebugString();
  }
  return stored;
}

TEST(StoredAcceptedEvent, AHotlineComplaintsEventIsStoredCompactAndDecodesToTheEventIntakeBuilt) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  v1::TicketEvent e =
      AcceptedEvent(Accepted(SlaPolicy::Default(), complaint, Shanghai(2026, 11, 23, 9, 0)),
                    complaint);
  StoredEvent stored = ExpectRoundTrip(e, complaint);
  EXPECT_EQ(stored.field, "pc");
  // What the complaint repeats is not stored twice: the compact event is under half the whole.
  EXPECT_LT(stored.bytes.size() * 2, e.SerializeAsString().size()) << stored.bytes.size();
}

TEST(StoredAcceptedEvent, EmergencyAndWorkingDayClocksComeBackAsTheyWere) {
  v1::Complaint emergency = testing::HotlineComplaint("WO-2").complaint();
  emergency.set_priority(v1::PRIORITY_EMERGENCY);
  absl::Time at = absl::FromUnixMillis(1795409794931);  // an odd millisecond
  EXPECT_EQ(ExpectRoundTrip(AcceptedEvent(Accepted(SlaPolicy::Default(), emergency, at),
                                          emergency),
                            emergency)
                .field,
            "pc");

  config::v1::SlaPolicy working;
  working.mutable_defaults()->set_resolve_day_basis(v1::DAY_BASIS_WORKING);
  working.mutable_defaults()->set_resolve_working_days(3);
  auto policy = SlaPolicy::FromConfig(working, testing::ShippedCalendar({2026}), testing::ShanghaiZone());
  ASSERT_THAT(policy, IsOk());
  v1::Complaint c = testing::HotlineComplaint("WO-3").complaint();
  // 17:50 on the eve of National Day: the resolve deadline is not start + any duration.
  v1::TicketEvent e = AcceptedEvent(Accepted(*policy, c, Shanghai(2026, 9, 30, 17, 50)), c);
  ASSERT_EQ(e.accepted().clocks(2).day_basis(), v1::DAY_BASIS_WORKING);
  EXPECT_EQ(ExpectRoundTrip(e, c).field, "pc");
}

TEST(StoredAcceptedEvent, PartsThatDifferFromTheComplaintOrTheRuleAreKept) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  v1::TicketEvent e = AcceptedEvent(
      Accepted(SlaPolicy::Default(), complaint, Shanghai(2026, 11, 23, 9, 0)), complaint);
  e.mutable_actor()->set_id("dispatcher:d7");                    // not the channel
  e.mutable_accepted()->set_channel_work_order_id("WO-other");   // not the complaint's
  e.mutable_accepted()->set_category(v1::CATEGORY_FIRE_SAFETY);  // reclassified
  e.mutable_accepted()->mutable_location()->set_address("elsewhere");
  v1::SlaClock* assign = e.mutable_accepted()->mutable_clocks(0);
  *assign->mutable_deadline() = ToProto(FromProto(assign->deadline()) + absl::Minutes(1));
  *e.mutable_accepted()->mutable_clocks(1)->mutable_started_at() =
      ToProto(FromProto(e.occurred_at()) + absl::Milliseconds(1));
  EXPECT_EQ(ExpectRoundTrip(e, complaint).field, "pc");
}

TEST(StoredAcceptedEvent, AnEventMissingWhatTheComplaintHasIsStoredWhole) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  const v1::TicketEvent intake = AcceptedEvent(
      Accepted(SlaPolicy::Default(), complaint, Shanghai(2026, 11, 23, 9, 0)), complaint);
  // Each of these would come back filled in from the complaint or the rule if left out.
  std::vector<std::pair<std::string, std::function<void(v1::TicketEvent*)>>> cases = {
      {"no actor", [](v1::TicketEvent* e) { e->clear_actor(); }},
      {"no work order", [](v1::TicketEvent* e) {
         e->mutable_accepted()->clear_channel_work_order_id();
       }},
      {"no category", [](v1::TicketEvent* e) { e->mutable_accepted()->clear_category(); }},
      {"no channel", [](v1::TicketEvent* e) { e->mutable_accepted()->clear_channel(); }},
      {"no location", [](v1::TicketEvent* e) { e->mutable_accepted()->clear_location(); }},
      {"a clock without a start", [](v1::TicketEvent* e) {
         e->mutable_accepted()->mutable_clocks(0)->clear_started_at();
       }},
      {"a clock without a deadline", [](v1::TicketEvent* e) {
         e->mutable_accepted()->mutable_clocks(1)->clear_deadline();
       }},
  };
  for (const auto& [what, change] : cases) {
    SCOPED_TRACE(what);
    v1::TicketEvent e = intake;
    change(&e);
    EXPECT_EQ(ExpectRoundTrip(e, complaint).field, "pb");
  }
}

TEST(StoredAcceptedEvent, AComplaintWithoutLocationIsNotConfusedWithAnEmptyOne) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  complaint.clear_location();
  v1::TicketEvent e = AcceptedEvent(
      Accepted(SlaPolicy::Default(), complaint, Shanghai(2026, 11, 23, 9, 0)), complaint);
  ASSERT_TRUE(e.accepted().has_location());  // intake sets an empty one
  ExpectRoundTrip(e, complaint);
  e.mutable_accepted()->clear_location();
  ExpectRoundTrip(e, complaint);
}

TEST(StoredAcceptedEvent, ACompactEventWithADamagedComplaintIsDataLoss) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  StoredEvent stored = StoredAcceptedEvent(
      AcceptedEvent(Accepted(SlaPolicy::Default(), complaint, Shanghai(2026, 11, 23, 9, 0)),
                    complaint),
      complaint);
  ASSERT_EQ(stored.field, "pc");
  absl::StatusOr<EventEntry> decoded = DecodeEventEntry(AcceptedEntry(stored, "\xff\xff"));
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dispatch

namespace dispatch {
namespace {

// The timer engine's compact form: [id, [type, <t>, ticket, <id>, e, <e>]].
redis::Reply CompactEntry(const std::string& type, const std::string& e) {
  return Entry({"type", type, "ticket", kId, "e", e});
}

TEST(CompactEvents, APlacementOnTheDeskIsARoutedEventNeedingManualRouting) {
  auto e = DecodeEventEntry(CompactEntry("routed", "4|1795411000000|0|1795411000000|3|org-1|430923"));
  ASSERT_THAT(e, IsOk());
  const v1::TicketEvent& ev = e->event;
  EXPECT_EQ(ev.ticket_version(), 4);
  EXPECT_EQ(ev.event_id(), std::string(kId) + ":4:routed");
  EXPECT_EQ(ev.actor().id(), "system");
  EXPECT_EQ(ev.routed().unit_code(), "430923");
  EXPECT_EQ(ev.routed().org_version(), "org-1");
  EXPECT_TRUE(ev.routed().needs_manual_routing());
  ASSERT_EQ(ev.routed().handlings_size(), 1);
  EXPECT_EQ(ev.routed().handlings(0).department(), v1::DEPARTMENT_MARKET_SUPERVISION);
  EXPECT_EQ(ev.routed().handlings(0).role(), v1::HANDLING_ROLE_LEAD);
}

TEST(CompactEvents, ALapsedAssignmentNamesTheHandlerAndTheDeadline) {
  auto e = DecodeEventEntry(
      CompactEntry("sign_for_lapsed", "6|1795411000000|1|1795410900000|h-cd-wgy"));
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->event.sign_for_lapsed().assignee().id(), "h-cd-wgy");
  EXPECT_EQ(ToUnixMs(e->event.sign_for_lapsed().sign_for_deadline()), 1795410900000);
}

}  // namespace
}  // namespace dispatch

// The stored form of events (common/event_entry.h): what is left out when stored comes back
// exactly on decoding, and only what can come back exactly is left out.
#include "common/event_entry.h"

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "common/testing/sample_complaint.h"
#include "common/ticket_store.h"
#include "gtest/gtest.h"

namespace dispatch {
namespace {

redis::Reply Str(std::string s) {
  redis::Reply r;
  r.type = redis::Reply::Type::kString;
  r.str = std::move(s);
  return r;
}

// One XRANGE element: [id, [type, accepted, ticket, <id>, pb, <stored>, c, <complaint>]].
redis::Reply AcceptedEntry(const std::string& ticket_id, const std::string& pb,
                           const std::string& complaint) {
  redis::Reply fields;
  fields.type = redis::Reply::Type::kArray;
  for (const std::string& s : {std::string("type"), std::string("accepted"),
                               std::string("ticket"), ticket_id, std::string("pb"), pb,
                               std::string("c"), complaint}) {
    fields.elements.push_back(Str(s));
  }
  redis::Reply entry;
  entry.type = redis::Reply::Type::kArray;
  entry.elements.push_back(Str("1795410994983-0"));
  entry.elements.push_back(std::move(fields));
  return entry;
}

const char kId[] = "T20261123-007-AAAAAAAA";

// A ticket as intake accepts it: three clocks from acceptance, the last on working days.
v1::Ticket AcceptedTicket() {
  const absl::Time accepted = absl::FromUnixMillis(1795409794931);
  v1::Ticket t;
  t.set_ticket_id(kId);
  t.set_version(1);
  t.set_priority(v1::PRIORITY_NORMAL);
  *t.mutable_accepted_at() = ToProto(accepted);
  t.set_sla_policy_version("default-333");
  int kind = v1::CLOCK_KIND_ASSIGN;
  for (absl::Duration target : {absl::Minutes(30), absl::Hours(3)}) {
    v1::SlaClock* c = t.add_clocks();
    c->set_kind(static_cast<v1::ClockKind>(kind++));
    *c->mutable_target() = ToProto(target);
    c->set_day_basis(v1::DAY_BASIS_CALENDAR);
    c->set_round(1);
    c->add_warn_percent(50);
    *c->mutable_started_at() = ToProto(accepted);
    *c->mutable_deadline() = ToProto(accepted + target);
  }
  v1::SlaClock* resolve = t.add_clocks();
  resolve->set_kind(v1::CLOCK_KIND_RESOLVE);
  resolve->set_target_working_days(3);
  resolve->set_day_basis(v1::DAY_BASIS_WORKING);
  resolve->set_round(1);
  *resolve->mutable_started_at() = ToProto(accepted);
  *resolve->mutable_deadline() = ToProto(accepted + absl::Hours(24 * 5 + 3));
  return t;
}

v1::TicketEvent RoundTrip(const v1::TicketEvent& e, const v1::Complaint& complaint,
                          std::string* stored = nullptr) {
  std::string pb = StoredEventBytes(e, &complaint);
  if (stored != nullptr) *stored = pb;
  absl::StatusOr<EventEntry> decoded =
      DecodeEventEntry(AcceptedEntry(kId, pb, complaint.SerializeAsString()));
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.ok() ? decoded->event : v1::TicketEvent();
}

v1::TicketEvent WithIds(v1::TicketEvent e) {
  e.set_ticket_id(kId);
  e.set_event_id(std::string(kId) + ":1:accepted");
  return e;
}

TEST(EventEntry, TheAcceptedEventStoredWithItsComplaintDecodesToTheEventIntakeBuilt) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  v1::TicketEvent e = AcceptedEvent(AcceptedTicket(), complaint);
  std::string stored;
  v1::TicketEvent back = RoundTrip(e, complaint, &stored);
  EXPECT_EQ(back.SerializeAsString(), WithIds(e).SerializeAsString())
      << back.DebugString() << "\nwant\n" << e.DebugString();
  // What the complaint repeats is not stored twice: the stored event is under half the full one.
  EXPECT_LT(stored.size() * 2, e.SerializeAsString().size()) << stored.size();
}

TEST(EventEntry, WhatDiffersFromTheComplaintOrFromTheRuleIsStoredAsItIs) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  v1::TicketEvent e = AcceptedEvent(AcceptedTicket(), complaint);
  e.mutable_actor()->set_id("dispatcher:d7");                     // not the channel
  e.mutable_accepted()->set_channel_work_order_id("WO-other");    // not the complaint's
  e.mutable_accepted()->set_category(v1::CATEGORY_FIRE_SAFETY);   // reclassified
  e.mutable_accepted()->mutable_location()->set_address("elsewhere");
  v1::SlaClock* assign = e.mutable_accepted()->mutable_clocks(0);
  *assign->mutable_deadline() = ToProto(FromProto(assign->deadline()) + absl::Minutes(1));
  *e.mutable_accepted()->mutable_clocks(1)->mutable_started_at() =
      ToProto(FromProto(e.occurred_at()) + absl::Milliseconds(1));
  EXPECT_EQ(RoundTrip(e, complaint).SerializeAsString(), WithIds(e).SerializeAsString());
}

TEST(EventEntry, AnEmptyLocationIsNotConfusedWithNone) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  complaint.clear_location();
  v1::TicketEvent e = AcceptedEvent(AcceptedTicket(), complaint);
  ASSERT_TRUE(e.accepted().has_location());
  EXPECT_EQ(RoundTrip(e, complaint).SerializeAsString(), WithIds(e).SerializeAsString());
  e.mutable_accepted()->clear_location();
  EXPECT_EQ(RoundTrip(e, complaint).SerializeAsString(), WithIds(e).SerializeAsString());
}

TEST(EventEntry, AComplaintThatCannotBeParsedIsDataLoss) {
  v1::Complaint complaint = testing::HotlineComplaint("WO-1").complaint();
  std::string pb = StoredEventBytes(AcceptedEvent(AcceptedTicket(), complaint), &complaint);
  absl::StatusOr<EventEntry> decoded = DecodeEventEntry(AcceptedEntry(kId, pb, "\xff\xff"));
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dispatch

#include "common/event_entry.h"

#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/keys.h"
#include "common/proto_time.h"

namespace dispatch {

namespace {

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// What a calendar clock's deadline is when nothing moved it: start + target.
std::optional<google::protobuf::Timestamp> PlainDeadline(const v1::SlaClock& c) {
  if (!c.has_target() || !c.has_started_at()) return std::nullopt;
  return ToProto(FromProto(c.started_at()) + FromProto(c.target()));
}

// Leaves out of a TicketAccepted what `complaint` and the event already say; RestoreAccepted
// puts back exactly that.
void StripAccepted(const v1::Complaint& complaint, v1::TicketEvent* e) {
  if (e->actor().id() == ChannelActorId(complaint.channel()) &&
      e->actor().display_name().empty() && e->actor().unit_code().empty()) {
    e->clear_actor();
  }
  v1::TicketAccepted* a = e->mutable_accepted();
  if (a->channel() == complaint.channel()) a->clear_channel();
  if (a->channel_work_order_id() == complaint.channel_work_order_id()) {
    a->clear_channel_work_order_id();
  }
  if (a->category() == complaint.category()) a->clear_category();
  if (a->has_location() == complaint.has_location() &&
      SameMessage(a->location(), complaint.location())) {
    a->clear_location();
  }
  for (v1::SlaClock& c : *a->mutable_clocks()) {
    std::optional<google::protobuf::Timestamp> plain = PlainDeadline(c);
    if (plain && c.has_deadline() && SameMessage(*plain, c.deadline())) c.clear_deadline();
    if (c.has_started_at() && e->has_occurred_at() &&
        SameMessage(c.started_at(), e->occurred_at())) {
      c.clear_started_at();
    }
  }
}

void RestoreAccepted(const v1::Complaint& complaint, v1::TicketEvent* e) {
  if (!e->has_actor()) e->mutable_actor()->set_id(ChannelActorId(complaint.channel()));
  v1::TicketAccepted* a = e->mutable_accepted();
  if (a->channel() == v1::CHANNEL_UNSPECIFIED) a->set_channel(complaint.channel());
  if (a->channel_work_order_id().empty()) {
    a->set_channel_work_order_id(complaint.channel_work_order_id());
  }
  if (a->category() == v1::CATEGORY_UNSPECIFIED) a->set_category(complaint.category());
  if (!a->has_location() && complaint.has_location()) {
    *a->mutable_location() = complaint.location();
  }
  for (v1::SlaClock& c : *a->mutable_clocks()) {
    if (!c.has_started_at() && e->has_occurred_at()) *c.mutable_started_at() = e->occurred_at();
    if (!c.has_deadline()) {
      if (std::optional<google::protobuf::Timestamp> plain = PlainDeadline(c)) {
        *c.mutable_deadline() = *plain;
      }
    }
  }
}

}  // namespace

std::string ChannelActorId(v1::Channel channel) {
  return absl::StrCat("channel:", v1::Channel_Name(channel));
}

std::string StoredEventBytes(const v1::TicketEvent& event) {
  if (event.ticket_id().empty() && event.event_id().empty()) return event.SerializeAsString();
  v1::TicketEvent stored = event;
  stored.clear_ticket_id();
  stored.clear_event_id();
  return stored.SerializeAsString();
}

StoredEvent StoredAcceptedEvent(const v1::TicketEvent& event, const v1::Complaint& complaint) {
  v1::TicketEvent whole = event;
  whole.clear_ticket_id();
  whole.clear_event_id();
  std::string whole_bytes = whole.SerializeAsString();
  v1::TicketEvent compact = whole;
  StripAccepted(complaint, &compact);
  std::string compact_bytes = compact.SerializeAsString();
  v1::TicketEvent rebuilt = std::move(compact);
  RestoreAccepted(complaint, &rebuilt);
  if (rebuilt.SerializeAsString() != whole_bytes) return {"pb", std::move(whole_bytes)};
  return {"pc", std::move(compact_bytes)};
}

absl::StatusOr<std::vector<std::string>> EventStreamEnds(redis::Client* redis) {
  std::vector<std::vector<std::string>> reads;
  for (int s = 0; s < keys::kShardCount; ++s) {
    reads.push_back({"XREVRANGE", keys::Events(s), "+", "-", "COUNT", "1"});
  }
  std::vector<std::string> ends;
  for (absl::StatusOr<redis::Reply>& r : redis->ExecuteAllSync(std::move(reads))) {
    if (!r.ok()) return r.status();
    ends.push_back(r->elements.empty() ? "0-0" : r->elements[0].elements[0].str);
  }
  return ends;
}

absl::Status CreateEventGroups(redis::Client* redis, const char* group) {
  std::vector<std::vector<std::string>> commands;
  for (int s = 0; s < keys::kShardCount; ++s) {
    commands.push_back({"XGROUP", "CREATE", keys::Events(s), group, "0", "MKSTREAM"});
  }
  for (auto& r : redis->ExecuteAllSync(std::move(commands))) {
    if (!r.ok() && !absl::StrContains(r.status().message(), "BUSYGROUP")) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ClaimIdleEvents(redis::Client* redis, const char* group,
                                    const std::string& consumer, absl::Duration min_idle,
                                    int count) {
  std::vector<std::vector<std::string>> commands;
  for (int s = 0; s < keys::kShardCount; ++s) {
    commands.push_back({"XAUTOCLAIM", keys::Events(s), group, consumer,
                        std::to_string(absl::ToInt64Milliseconds(min_idle)), "0", "COUNT",
                        std::to_string(count), "JUSTID"});
  }
  int claimed = 0;
  for (auto& r : redis->ExecuteAllSync(std::move(commands))) {
    if (!r.ok()) return r.status();
    // [next start id, [claimed ids...], [deleted ids...]]
    if (r->is_array() && r->elements.size() >= 2) {
      claimed += static_cast<int>(r->elements[1].elements.size());
    }
  }
  return claimed;
}

std::vector<std::string> ReadEventGroupCommand(const char* group, const std::string& consumer,
                                               int count, absl::Duration block,
                                               const std::string& from_id) {
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", group, consumer, "COUNT",
                                   std::to_string(count)};
  if (block > absl::ZeroDuration()) {
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(absl::ToInt64Milliseconds(block)));
  }
  argv.push_back("STREAMS");
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(keys::Events(s));
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(from_id);
  return argv;
}

namespace {

std::string EntryField(const redis::Reply& entry, absl::string_view name) {
  if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array()) return "";
  const auto& fields = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == name) return fields[i + 1].str;
  }
  return "";
}

}  // namespace

std::string EntryType(const redis::Reply& entry) { return EntryField(entry, "type"); }

std::string EntryTicket(const redis::Reply& entry) { return EntryField(entry, "ticket"); }

absl::StatusOr<EventEntry> DecodeEventEntry(const redis::Reply& entry) {
  auto corrupt = [](const std::string& why) {
    return absl::DataLossError(absl::StrCat("event entry: ", why));
  };
  if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array()) {
    return corrupt("not [id, fields]");
  }
  EventEntry out;
  out.entry_id = entry.elements[0].str;
  std::map<std::string, const std::string*> f;
  const auto& fields = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) f[fields[i].str] = &fields[i + 1].str;
  auto str = [&](const char* name) -> const std::string& {
    static const std::string* const empty = new std::string;
    auto it = f.find(name);
    return it == f.end() ? *empty : *it->second;
  };
  bool ok = true;
  out.type = str("type");
  out.ticket_id = str("ticket");
  v1::TicketEvent& e = out.event;
  // Both forms leave out the ids the entry already says.
  auto add_ids = [&] {
    if (e.ticket_id().empty()) e.set_ticket_id(out.ticket_id);
    if (e.event_id().empty()) {
      e.set_event_id(absl::StrCat(out.ticket_id, ":", e.ticket_version(), ":", out.type));
    }
  };
  if (f.count("pb")) {
    if (!e.ParseFromString(str("pb"))) return corrupt(absl::StrCat(out.entry_id, ": bad pb"));
    add_ids();
    return out;
  }
  if (f.count("pc")) {  // a TicketAccepted without what its complaint `c` says
    v1::Complaint complaint;
    if (!e.ParseFromString(str("pc")) || !e.has_accepted() || !f.count("c") ||
        !complaint.ParseFromString(str("c"))) {
      return corrupt(absl::StrCat(out.entry_id, ": bad compact TicketAccepted or complaint"));
    }
    add_ids();
    RestoreAccepted(complaint, &e);
    return out;
  }
  // The timer engine's compact form: e = "<version>|<at>|<clock>|<due>|<per type...>".
  // At most 8 parts: the last one (a breach's unit code) may itself contain '|'.
  std::vector<std::string> v = absl::StrSplit(str("e"), absl::MaxSplits('|', 7));
  auto num = [&](size_t i) -> int64_t {
    int64_t x = 0;
    if (i >= v.size() || !absl::SimpleAtoi(v[i], &x)) ok = false;
    return x;
  };
  auto text = [&](size_t i) -> std::string {
    if (i >= v.size()) ok = false;
    return i < v.size() ? v[i] : "";
  };
  e.set_ticket_version(num(0));
  add_ids();
  *e.mutable_occurred_at() = TimestampFromUnixMs(num(1));
  e.mutable_actor()->set_id("system");
  auto clock = static_cast<v1::ClockKind>(num(2));
  google::protobuf::Timestamp due = TimestampFromUnixMs(num(3));
  if (out.type == "warned") {
    v1::ClockWarning* w = e.mutable_warned();
    w->set_clock(clock);
    w->set_percent_elapsed(static_cast<int32_t>(num(4)));
    *w->mutable_deadline() = due;
  } else if (out.type == "breached") {
    v1::ClockBreached* b = e.mutable_breached();
    b->set_clock(clock);
    b->set_tier(static_cast<v1::Tier>(num(4)));
    *b->mutable_deadline() = due;
    *b->mutable_breached_by() = ToProto(absl::Milliseconds(num(5)));
    b->set_met_late(num(6) == 1);
    b->set_unit_code(text(7));
  } else if (out.type == "routed") {
    // Routing did not place the ticket within its grace: the timer engine put it on its desk.
    e.set_reason("routing did not place the ticket within the routing grace: dispatch desk");
    v1::TicketRouted* r = e.mutable_routed();
    const std::string unit = text(6);
    r->set_unit_code(unit);
    r->set_org_version(text(5));
    r->set_needs_manual_routing(true);
    v1::Handling* lead = r->add_handlings();
    lead->set_unit_code(unit);
    lead->set_department(static_cast<v1::Department>(num(4)));
    lead->set_role(v1::HANDLING_ROLE_LEAD);
  } else if (out.type == "sign_for_lapsed") {
    v1::SignForLapsed* l = e.mutable_sign_for_lapsed();
    l->mutable_assignee()->set_id(text(4));
    *l->mutable_sign_for_deadline() = due;
  } else if (out.type == "escalated") {
    v1::TicketEscalated* x = e.mutable_escalated();
    x->set_from_tier(static_cast<v1::Tier>(num(4)));
    x->set_to_tier(static_cast<v1::Tier>(num(5)));
    x->set_missed_clock(clock);
    *x->mutable_supervision_deadline() = due;
  } else {
    return corrupt(absl::StrCat(out.entry_id, ": type ", out.type, " without pb"));
  }
  if (!ok) return corrupt(absl::StrCat(out.entry_id, ": a number field is malformed"));
  return out;
}

}  // namespace dispatch

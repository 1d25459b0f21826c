#include "services/escalation/sla_policy.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/proto_time.h"

namespace dispatch {
namespace {

bool IsSet(const google::protobuf::Duration& d) { return !IsZero(d); }

absl::StatusOr<SlaPolicy::Targets> Merge(const config::v1::ClockTargets& c,
                                         const SlaPolicy::Targets& base,
                                         const std::string& field, bool have_calendar) {
  SlaPolicy::Targets t = base;
  if (IsSet(c.assign())) t.assign = FromProto(c.assign());
  if (IsSet(c.preliminary())) t.preliminary = FromProto(c.preliminary());
  if (IsSet(c.resolve())) t.resolve = FromProto(c.resolve());
  if (c.resolve_day_basis() != v1::DAY_BASIS_UNSPECIFIED) t.resolve_day_basis = c.resolve_day_basis();
  if (c.resolve_working_days() != 0) t.resolve_working_days = c.resolve_working_days();
  if (IsSet(c.sign_for())) t.sign_for = FromProto(c.sign_for());
  for (auto [name, d] : {std::pair{"assign", t.assign}, std::pair{"preliminary", t.preliminary},
                         std::pair{"resolve", t.resolve}, std::pair{"sign_for", t.sign_for}}) {
    if (d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".", name, ": must be positive"));
    }
  }
  if (c.resolve_working_days() != 0 && t.resolve_day_basis != v1::DAY_BASIS_WORKING) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".resolve_working_days: needs resolve_day_basis DAY_BASIS_WORKING"));
  }
  if (t.resolve_day_basis == v1::DAY_BASIS_WORKING) {
    if (!have_calendar) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".resolve_day_basis: DAY_BASIS_WORKING needs the statutory working-day calendar "
                 "(calendar_dir, e.g. deploy/calendar)"));
    }
    if (t.resolve_working_days <= 0 || t.resolve_working_days > 60) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".resolve_working_days: 1-60 with DAY_BASIS_WORKING"));
    }
    if (!(t.assign <= t.preliminary)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": targets must satisfy assign <= preliminary"));
    }
    return t;
  }
  if (!(t.assign <= t.preliminary && t.preliminary <= t.resolve)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": targets must satisfy assign <= preliminary <= resolve"));
  }
  return t;
}

}  // namespace

SlaPolicy SlaPolicy::Default() {
  SlaPolicy p;
  p.version_ = "default-333";
  p.defaults_ = {absl::Minutes(30), absl::Hours(3), absl::Hours(72), v1::DAY_BASIS_CALENDAR, 0,
                 absl::Minutes(10)};
  p.emergency_ = {absl::Minutes(10), absl::Hours(1), absl::Hours(24), v1::DAY_BASIS_CALENDAR, 0,
                  absl::Minutes(5)};
  p.warn_percents_ = {50, 80};
  return p;
}

absl::StatusOr<SlaPolicy> SlaPolicy::FromConfig(const config::v1::SlaPolicy& c,
                                                std::shared_ptr<const WorkCalendar> calendar,
                                                absl::TimeZone zone) {
  SlaPolicy p = Default();
  p.calendar_ = std::move(calendar);
  p.zone_ = zone;
  const bool have_calendar = p.calendar_ != nullptr;
  if (!c.version().empty()) p.version_ = c.version();
  if (c.assign_met_by() != v1::ASSIGN_MET_BY_UNSPECIFIED) {
    if (!v1::AssignMetBy_IsValid(c.assign_met_by())) {
      return absl::InvalidArgumentError("sla.assign_met_by: unknown value");
    }
    p.assign_met_by_ = c.assign_met_by();
  }
  if (c.has_revisit()) {
    p.revisit_ = FromProto(c.revisit());
    if (p.revisit_ <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("sla.revisit: must be positive");
    }
  }
  if (c.revisit_attempts() < 0) {
    return absl::InvalidArgumentError("sla.revisit_attempts: must not be negative");
  }
  if (c.revisit_attempts() > 0) p.revisit_attempts_ = c.revisit_attempts();
  if (c.warn_percent_size() > 0) {
    p.warn_percents_.assign(c.warn_percent().begin(), c.warn_percent().end());
    for (size_t i = 0; i < p.warn_percents_.size(); ++i) {
      int w = p.warn_percents_[i];
      if (w <= 0 || w >= 100 || (i > 0 && w <= p.warn_percents_[i - 1])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sla.warn_percent: must ascend strictly within (0, 100), got ", w, " at index ", i));
      }
    }
  }
  auto defaults = Merge(c.defaults(), p.defaults_, "sla.defaults", have_calendar);
  if (!defaults.ok()) return defaults.status();
  p.defaults_ = *defaults;
  auto emergency = Merge(c.emergency(), p.emergency_, "sla.emergency", have_calendar);
  if (!emergency.ok()) return emergency.status();
  p.emergency_ = *emergency;
  for (int i = 0; i < c.by_category_size(); ++i) {
    const auto& entry = c.by_category(i);
    std::string field = absl::StrCat("sla.by_category[", i, "]");
    if (entry.category() == v1::CATEGORY_UNSPECIFIED || !v1::Category_IsValid(entry.category())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".category: unknown category"));
    }
    const Targets& base = IsEmergency(entry.category()) ? p.emergency_ : p.defaults_;
    auto t = Merge(entry.targets(), base, field + ".targets", have_calendar);
    if (!t.ok()) return t.status();
    if (!p.by_category_.emplace(entry.category(), *t).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".category: ", v1::Category_Name(entry.category()), " is listed twice"));
    }
  }
  return p;
}

bool SlaPolicy::IsEmergency(v1::Category category) {
  return category >= v1::CATEGORY_EMERGENCY_UTILITY_OUTAGE &&
         category <= v1::CATEGORY_EMERGENCY_FLOODING;
}

v1::Priority SlaPolicy::EffectivePriority(v1::Category category, v1::Priority requested) {
  if (IsEmergency(category)) return v1::PRIORITY_EMERGENCY;
  return requested == v1::PRIORITY_UNSPECIFIED ? v1::PRIORITY_NORMAL : requested;
}

bool SlaPolicy::UsesWorkingDays() const {
  if (defaults_.resolve_day_basis == v1::DAY_BASIS_WORKING ||
      emergency_.resolve_day_basis == v1::DAY_BASIS_WORKING) {
    return true;
  }
  for (const auto& [category, t] : by_category_) {
    if (t.resolve_day_basis == v1::DAY_BASIS_WORKING) return true;
  }
  return false;
}

const SlaPolicy::Targets& SlaPolicy::TargetsFor(v1::Category category,
                                                v1::Priority priority) const {
  auto it = by_category_.find(category);
  if (it != by_category_.end()) return it->second;
  return EffectivePriority(category, priority) == v1::PRIORITY_EMERGENCY ? emergency_ : defaults_;
}

v1::SlaClock SlaPolicy::Clock(v1::ClockKind kind, absl::Duration target, absl::Time start,
                              int round) const {
  v1::SlaClock c;
  c.set_kind(kind);
  *c.mutable_target() = ToProto(target);
  c.set_day_basis(v1::DAY_BASIS_CALENDAR);
  c.set_round(round);
  c.mutable_warn_percent()->Add(warn_percents_.begin(), warn_percents_.end());
  *c.mutable_started_at() = ToProto(start);
  *c.mutable_deadline() = ToProto(start + target);
  return c;
}

std::vector<v1::SlaClock> SlaPolicy::ClocksFor(v1::Category category, v1::Priority priority,
                                               absl::Time accepted_at, int round) const {
  const Targets& t = TargetsFor(category, priority);
  std::vector<v1::SlaClock> clocks;
  auto add = [&](v1::ClockKind kind, absl::Duration target, v1::DayBasis basis) {
    clocks.push_back(Clock(kind, target, accepted_at, round));
    clocks.back().set_day_basis(basis);
  };
  add(v1::CLOCK_KIND_ASSIGN, t.assign, v1::DAY_BASIS_CALENDAR);
  add(v1::CLOCK_KIND_PRELIMINARY, t.preliminary, v1::DAY_BASIS_CALENDAR);
  if (t.resolve_day_basis != v1::DAY_BASIS_WORKING) {
    add(v1::CLOCK_KIND_RESOLVE, t.resolve, v1::DAY_BASIS_CALENDAR);
    return clocks;
  }
  // Never refuse a complaint for a missing calendar file: days of uncovered years count as
  // working when Monday-Friday, and the assumption is counted (dispatchd also warns at start).
  bool assumed = false;
  absl::Time due = calendar_->AddWorkingDaysAssumingWeekdays(accepted_at, t.resolve_working_days,
                                                             zone_, &assumed);
  // ... and said loudly (DOMAIN.md section 8): on the first such deadline and every 1000th.
  if (assumed) {
    const int64_t before = fallbacks_->fetch_add(1);
    if (before % 1000 == 0) {
      // Days past the calendar's last year were counted as plain weekdays; `count`: such
      // deadlines so far.
      log::Warn("sla", "working-day calendar missing a year, resolve deadline counted on weekdays",
                {{"accepted_at", absl::FormatTime("%Y-%m-%d %H:%M %Z", accepted_at, zone_)},
                 {"deadline", absl::FormatTime("%Y-%m-%d %H:%M %Z", due, zone_)},
                 {"count", std::to_string(before + 1)},
                 {"hint", "add the missing year's calendar file"}});
    }
  }
  add(v1::CLOCK_KIND_RESOLVE, absl::ZeroDuration(), v1::DAY_BASIS_WORKING);
  v1::SlaClock& resolve = clocks.back();
  resolve.set_target_working_days(t.resolve_working_days);  // replaces the duration target
  *resolve.mutable_deadline() = ToProto(due);
  resolve.set_calendar_assumed(assumed);  // on the ticket, so a dashboard can show the gap
  return clocks;
}

}  // namespace dispatch

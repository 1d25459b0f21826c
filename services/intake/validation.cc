#include "services/intake/validation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "common/text.h"

namespace dispatch::intake {
namespace {

class Violations {
 public:
  void Add(const std::string& field, const std::string& rule) {
    list_.push_back(absl::StrCat(field, ": ", rule));
  }

  // Checks UTF-8 and the length in characters; `required` also rejects blank text.
  void Text(const std::string& field, const std::string& value, size_t max_chars,
            bool required) {
    if (!IsValidUtf8(value)) {
      Add(field, "not valid UTF-8");
    } else if (required && IsBlank(value)) {
      Add(field, "required");
    } else if (Utf8Length(value) > max_chars) {
      Add(field, absl::StrCat("at most ", max_chars, " characters (got ", Utf8Length(value), ")"));
    }
  }

  void ExternalId(const std::string& field, const std::string& value) {
    if (!value.empty() && !IsValidExternalId(value, 64)) {
      Add(field, "at most 64 characters of [A-Za-z0-9._:-]");
    }
  }

  template <typename Enum>
  void RequiredEnum(const std::string& field, int value, bool (*is_valid)(int)) {
    if (value == 0) {
      Add(field, "required");
    } else if (!is_valid(value)) {
      Add(field, absl::StrCat("unknown value ", value));
    }
  }

  absl::Status ToStatus() const {
    if (list_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(list_, "; "));
  }

 private:
  std::vector<std::string> list_;
};

}  // namespace

absl::Status ValidateSubmit(const v1::SubmitComplaintRequest& req, absl::Time now) {
  Violations v;
  if (!req.has_complaint()) {
    v.Add("complaint", "required");
    return v.ToStatus();
  }
  const v1::Complaint& c = req.complaint();
  v.RequiredEnum<v1::Channel>("complaint.channel", c.channel(), v1::Channel_IsValid);
  v.ExternalId("complaint.channel_work_order_id", c.channel_work_order_id());
  const bool gateway_channel = c.channel() == v1::CHANNEL_HOTLINE_12345 ||
                               c.channel() == v1::CHANNEL_PROVINCIAL_TRANSFER_SYSTEM ||
                               c.channel() == v1::CHANNEL_PETITION_PLATFORM;
  if (c.channel_work_order_id().empty() && gateway_channel) {
    v.Add("complaint.channel_work_order_id",
          absl::StrCat("required for ", v1::Channel_Name(c.channel()),
                       " (its gateway re-sends, and submissions are idempotent on it)"));
  } else if (c.channel_work_order_id().empty()) {
    if (req.request_id().empty()) {
      v.Add("request_id", "required when complaint.channel_work_order_id is empty");
    }
  }
  v.ExternalId("request_id", req.request_id());
  v.RequiredEnum<v1::Category>("complaint.category", c.category(), v1::Category_IsValid);
  if (c.priority() != 0 && !v1::Priority_IsValid(c.priority())) {
    v.Add("complaint.priority", absl::StrCat("unknown value ", c.priority()));
  }
  v.Text("complaint.title", c.title(), 100, false);
  v.Text("complaint.description", c.description(), kMaxDescriptionChars, true);
  v.Text("complaint.property_company", c.property_company(), 100, false);

  if (!c.has_location()) {
    v.Add("complaint.location", "required");
  } else {
    const v1::Location& loc = c.location();
    const v1::JurisdictionPath& j = loc.jurisdiction();
    for (auto [name, code] : {std::pair{"city_code", &j.city_code()},
                              std::pair{"county_code", &j.county_code()},
                              std::pair{"township_code", &j.township_code()},
                              std::pair{"community_code", &j.community_code()}}) {
      if (!code->empty() && !IsValidExternalId(*code, 32)) {
        v.Add(absl::StrCat("complaint.location.jurisdiction.", name),
              "at most 32 characters of [A-Za-z0-9._:-]");
      }
    }
    v.Text("complaint.location.estate_name", loc.estate_name(), 100, false);
    v.Text("complaint.location.address", loc.address(), 200, false);
    if (j.community_code().empty() && IsBlank(loc.estate_name()) && IsBlank(loc.address())) {
      v.Add("complaint.location",
            "give at least one of jurisdiction.community_code, estate_name or address");
    }
  }

  if (!c.has_complainant()) {
    v.Add("complaint.complainant", "required");
  } else {
    v.Text("complaint.complainant.name", c.complainant().name(), 50, false);
    const std::string& phone = c.complainant().phone();
    if (phone.empty()) {
      v.Add("complaint.complainant.phone", "required");
    } else if (!IsValidPhone(phone)) {
      v.Add("complaint.complainant.phone",
            "not a phone number: want an 11-digit mobile (1[3-9]xxxxxxxxx) or a landline with "
            "area code (0xxx-xxxxxxx)");
    }
  }
  if (c.has_reported_at() &&
      (c.reported_at().seconds() < 0 || c.reported_at().nanos() < 0 ||
       c.reported_at().nanos() > 999999999)) {
    v.Add("complaint.reported_at", "not a valid timestamp");
  } else if (absl::Status future = CheckReportedTime(c.reported_at(), "complaint.reported_at",
                                                     now);
             !future.ok()) {
    v.Add("complaint.reported_at", std::string(future.message().substr(
                                       std::string("complaint.reported_at: ").size())));
  }
  return v.ToStatus();
}

}  // namespace dispatch::intake

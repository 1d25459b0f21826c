#include "services/dispatchd/open311.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/proto_time.h"
#include "common/text.h"
#include "dispatch/v1/intake.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/dispatchd/gateway.h"
#include "services/dispatchd/openapi.h"
#include "services/org/department_matrix.h"

namespace dispatch {
namespace {

using Message = google::protobuf::Message;
using Result = absl::StatusOr<std::unique_ptr<Message>>;
using Fields = std::map<std::string, std::string>;

constexpr char kSubmit[] = "IntakeService.SubmitComplaint";
constexpr char kGet[] = "IntakeService.GetTicket";
constexpr size_t kMaxIds = 50;

// The service names, as the dashboard shows them (web/src/zh.js).
const char* CategoryLabel(int category) {
  static const auto* const labels = new std::map<int, const char*>{
      {v1::CATEGORY_SERVICE_QUALITY, "物业服务质量"},
      {v1::CATEGORY_CONTRACT_PERFORMANCE, "合同履行"},
      {v1::CATEGORY_INFORMATION_DISCLOSURE, "信息公开"},
      {v1::CATEGORY_MAINTENANCE_FUND, "维修资金"},
      {v1::CATEGORY_RENOVATION_SUPERVISION, "装修监管"},
      {v1::CATEGORY_PROPERTY_COMPANY_HANDOVER, "物业交接退出"},
      {v1::CATEGORY_ILLEGAL_CONSTRUCTION, "违法建设"},
      {v1::CATEGORY_GREEN_SPACE_OCCUPATION, "占用绿地"},
      {v1::CATEGORY_FACADE_CHANGE, "改变外立面"},
      {v1::CATEGORY_WALL_ADVERTISING, "墙体广告"},
      {v1::CATEGORY_DUMPED_GARBAGE, "乱倒垃圾"},
      {v1::CATEGORY_RENOVATION_VIOLATION, "违规装修"},
      {v1::CATEGORY_RESTAURANT_FUMES, "餐饮油烟"},
      {v1::CATEGORY_BUSINESS_NOISE, "经营噪声"},
      {v1::CATEGORY_STRAY_ANIMALS, "流浪动物"},
      {v1::CATEGORY_FEE_ABOVE_GUIDED_PRICE, "收费超指导价"},
      {v1::CATEGORY_NO_PRICE_MARKING, "未明码标价"},
      {v1::CATEGORY_COMPULSORY_CHARGE, "强制收费"},
      {v1::CATEGORY_PARKING_FEE, "停车收费"},
      {v1::CATEGORY_UNLICENSED_BUSINESS, "无照经营"},
      {v1::CATEGORY_SPECIAL_EQUIPMENT, "电梯等特种设备"},
      {v1::CATEGORY_FEE_POLICY_DISPUTE, "物业费政策与纠纷"},
      {v1::CATEGORY_PUBLIC_SECURITY, "治安"},
      {v1::CATEGORY_ANIMAL_NUISANCE, "动物扰民"},
      {v1::CATEGORY_HANDOVER_CRIME, "交接中的违法犯罪"},
      {v1::CATEGORY_SECURITY_GUARDS, "保安人员"},
      {v1::CATEGORY_FIRE_SAFETY, "消防安全"},
      {v1::CATEGORY_BLOCKED_FIRE_LANE, "堵塞消防通道"},
      {v1::CATEGORY_EBIKE_CHARGING, "电动车“飞线”充电"},
      {v1::CATEGORY_FLAMMABLES, "易燃易爆物品"},
      {v1::CATEGORY_SECONDARY_WATER_SUPPLY, "二次供水卫生"},
      {v1::CATEGORY_HOME_CATERING, "居民楼无证餐饮"},
      {v1::CATEGORY_FACILITY_PLANNING, "配套设施规划"},
      {v1::CATEGORY_PARKING_SPACE_PLANNING, "车位规划"},
      {v1::CATEGORY_ENVIRONMENTAL_POLLUTION, "环境污染"},
      {v1::CATEGORY_INDUSTRIAL_NOISE, "工业噪声"},
      {v1::CATEGORY_PROPERTY_STAFF_LABOUR, "物业员工劳动关系"},
      {v1::CATEGORY_HOME_TUTORING_CHILDCARE, "居民楼无证培训托管"},
      {v1::CATEGORY_FITNESS_FACILITIES, "健身设施"},
      {v1::CATEGORY_TELECOM_SIGNAL_CABLING, "通信信号与线缆"},
      {v1::CATEGORY_OWNERS_COMMITTEE, "业主委员会"},
      {v1::CATEGORY_MEDIATION_DISPUTE, "纠纷调解"},
      {v1::CATEGORY_MALICIOUS_FEE_ARREARS, "恶意拖欠物业费"},
      {v1::CATEGORY_PETITION, "信访"},
      {v1::CATEGORY_EMERGENCY_UTILITY_OUTAGE, "紧急：大面积停水停电停气"},
      {v1::CATEGORY_EMERGENCY_SEWAGE_OVERFLOW, "紧急：污水外溢"},
      {v1::CATEGORY_EMERGENCY_BURST_PIPE, "紧急：爆管"},
      {v1::CATEGORY_EMERGENCY_OBJECT_FROM_HEIGHT, "紧急：高空坠物"},
      {v1::CATEGORY_EMERGENCY_FALLING_FACADE, "紧急：外墙脱落"},
      {v1::CATEGORY_EMERGENCY_FIRE, "紧急：火灾"},
      {v1::CATEGORY_EMERGENCY_ELECTRIC_SHOCK, "紧急：触电"},
      {v1::CATEGORY_EMERGENCY_FIGHT, "紧急：打架斗殴"},
      {v1::CATEGORY_EMERGENCY_THEFT, "紧急：盗窃"},
      {v1::CATEGORY_EMERGENCY_FLOODING, "紧急：水浸"},
      {v1::CATEGORY_OTHER, "其他"},
  };
  auto it = labels->find(category);
  return it != labels->end() ? it->second : nullptr;
}

// Department names, as the dashboard shows them.
const char* DepartmentLabel(int department) {
  static const auto* const labels = new std::map<int, const char*>{
      {v1::DEPARTMENT_HOUSING, "住建"},
      {v1::DEPARTMENT_URBAN_MANAGEMENT, "城管"},
      {v1::DEPARTMENT_MARKET_SUPERVISION, "市场监管"},
      {v1::DEPARTMENT_DEVELOPMENT_REFORM, "发改"},
      {v1::DEPARTMENT_POLICE, "公安"},
      {v1::DEPARTMENT_FIRE_RESCUE, "消防救援"},
      {v1::DEPARTMENT_EMERGENCY_MANAGEMENT, "应急管理"},
      {v1::DEPARTMENT_HEALTH, "卫健"},
      {v1::DEPARTMENT_NATURAL_RESOURCES, "自然资源和规划"},
      {v1::DEPARTMENT_ECOLOGY_ENVIRONMENT, "生态环境"},
      {v1::DEPARTMENT_HUMAN_RESOURCES, "人社"},
      {v1::DEPARTMENT_EDUCATION, "教育"},
      {v1::DEPARTMENT_CULTURE_TOURISM_SPORTS, "文旅广体"},
      {v1::DEPARTMENT_SCIENCE_INDUSTRY, "科工"},
      {v1::DEPARTMENT_CIVIL_AFFAIRS, "民政"},
      {v1::DEPARTMENT_JUSTICE, "司法"},
      {v1::DEPARTMENT_COURT, "法院"},
      {v1::DEPARTMENT_PETITION, "信访"},
      {v1::DEPARTMENT_TERRITORIAL, "属地"},
  };
  auto it = labels->find(department);
  return it != labels->end() ? it->second : nullptr;
}

std::string CategoryName(int category) {
  const auto* value = v1::Category_descriptor()->FindValueByNumber(category);
  return value != nullptr ? value->name() : "";
}

// "CHANNEL_QR_CODE, CHANNEL_EMAIL" (for a message).
std::string ChannelNames(const std::set<int>& channels) {
  std::vector<std::string> names;
  for (int c : channels) names.push_back(v1::Channel_Name(static_cast<v1::Channel>(c)));
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

void Answer(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(json, "application/json");
}

// [{"code":<HTTP status>,"description":"..."}], as GeoReport v2 answers errors.
void Fail(httplib::Response& res, const absl::Status& status) {
  const int http = HttpStatusOf(status.code());
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  JsonWriter w;
  w.BeginArray().BeginObject();
  w.Key("code").Int(http);
  w.Field("description", status.message());
  w.EndObject().EndArray();
  Answer(res, http, w.str());
}

// The service's field names in a message, as the Open311 fields that carry them.
absl::Status InOpen311Terms(const absl::Status& status) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"complaint.complainant.phone", "phone"},
      {"complaint.complainant.name", "first_name/last_name"},
      {"complaint.location.address", "address_string"},
      {"complaint.location", "address_string"},
      {"complaint.description", "description"},
      {"complaint.category", "service_code"},
      {"complaint.channel_work_order_id", "Idempotency-Key"},
      {"request_id", "Idempotency-Key"},
  };
  std::string message(status.message());
  for (const auto& [from, to] : kNames) {
    std::string out;
    size_t at = 0;
    for (size_t hit; (hit = message.find(from, at)) != std::string::npos; at = hit + strlen(from)) {
      out.append(message, at, hit - at).append(to);
    }
    out.append(message, at, std::string::npos);
    message = std::move(out);
  }
  return absl::Status(status.code(), message);
}

absl::Status RefuseApiKey(const httplib::Request& req, const Fields* fields) {
  if (req.has_param("api_key") || (fields != nullptr && fields->count("api_key") > 0)) {
    return absl::InvalidArgumentError(
        "api_key: not accepted: credentials in URLs and forms leak into logs and proxies; send "
        "Authorization: Bearer <token> instead");
  }
  return absl::OkStatus();
}

// A JSON number as form text ("13812345678", "1.5").
std::string NumberText(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  JsonWriter w;
  w.Number(v);
  return w.str();
}

// The submitted fields: the form (application/x-www-form-urlencoded, as the spec sends them)
// or a JSON object with the same names, and the URL's query parameters.
absl::StatusOr<Fields> SubmittedFields(const httplib::Request& req) {
  Fields out;
  const std::string type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
  if (absl::StartsWith(type, "application/json")) {
    google::protobuf::Struct body;
    auto parsed = google::protobuf::util::JsonStringToMessage(req.body, &body);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "body: not a JSON object of Open311 fields: ", std::string(parsed.message())));
    }
    for (const auto& [key, value] : body.fields()) {
      using V = google::protobuf::Value;
      switch (value.kind_case()) {
        case V::kStringValue: out[key] = value.string_value(); break;
        case V::kNumberValue: out[key] = NumberText(value.number_value()); break;
        case V::kBoolValue: out[key] = value.bool_value() ? "true" : "false"; break;
        case V::kNullValue: break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(key, ": a string, number or boolean"));
      }
    }
  } else if (type.empty() || absl::StartsWith(type, "application/x-www-form-urlencoded")) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    for (const auto& [key, value] : form) out.emplace(key, value);
  } else if (!req.body.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Content-Type: application/x-www-form-urlencoded or application/json, not ", type));
  }
  // The URL's parameters (and the form, where the HTTP library parsed it already).
  for (const auto& [key, value] : req.params) out.emplace(key, value);
  return out;
}

std::string FieldValue(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  return it != fields.end() ? std::string(absl::StripAsciiWhitespace(it->second)) : "";
}

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// "王" + "小明" -> "王小明"; "Ming" + "Wang" -> "Ming Wang".
std::string FullName(const std::string& first, const std::string& last) {
  if (first.empty() || last.empty()) return first.empty() ? last : first;
  if (!IsAscii(first) || !IsAscii(last)) return last + first;
  return absl::StrCat(first, " ", last);
}

std::future<Result> Call(const rpc::MethodTable::Entry* entry,
                         const rpc::Credentials& credentials, rpc::MethodTable::Decode decode) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  entry->invoke(credentials, decode,
                [promise](Result result) { promise->set_value(std::move(result)); });
  return future;
}

Result Await(std::future<Result>& future, std::chrono::steady_clock::time_point deadline,
             const char* method, int seconds) {
  if (future.wait_until(deadline) != std::future_status::ready) {
    return absl::DeadlineExceededError(
        absl::StrCat(method, ": no answer within ", seconds, " s"));
  }
  return future.get();
}

// Admits `credentials` to `entry`'s method through its Gate (which counts a refusal), for a route
// that must know the caller before it calls.
absl::StatusOr<std::shared_ptr<const auth::Caller>> Admit(const rpc::MethodTable::Entry* entry,
                                                         const rpc::Credentials& credentials) {
  if (entry->method.gate == nullptr) {
    return absl::InternalError("open311: the intake table has no gate");
  }
  return entry->method.gate->Admit(credentials, entry->method.name);
}

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(t), absl::UTCTimeZone());
}

// One service request as GeoReport v2 reads it, without personal data (open311.h).
void WriteRequest(JsonWriter& w, const v1::Ticket& t) {
  w.BeginObject();
  w.Field("service_request_id", t.ticket_id());
  const bool closed =
      t.status() == v1::TICKET_STATUS_RESOLVED || t.status() == v1::TICKET_STATUS_CLOSED;
  w.Field("status", closed ? "closed" : "open");
  const int category = t.complaint().category();
  const char* label = CategoryLabel(category);
  w.Field("service_name", label != nullptr ? label : CategoryName(category));
  w.Field("service_code", CategoryName(category));
  std::string agency = t.responsible_unit_code();
  for (const v1::Handling& h : t.handlings()) {
    if (h.role() != v1::HANDLING_ROLE_LEAD) continue;
    if (const char* department = DepartmentLabel(h.department()); department != nullptr) {
      agency = agency.empty() ? department : absl::StrCat(agency, " ", department);
    }
    break;
  }
  w.Field("agency_responsible", agency);
  w.Field("service_notice", "");
  auto stamp = [&w](const char* key, const google::protobuf::Timestamp* at) {
    w.Key(key);
    if (at != nullptr) {
      w.String(Rfc3339(*at));
    } else {
      w.Null();
    }
  };
  stamp("requested_datetime", t.has_accepted_at() ? &t.accepted_at() : nullptr);
  stamp("updated_datetime", t.has_updated_at() ? &t.updated_at() : nullptr);
  const google::protobuf::Timestamp* expected = nullptr;
  for (const v1::SlaClock& c : t.clocks()) {
    if (c.kind() == v1::CLOCK_KIND_RESOLVE && c.has_deadline()) expected = &c.deadline();
  }
  stamp("expected_datetime", expected);
  // The estate only: the free-text address (building, unit, room) is personal data.
  w.Field("address", t.complaint().location().estate_name());
  w.Field("address_id", "");
  w.Field("zipcode", "");
  w.Key("lat").Null();
  w.Key("long").Null();
  w.Field("media_url", "");
  w.EndObject();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Open311>> Open311::Create(const rpc::MethodTable* intake) {
  std::unique_ptr<Open311> o(new Open311());
  if (intake == nullptr) return o;
  o->submit_ = intake->Find(kSubmit);
  o->get_ = intake->Find(kGet);
  if (o->submit_ == nullptr || o->get_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "open311: the intake table has no ", o->submit_ == nullptr ? kSubmit : kGet,
        "; pass the IntakeService's MethodTable"));
  }
  if (o->submit_->request_type != v1::SubmitComplaintRequest::descriptor() ||
      o->submit_->response_type != v1::SubmitComplaintResponse::descriptor() ||
      o->get_->request_type != v1::GetTicketRequest::descriptor() ||
      o->get_->response_type != v1::GetTicketResponse::descriptor()) {
    return absl::FailedPreconditionError(
        "open311: the intake table's SubmitComplaint or GetTicket has other message types");
  }
  return o;
}

void Open311::Install(httplib::Server& server) {
  if (submit_ == nullptr) return;
  // Each route counted and logged like the gateway's (RecordHttpCall).
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  auto recorded = [](std::string route, Handler handler) {
    return [route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                    httplib::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      handler(req, res);
      RecordHttpCall(route, req, res,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
  };
  server.Get(R"(/open311/v2/services\.json)",
             recorded("GET /open311/v2/services.json",
                      [this](const httplib::Request& req, httplib::Response& res) { Services(req, res); }));
  server.Post(R"(/open311/v2/requests\.json)",
              recorded("POST /open311/v2/requests.json",
                       [this](const httplib::Request& req, httplib::Response& res) { Submit(req, res); }));
  server.Get(R"(/open311/v2/requests\.json)",
             recorded("GET /open311/v2/requests.json",
                      [this](const httplib::Request& req, httplib::Response& res) { List(req, res); }));
  server.Get(R"(/open311/v2/requests/([^/]+)\.json)",
             recorded("GET /open311/v2/requests/{service_request_id}.json",
                      [this](const httplib::Request& req, httplib::Response& res) { Get(req, res); }));
  auto none = recorded("open311 unmatched", [](const httplib::Request& req, httplib::Response& res) {
    Fail(res, absl::NotFoundError(absl::StrCat(
                  req.method, " ", req.path,
                  ": no such Open311 route; served (JSON only): GET /open311/v2/services.json, "
                  "POST and GET /open311/v2/requests.json, GET "
                  "/open311/v2/requests/{service_request_id}.json")));
  });
  server.Get(R"(/open311/.*)", none);
  server.Post(R"(/open311/.*)", none);
  server.Put(R"(/open311/.*)", none);
  server.Delete(R"(/open311/.*)", none);
  server.Patch(R"(/open311/.*)", none);
}

void Open311::Services(const httplib::Request& req, httplib::Response& res) const {
  if (absl::Status s = RefuseApiKey(req, nullptr); !s.ok()) return Fail(res, s);
  if (auto caller = Admit(get_, CredentialsOf(req)); !caller.ok()) {
    return Fail(res, caller.status());
  }
  const google::protobuf::EnumDescriptor* categories = v1::Category_descriptor();
  JsonWriter w;
  w.BeginArray();
  for (int i = 0; i < categories->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = categories->value(i);
    if (value->number() == v1::CATEGORY_UNSPECIFIED) continue;
    const char* label = CategoryLabel(value->number());
    const std::string name = label != nullptr ? label : value->name();
    // The built-in matrix: configuration may give a category another lead department.
    const char* lead = DepartmentLabel(
        org::DepartmentMatrix::Default(static_cast<v1::Category>(value->number())).lead);
    const bool emergency = absl::StartsWith(value->name(), "CATEGORY_EMERGENCY_");
    w.BeginObject();
    w.Field("service_code", value->name());
    w.Field("service_name", name);
    std::string description = name;
    if (emergency) absl::StrAppend(&description, "（紧急事项，按紧急时限办理）");
    if (lead != nullptr) absl::StrAppend(&description, "；默认由", lead, "牵头办理");
    w.Field("description", description);
    w.Key("metadata").Bool(false);
    w.Field("type", "realtime");
    w.Field("keywords", "");
    if (lead != nullptr) w.Field("group", lead);
    w.EndObject();
  }
  w.EndArray();
  Answer(res, 200, w.str());
}

void Open311::Submit(const httplib::Request& req, httplib::Response& res) const {
  absl::StatusOr<Fields> fields = SubmittedFields(req);
  if (absl::Status s = RefuseApiKey(req, fields.ok() ? &*fields : nullptr); !s.ok()) {
    return Fail(res, s);
  }
  // Who calls, and so the channel, through the same Gate the call passes next: first of all,
  // as for every call.
  const rpc::Credentials credentials = CredentialsOf(req);
  auto caller = Admit(submit_, credentials);
  if (!caller.ok()) return Fail(res, caller.status());
  const std::set<int>& channels = (*caller)->principal.channels;
  if (channels.size() != 1) {
    return Fail(res, absl::PermissionDeniedError(absl::StrCat(
                         "open311: an Open311 request names no channel, so its client must be a "
                         "gateway whose credentials list exactly one channel; ",
                         (*caller)->principal.subject, " lists ", ChannelNames(channels))));
  }
  if (!fields.ok()) return Fail(res, fields.status());

  std::string key(absl::StripAsciiWhitespace(req.get_header_value("Idempotency-Key")));
  if (key.empty()) key = FieldValue(*fields, "request_id");
  if (key.empty()) {
    return Fail(res, absl::InvalidArgumentError(
                         "Idempotency-Key: required (the header, or a request_id field): a "
                         "retried request must not become a second ticket; send a UUID"));
  }
  if (!IsValidExternalId(key, 64)) {
    return Fail(res, absl::InvalidArgumentError(
                         "Idempotency-Key: at most 64 characters of [A-Za-z0-9._:-]"));
  }
  const std::string service_code = FieldValue(*fields, "service_code");
  v1::Category category = v1::CATEGORY_UNSPECIFIED;
  if (service_code.empty()) {
    return Fail(res, absl::InvalidArgumentError(
                         "service_code: required, one of services.json's service_code values"));
  }
  if (!v1::Category_Parse(service_code, &category) || category == v1::CATEGORY_UNSPECIFIED) {
    return Fail(res, absl::InvalidArgumentError(absl::StrCat(
                         "service_code: no service \"", service_code, "\"; see services.json")));
  }
  const std::string address = FieldValue(*fields, "address_string");
  if (IsBlank(address)) {
    const bool placed_otherwise = !FieldValue(*fields, "lat").empty() ||
                                  !FieldValue(*fields, "long").empty() ||
                                  !FieldValue(*fields, "address_id").empty();
    return Fail(res, absl::InvalidArgumentError(
                         placed_otherwise
                             ? "address_string: required; lat/long and address_id are not "
                               "supported here (they cannot be placed in the jurisdiction tree)"
                             : "address_string: required"));
  }

  v1::SubmitComplaintRequest request;
  request.set_request_id(key);
  v1::Complaint* c = request.mutable_complaint();
  c->set_channel(static_cast<v1::Channel>(*channels.begin()));
  c->set_channel_work_order_id(key);
  c->set_category(category);
  c->set_description(FieldValue(*fields, "description"));
  c->mutable_location()->set_address(address);
  c->mutable_complainant()->set_name(
      FullName(FieldValue(*fields, "first_name"), FieldValue(*fields, "last_name")));
  c->mutable_complainant()->set_phone(FieldValue(*fields, "phone"));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_seconds_);
  std::future<Result> future = Call(submit_, credentials, [request](Message* m) {
    m->CopyFrom(request);
    return absl::OkStatus();
  });
  Result result = Await(future, deadline, kSubmit, deadline_seconds_);
  if (!result.ok()) return Fail(res, InOpen311Terms(result.status()));
  v1::SubmitComplaintResponse response;
  response.CopyFrom(**result);
  JsonWriter w;
  w.BeginArray().BeginObject();
  w.Field("service_request_id", response.ticket().ticket_id());
  w.Field("service_notice", response.created()
                                ? ""
                                : "该请求此前已受理，未重复建单 (accepted before under this "
                                  "Idempotency-Key; no new ticket)");
  w.Field("account_id", "");
  w.EndObject().EndArray();
  Answer(res, 200, w.str());
}

void Open311::Get(const httplib::Request& req, httplib::Response& res) const {
  if (absl::Status s = RefuseApiKey(req, nullptr); !s.ok()) return Fail(res, s);
  const std::string id = req.matches.size() > 1 ? req.matches[1].str() : "";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_seconds_);
  std::future<Result> future = Call(get_, CredentialsOf(req), [id](Message* m) {
    static_cast<v1::GetTicketRequest*>(m)->set_ticket_id(id);
    return absl::OkStatus();
  });
  Result result = Await(future, deadline, kGet, deadline_seconds_);
  if (!result.ok()) return Fail(res, InOpen311Terms(result.status()));
  v1::GetTicketResponse response;
  response.CopyFrom(**result);
  JsonWriter w;
  w.BeginArray();
  WriteRequest(w, response.ticket());
  w.EndArray();
  Answer(res, 200, w.str());
}

void Open311::List(const httplib::Request& req, httplib::Response& res) const {
  if (absl::Status s = RefuseApiKey(req, nullptr); !s.ok()) return Fail(res, s);
  // Authenticated first, as every call; each GetTicket below passes the Gate again.
  const rpc::Credentials credentials = CredentialsOf(req);
  if (auto caller = Admit(get_, credentials); !caller.ok()) return Fail(res, caller.status());
  if (!req.has_param("service_request_id")) {
    return Fail(res, absl::InvalidArgumentError(
                         "service_request_id: required; listing requests by date, status or "
                         "service_code is not offered yet (the service's ticket list has no "
                         "grant for gateways, and there is no gateway-scoped list)"));
  }
  std::vector<std::string> ids;
  std::set<std::string> seen;
  const size_t n = req.get_param_value_count("service_request_id");
  for (size_t i = 0; i < n; ++i) {
    for (absl::string_view piece :
         absl::StrSplit(req.get_param_value("service_request_id", i), ',')) {
      std::string id(absl::StripAsciiWhitespace(piece));
      if (!id.empty() && seen.insert(id).second) ids.push_back(std::move(id));
    }
  }
  if (ids.empty()) {
    return Fail(res, absl::InvalidArgumentError(
                         "service_request_id: give one or more ids, separated by commas"));
  }
  if (ids.size() > kMaxIds) {
    return Fail(res, absl::InvalidArgumentError(absl::StrCat(
                         "service_request_id: at most ", kMaxIds, " ids (got ", ids.size(), ")")));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_seconds_);
  std::vector<std::future<Result>> futures;
  futures.reserve(ids.size());
  for (const std::string& id : ids) {
    futures.push_back(Call(get_, credentials, [id](Message* m) {
      static_cast<v1::GetTicketRequest*>(m)->set_ticket_id(id);
      return absl::OkStatus();
    }));
  }
  JsonWriter w;
  w.BeginArray();
  for (auto& future : futures) {
    Result result = Await(future, deadline, kGet, deadline_seconds_);
    if (absl::IsNotFound(result.status())) continue;  // unknown, or outside the caller's reach
    if (!result.ok()) return Fail(res, InOpen311Terms(result.status()));
    v1::GetTicketResponse response;
    response.CopyFrom(**result);
    WriteRequest(w, response.ticket());
  }
  w.EndArray();
  Answer(res, 200, w.str());
}

}  // namespace dispatch

// dispatchctl: the operator's command line for dispatchd (the seed of the operator CLI).
//
//   dispatchctl health                       overall and per-service health
//   dispatchctl submit --work_order=WO-1 --category=CATEGORY_SPECIAL_EQUIPMENT
//       --description="电梯停运" --phone=13812345678 --estate="翠苑一区"
//   dispatchctl get T20261122-042-7KQ2M9XZ
//   dispatchctl lookup --channel=CHANNEL_HOTLINE_12345 --work_order=WO-1
//   dispatchctl assign T... [--handler=h-cd-wgy]           (empty: the least loaded on duty)
//       [--share_unit=430923100 --share_department=DEPARTMENT_HOUSING]  (an assisting share)
//   dispatchctl sign T... [--share_unit=.. --share_department=..]  (签收)
//   dispatchctl assist T... --share_unit=.. --share_department=.. --text=..
//   dispatchctl route T... --unit=430923100 --department=DEPARTMENT_HOUSING
//   dispatchctl return T... --reason="不属于本单位职责" --reason_code=RETURN_REASON_NOT_OUR_DEPARTMENT
//   dispatchctl org                                         (the organisation in force)
//   dispatchctl contact T... --text="物业已承诺三日内修复" [--company=绿城物业]
//   dispatchctl set-company T... --credit_code=91430923MA4L000029 --reason="回访核实为滨江物业"
//                                           (corrects the ticket's property company; "" for none)
//   dispatchctl resolve T... --text="已修复" --feedback="已电话告知业主" [--feedback_method=...]
//               [--substantiation=SUBSTANTIATION_SUBSTANTIATED] [--refused_to_rectify]
//       [--override_reason="..."]                           (resolve with assisting shares open)
//   dispatchctl revisit T... --tier=TIER_TOWNSHIP [--satisfaction=SATISFACTION_SATISFIED]
//       [--false_closure] [--method=REVISIT_METHOD_SITE_CHECK] [--reason=notes]
//                                                           (no --satisfaction: not reached)
//   dispatchctl revisits [--unit=430923] [--month=2026-11]  (the revisit ledger)
//   dispatchctl breaches [--unit=430923]                    (recorded breaches, newest first)
//   dispatchctl history T...                                (every event, oldest first)
//   dispatchctl list [--unit=430923] [--status=TICKET_STATUS_ASSIGNED] [--breached_only]
//   dispatchctl watch [--unit=430923] [--cursor=TOKEN]     (follows events until Ctrl-C)
//   dispatchctl report --month=2026-11 [--unit=430923] [--order_by=MEASURE_SATISFACTION] [--csv]
//                                           (the unit's scorecard and its children ranked, as a
//                                            table; --csv: the month's export of its subtree)
//   dispatchctl company --company=91430923MA4L000016 --month=2026-11
//                                           (a company's record by credit code or name; exit trigger)
//   dispatchctl exit-candidates --month=2026-11
//   dispatchctl adjustments --month=2026-11 [--unit=430923]  (changes to a closed month's figures)
//   dispatchctl lists --month=2026-11 [--list=COMPANY_LIST_BLACK]   (red list, black list, risk
//                                           notices: as published at the close, or as they stand)
//   dispatchctl evaluate --credit_code=91430923MA4L000016 --year=2025 --score=88.5 [--text=note]
//                                           (the housing bureau's annual credit score; admin)
//   dispatchctl dev-pki                      (development: the local CA, server certificate and
//                                             signing key in --pki, and a fresh admin.token)
//   dispatchctl token --subject=h-dp-wy1 --unit=430923100 --roles=handler [--channels=..]
//       [--ttl_h=12]                          (development: prints a token signed by --pki)
//
// Writes read the ticket first and send its current version; their request id is derived
// from ticket, version and command, so running the same command twice changes nothing twice.
// The actor of a write is whoever the token names.
//
// Every call goes over TLS, trusting the CA in --pki/ca.pem (or --ca), with the token of
// --token, else $DISPATCH_TOKEN, else the file --pki/admin.token (tools/run writes it: an
// operator of the local deployment). To act as a handler:
//   T=$(dispatchctl token --subject=h-dp-wy1 --unit=430923100 --roles=handler)
//   dispatchctl sign T... --token=$T
// --target picks the server (default 127.0.0.1:50051). Prints responses as JSON;
// exits 0 on success, 1 on an RPC error (printed with its code), 2 on bad usage.
#include <grpcpp/grpcpp.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "dispatch/v1/escalation.grpc.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "dispatch/v1/routing.grpc.pb.h"
#include "dispatch/v1/statistics.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/devpki/dev_pki.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "dispatchd address");
ABSL_FLAG(std::string, pki, "var/pki",
          "development PKI directory: ca.pem (trusted), admin.token (the default token), "
          "jwt.key (dispatchctl token)");
ABSL_FLAG(std::string, ca, "", "PEM CA certificates to trust (default: --pki/ca.pem)");
ABSL_FLAG(std::string, token, "",
          "bearer token (default: $DISPATCH_TOKEN, else the file --pki/admin.token)");
ABSL_FLAG(bool, plaintext, false,
          "connect without TLS (a server with tls.plaintext_on_loopback)");
ABSL_FLAG(std::string, subject, "", "token: who the token names");
ABSL_FLAG(std::string, roles, "", "token: roles, comma-separated (gateway,handler,dispatcher,"
                                  "supervisor,admin,pii)");
ABSL_FLAG(std::string, channels, "", "token: a gateway's channels, comma-separated");
ABSL_FLAG(double, ttl_h, 12, "token: hours until it expires");
ABSL_FLAG(double, timeout_s, 5, "RPC deadline in seconds");
ABSL_FLAG(std::string, channel, "CHANNEL_HOTLINE_12345", "submit/lookup: Channel enum name");
ABSL_FLAG(std::string, work_order, "", "submit/lookup: the channel's work-order id");
ABSL_FLAG(std::string, request_id, "", "submit: request id (channels without work orders)");
ABSL_FLAG(std::string, category, "CATEGORY_SERVICE_QUALITY", "submit: Category enum name");
ABSL_FLAG(std::string, title, "", "submit: short title");
ABSL_FLAG(std::string, description, "", "submit: what happened");
ABSL_FLAG(std::string, community, "", "submit: community unit code");
ABSL_FLAG(std::string, county, "", "submit: county unit code (where an unplaceable complaint goes)");
ABSL_FLAG(std::string, estate, "", "submit: estate (小区) name");
ABSL_FLAG(std::string, address, "", "submit: building/unit/room");
ABSL_FLAG(std::string, name, "", "submit: complainant name");
ABSL_FLAG(std::string, phone, "", "submit: complainant phone");
ABSL_FLAG(std::string, handler, "", "assign: handler id (empty: the least loaded on duty)");
ABSL_FLAG(std::string, unit, "",
          "route: unit code; list, watch: a unit subtree; token: the subject's unit");
ABSL_FLAG(std::string, department, "", "route: Department enum name");
ABSL_FLAG(std::string, reason, "", "return, set-company: why");
ABSL_FLAG(std::string, reason_code, "RETURN_REASON_NOT_OUR_DEPARTMENT", "return: ReturnReason");
ABSL_FLAG(std::string, text, "",
          "contact: preliminary result; resolve: the result; evaluate: a note");
ABSL_FLAG(std::string, company, "",
          "contact: the property company; company: its credit code or name");
ABSL_FLAG(std::string, credit_code, "",
          "set-company, evaluate: the company's unified social credit code");
ABSL_FLAG(std::string, list, "", "lists: one CompanyList (default all)");
ABSL_FLAG(int, year, 0, "evaluate: the year evaluated");
ABSL_FLAG(double, score, -1, "evaluate: the credit score, 0-100");
ABSL_FLAG(std::string, feedback, "", "resolve: what the complainant was told");
ABSL_FLAG(std::string, feedback_method, "FEEDBACK_METHOD_PHONE", "resolve: FeedbackMethod");
ABSL_FLAG(std::string, substantiation, "",
          "resolve: Substantiation, whether the complaint proved true (required when it names a "
          "property company)");
ABSL_FLAG(bool, refused_to_rectify, false, "resolve: the property company refused to put it right");
ABSL_FLAG(std::string, tier, "TIER_COMMUNITY", "revisit: the Tier calling back");
ABSL_FLAG(std::string, satisfaction, "", "revisit: Satisfaction (empty: not reached)");
ABSL_FLAG(bool, false_closure, false, "revisit: the closure was found false");
ABSL_FLAG(std::string, status, "", "list: only this TicketStatus");
ABSL_FLAG(bool, breached_only, false, "list: only tickets with a breached clock");
ABSL_FLAG(int, page_size, 50, "list: tickets per page");
ABSL_FLAG(std::string, cursor, "", "watch: resume after this cursor");
ABSL_FLAG(std::string, share_unit, "", "assign, sign, assist: the assisting share's unit");
ABSL_FLAG(std::string, share_department, "", "assign, sign, assist: its Department");
ABSL_FLAG(std::string, override_reason, "",
          "resolve: resolve although an assisting share is open, for this reason");
ABSL_FLAG(std::string, method, "", "revisit: RevisitMethod (e.g. REVISIT_METHOD_SITE_CHECK)");
ABSL_FLAG(std::string, month, "", "revisits, report, company, exit-candidates: a month YYYY-MM");
ABSL_FLAG(std::string, order_by, "MEASURE_COMPOSITE", "report: the Measure units are ranked by");
ABSL_FLAG(bool, csv, false, "report: the month's CSV export of the unit's subtree instead of a table");

namespace {

using namespace dispatch;  // NOLINT: a small tool

// Prints as JSON: timestamps read as RFC 3339 (UTC), durations as "1800s", enums by name.
void Print(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, options);
  printf("%s", json.c_str());
}

int Report(const grpc::Status& s) {
  if (s.ok()) return 0;
  fprintf(stderr, "error %d: %s\n", s.error_code(), s.error_message().c_str());
  return 1;
}

// The bearer token every call carries (empty: none found).
const std::string& Token() {
  static const std::string* const token = [] {
    std::string t = absl::GetFlag(FLAGS_token);
    if (t.empty() && getenv("DISPATCH_TOKEN") != nullptr) t = getenv("DISPATCH_TOKEN");
    if (t.empty()) {
      if (auto file = ReadFile(absl::GetFlag(FLAGS_pki) + "/admin.token"); file.ok()) t = *file;
    }
    return new std::string(absl::StripAsciiWhitespace(t));
  }();
  return *token;
}

// The token, on every call.
void Authorize(grpc::ClientContext* ctx) {
  if (!Token().empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", Token()));
}

// Every call but the watch: its deadline and the token.
void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(
                        static_cast<int64_t>(absl::GetFlag(FLAGS_timeout_s) * 1000)));
  Authorize(ctx);
}

// The channel to --target: TLS trusting --ca (or --pki/ca.pem), or plaintext when asked.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect() {
  if (absl::GetFlag(FLAGS_plaintext)) {
    return grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  }
  std::string ca_file = absl::GetFlag(FLAGS_ca);
  if (ca_file.empty()) ca_file = absl::GetFlag(FLAGS_pki) + "/ca.pem";
  auto ca = ReadFile(ca_file);
  if (!ca.ok()) {
    return absl::NotFoundError(absl::StrCat(
        ca.status().message(), " (the CA that signed the server's certificate: --ca, or "
        "--pki; tools/run makes var/pki)"));
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *std::move(ca);
  return grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::SslCredentials(options));
}

std::vector<std::string> SplitList(const std::string& list) {
  return absl::StrSplit(list, ',', absl::SkipEmpty());
}

// dev-pki: the development PKI in --pki, and a fresh admin token for the local operator (all
// roles but pii, at the city, every channel), valid 30 days.
int DevPki() {
  const std::string dir = absl::GetFlag(FLAGS_pki);
  if (absl::Status s = devpki::Ensure(dir); !s.ok()) {
    fprintf(stderr, "dev-pki: %s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<std::string> channels;
  for (int i = 1; i < v1::Channel_descriptor()->value_count(); ++i) {
    channels.push_back(v1::Channel_descriptor()->value(i)->name());
  }
  auto token = devpki::MintToken(dir, "admin", absl::GetFlag(FLAGS_unit),
                                 {"admin", "gateway", "dispatcher", "supervisor"}, channels,
                                 absl::Now(), absl::Hours(24 * 30));
  if (!token.ok()) {
    fprintf(stderr, "dev-pki: %s\n", token.status().ToString().c_str());
    return 1;
  }
  const std::string path = dir + "/admin.token";
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) {
    fprintf(stderr, "dev-pki: cannot write %s\n", path.c_str());
    return 1;
  }
  fchmod(fileno(f), 0600);
  fprintf(f, "%s\n", token->c_str());
  fclose(f);
  printf("%s: CA, server certificate, signing key; %s (admin, 30 days)\n", dir.c_str(),
         path.c_str());
  return 0;
}

// token: a development token signed with --pki/jwt.key.
int MintDevToken() {
  if (absl::GetFlag(FLAGS_subject).empty() || absl::GetFlag(FLAGS_roles).empty()) {
    fprintf(stderr, "token needs --subject and --roles (and --unit for a person)\n");
    return 2;
  }
  auto token = devpki::MintToken(
      absl::GetFlag(FLAGS_pki), absl::GetFlag(FLAGS_subject), absl::GetFlag(FLAGS_unit),
      SplitList(absl::GetFlag(FLAGS_roles)), SplitList(absl::GetFlag(FLAGS_channels)),
      absl::Now(), absl::Seconds(absl::GetFlag(FLAGS_ttl_h) * 3600));
  if (!token.ok()) {
    fprintf(stderr, "token: %s\n", token.status().ToString().c_str());
    return 1;
  }
  printf("%s\n", token->c_str());
  return 0;
}

int Health(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = grpc::health::v1::Health::NewStub(ch);
  int rc = 0;
  for (std::string service : {"", "dispatch.v1.IntakeService", "dispatch.v1.RoutingService",
                              "dispatch.v1.EscalationService"}) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    std::string status =
        s.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status())
               : absl::StrCat("error ", s.error_code(), " ", s.error_message());
    printf("%-32s %s\n", service.empty() ? "(server)" : service.c_str(), status.c_str());
    if (service.empty() && !(s.ok() && resp.status() == resp.SERVING)) rc = 1;
  }
  return rc;
}

bool ParseEnum(const google::protobuf::EnumDescriptor* d, const std::string& name, int* out) {
  const auto* v = d->FindValueByName(name);
  if (v == nullptr) {
    fprintf(stderr, "unknown %s value %s\n", d->name().c_str(), name.c_str());
    return false;
  }
  *out = v->number();
  return true;
}

int Submit(v1::IntakeService::Stub& stub) {
  v1::SubmitComplaintRequest req;
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  v1::Complaint* c = req.mutable_complaint();
  int channel, category;
  if (!ParseEnum(v1::Channel_descriptor(), absl::GetFlag(FLAGS_channel), &channel) ||
      !ParseEnum(v1::Category_descriptor(), absl::GetFlag(FLAGS_category), &category)) {
    return 2;
  }
  c->set_channel(static_cast<v1::Channel>(channel));
  c->set_category(static_cast<v1::Category>(category));
  c->set_channel_work_order_id(absl::GetFlag(FLAGS_work_order));
  c->set_title(absl::GetFlag(FLAGS_title));
  c->set_description(absl::GetFlag(FLAGS_description));
  c->mutable_location()->mutable_jurisdiction()->set_community_code(absl::GetFlag(FLAGS_community));
  c->mutable_location()->mutable_jurisdiction()->set_county_code(absl::GetFlag(FLAGS_county));
  c->mutable_location()->set_estate_name(absl::GetFlag(FLAGS_estate));
  c->mutable_location()->set_address(absl::GetFlag(FLAGS_address));
  c->mutable_complainant()->set_name(absl::GetFlag(FLAGS_name));
  c->mutable_complainant()->set_phone(absl::GetFlag(FLAGS_phone));
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::SubmitComplaintResponse resp;
  grpc::Status s = stub.SubmitComplaint(&ctx, req, &resp);
  if (s.ok()) Print(resp);
  return Report(s);
}

int Get(v1::IntakeService::Stub& stub, const std::string& id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetTicketRequest req;
  req.set_ticket_id(id);
  v1::GetTicketResponse resp;
  grpc::Status s = stub.GetTicket(&ctx, req, &resp);
  if (s.ok()) Print(resp);
  return Report(s);
}

int Lookup(v1::IntakeService::Stub& stub) {
  v1::LookupTicketRequest req;
  int channel;
  if (!ParseEnum(v1::Channel_descriptor(), absl::GetFlag(FLAGS_channel), &channel)) return 2;
  req.set_channel(static_cast<v1::Channel>(channel));
  req.set_channel_work_order_id(absl::GetFlag(FLAGS_work_order));
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetTicketResponse resp;
  grpc::Status s = stub.LookupTicket(&ctx, req, &resp);
  if (s.ok()) Print(resp);
  return Report(s);
}

// The assisting share named by --share_unit/--share_department into `share`; false (after
// saying why) when only one of them is given or the department is unknown. Neither: no share.
bool ShareFromFlags(v1::ShareRef* share, bool* given) {
  const std::string unit = absl::GetFlag(FLAGS_share_unit);
  const std::string dept = absl::GetFlag(FLAGS_share_department);
  *given = !unit.empty() || !dept.empty();
  if (!*given) return true;
  int d;
  if (unit.empty() || !ParseEnum(v1::Department_descriptor(), dept, &d)) {
    fprintf(stderr, "give both --share_unit and --share_department\n");
    return false;
  }
  share->set_unit_code(unit);
  share->set_department(static_cast<v1::Department>(d));
  return true;
}

// The write header for the ticket as it is now.
absl::StatusOr<v1::TicketWrite> WriteFor(v1::IntakeService::Stub& intake, const std::string& id,
                                         const std::string& command) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetTicketRequest req;
  req.set_ticket_id(id);
  v1::GetTicketResponse resp;
  grpc::Status s = intake.GetTicket(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  v1::TicketWrite w;
  w.set_ticket_id(id);
  w.set_expected_version(resp.ticket().version());
  w.set_request_id(absl::StrCat("ctl-", command, "-", id, "-", resp.ticket().version()));
  return w;
}

template <typename Request, typename Call>
int Write(v1::IntakeService::Stub& intake, const std::string& id, const std::string& command,
          Request req, Call call) {
  auto w = WriteFor(intake, id, command);
  if (!w.ok()) {
    fprintf(stderr, "error: %s\n", w.status().ToString().c_str());
    return 1;
  }
  *req.mutable_write() = *w;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::TicketActionResponse resp;
  grpc::Status s = call(&ctx, req, &resp);
  if (s.ok()) Print(resp);
  return Report(s);
}

}  // namespace

// A table cell of one rate: "12/15 80.0%", or "0/0 -" when undefined.
std::string Cell(const v1::Rate& r) {
  return r.has_percent()
             ? absl::StrFormat("%d/%d %.1f%%", r.numerator(), r.denominator(), r.percent())
             : absl::StrFormat("%d/%d -", r.numerator(), r.denominator());
}

// `text` padded with spaces to `width` terminal columns (CJK characters take two).
std::string Pad(const std::string& text, int width) {
  int columns = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    columns += c >= 0xE1 ? 2 : 1;      // three-byte sequences from U+1000 on: wide
  }
  return text + std::string(std::max(0, width - columns), ' ');
}

void PrintRow(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    absl::StrAppend(&line, i < 3 ? "" : "| ", Pad(cells[i], i == 0 ? 5 : i < 3 ? 14 : 17), " ");
  }
  printf("%s\n", line.c_str());
}

// One line of the table: rank, unit, name, the six rates, the composite.
void ReportLine(const std::string& rank, const std::string& unit, const std::string& name,
                const google::protobuf::RepeatedPtrField<v1::Rate>& rates, bool has_composite,
                double composite) {
  std::vector<std::string> cells = {rank, unit, name};
  for (const v1::Rate& r : rates) cells.push_back(Cell(r));
  cells.push_back(has_composite ? absl::StrFormat("%.2f", composite) : "");
  PrintRow(cells);
}

// The unit's scorecard for the month, then its children ranked (StatisticsService); with
// --csv, the month's export of the unit's subtree (ExportMonth).
int PrintReport(v1::StatisticsService::Stub& statistics) {
  if (absl::GetFlag(FLAGS_csv)) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ExportMonthRequest req;
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    req.set_month(absl::GetFlag(FLAGS_month));
    v1::ExportMonthResponse resp;
    grpc::Status s = statistics.ExportMonth(&ctx, req, &resp);
    if (s.ok()) fwrite(resp.csv().data(), 1, resp.csv().size(), stdout);
    return Report(s);
  }
  int order_by;
  if (!ParseEnum(v1::Measure_descriptor(), absl::GetFlag(FLAGS_order_by), &order_by)) return 2;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetScorecardRequest req;
  req.set_unit_code(absl::GetFlag(FLAGS_unit));
  req.set_month(absl::GetFlag(FLAGS_month));
  v1::Scorecard card;
  grpc::Status s = statistics.GetScorecard(&ctx, req, &card);
  if (!s.ok()) return Report(s);
  grpc::ClientContext ctx2;
  SetDeadline(&ctx2);
  v1::ListRankingsRequest rreq;
  rreq.set_parent_unit_code(card.unit_code());
  rreq.set_month(card.month());
  rreq.set_order_by(static_cast<v1::Measure>(order_by));
  v1::ListRankingsResponse ranked;
  s = statistics.ListRankings(&ctx2, rreq, &ranked);
  if (!s.ok()) return Report(s);
  std::string state = " (open: the figures still change)";
  if (card.final()) {
    state = absl::StrCat(" (final: published ",
                         absl::FormatTime("%Y-%m-%d %H:%M",
                                          absl::FromUnixSeconds(card.closed_at().seconds()),
                                          absl::LocalTimeZone()),
                         ")");
  }
  printf("%s %s, ranked by %s%s\n", card.month().c_str(), card.unit_name().c_str(),
         v1::Measure_Name(ranked.order_by()).c_str(), state.c_str());
  PrintRow({"rank", "unit", "name", "响应率", "解决率", "满意率", "按时办结率", "回退率", "重办率",
            absl::StrFormat("综合得分(%d/%d/%d)", card.weights().response(),
                            card.weights().resolution(), card.weights().satisfaction())});
  ReportLine("", card.unit_code(), card.unit_name(), card.rates(), card.has_composite(),
             card.composite());
  for (const v1::Ranking& r : ranked.rankings()) {
    ReportLine(std::to_string(r.rank()), r.unit_code(), r.unit_name(), r.rates(),
               r.has_composite(), r.composite());
  }
  for (const v1::RateAdjustment& a : card.adjustments()) {
    printf("adjusted since the close: %s %+lld/%+lld (%lld changes; dispatchctl adjustments)\n",
           v1::Measure_Name(a.measure()).c_str(), static_cast<long long>(a.numerator_delta()),
           static_cast<long long>(a.denominator_delta()), static_cast<long long>(a.count()));
  }
  return 0;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "dispatchctl health | submit [flags] | get TICKET_ID | lookup --channel=C --work_order=W | "
      "assign TICKET_ID [--handler=H] [--share_unit=U --share_department=D] | "
      "sign TICKET_ID [--share_unit=U --share_department=D] | "
      "assist TICKET_ID --share_unit=U --share_department=D --text=T | "
      "route TICKET_ID --unit=U --department=D | "
      "return TICKET_ID --reason=R [--reason_code=C] | org | contact TICKET_ID --text=T | "
      "resolve TICKET_ID --text=T --feedback=F | set-company TICKET_ID --credit_code=C --reason=R | "
      "revisit TICKET_ID --tier=T [--satisfaction=S] | "
      "history TICKET_ID | list [filters] | watch [--unit=U] [--cursor=C] | "
      "revisits [--unit=U] [--month=YYYY-MM] | breaches [--unit=U] | "
      "report --month=YYYY-MM [--unit=U] [--order_by=M] [--csv] | company --company=C --month=M | "
      "exit-candidates --month=M | adjustments --month=M [--unit=U] | lists --month=M [--list=L] | "
      "evaluate --credit_code=C --year=Y --score=S | dev-pki [--unit=CITY] | "
      "token --subject=S --unit=U --roles=R[,R] [--channels=C[,C]] [--ttl_h=H]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    fprintf(stderr, "%s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  std::string cmd = args[1];
  if (cmd == "dev-pki") return DevPki();
  if (cmd == "token") return MintDevToken();
  auto connected = Connect();
  if (!connected.ok()) {
    fprintf(stderr, "error: %s\n", connected.status().ToString().c_str());
    return 2;
  }
  std::shared_ptr<grpc::Channel> ch = *std::move(connected);
  auto stub = v1::IntakeService::NewStub(ch);
  if (cmd == "health") return Health(ch);
  if (cmd == "submit") return Submit(*stub);
  if (cmd == "get" && args.size() == 3) return Get(*stub, args[2]);
  if (cmd == "lookup") return Lookup(*stub);
  auto routing = v1::RoutingService::NewStub(ch);
  if (cmd == "org") {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetOrganisationResponse resp;
    grpc::Status s = routing->GetOrganisation(&ctx, v1::GetOrganisationRequest(), &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (args.size() == 3 && cmd == "assign") {
    v1::AssignTicketRequest req;
    req.set_handler_id(absl::GetFlag(FLAGS_handler));
    bool share = false;
    if (!ShareFromFlags(req.mutable_share(), &share)) return 2;
    if (!share) req.clear_share();
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->AssignTicket(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "sign") {
    v1::SignForTicketRequest req;
    bool share = false;
    if (!ShareFromFlags(req.mutable_share(), &share)) return 2;
    if (!share) req.clear_share();
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->SignForTicket(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "assist") {
    v1::RecordAssistResultRequest req;
    bool share = false;
    if (!ShareFromFlags(req.mutable_share(), &share) || !share) {
      fprintf(stderr, "assist needs --share_unit and --share_department\n");
      return 2;
    }
    req.set_result(absl::GetFlag(FLAGS_text));
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->RecordAssistResult(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "route") {
    v1::RouteTicketRequest req;
    int department;
    if (!ParseEnum(v1::Department_descriptor(), absl::GetFlag(FLAGS_department), &department)) {
      return 2;
    }
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    req.set_department(static_cast<v1::Department>(department));
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->RouteTicket(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "return") {
    v1::ReturnTicketRequest req;
    int code;
    if (!ParseEnum(v1::ReturnReason_descriptor(), absl::GetFlag(FLAGS_reason_code), &code)) {
      return 2;
    }
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_reason_code(static_cast<v1::ReturnReason>(code));
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->ReturnTicket(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "contact") {
    v1::RecordContactRequest req;
    req.set_preliminary_result(absl::GetFlag(FLAGS_text));
    req.set_property_company(absl::GetFlag(FLAGS_company));
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->RecordContact(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "set-company") {
    v1::SetPropertyCompanyRequest req;
    req.set_credit_code(absl::GetFlag(FLAGS_credit_code));
    req.set_reason(absl::GetFlag(FLAGS_reason));
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->SetPropertyCompany(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "resolve") {
    v1::ResolveTicketRequest req;
    int method;
    if (!ParseEnum(v1::FeedbackMethod_descriptor(), absl::GetFlag(FLAGS_feedback_method),
                   &method)) {
      return 2;
    }
    req.set_result(absl::GetFlag(FLAGS_text));
    req.set_feedback_to_complainant(absl::GetFlag(FLAGS_feedback));
    req.set_feedback_method(static_cast<v1::FeedbackMethod>(method));
    if (!absl::GetFlag(FLAGS_substantiation).empty()) {
      int verdict;
      if (!ParseEnum(v1::Substantiation_descriptor(), absl::GetFlag(FLAGS_substantiation), &verdict)) {
        return 2;
      }
      req.set_substantiation(static_cast<v1::Substantiation>(verdict));
    }
    req.set_refused_to_rectify(absl::GetFlag(FLAGS_refused_to_rectify));
    req.set_override_reason(absl::GetFlag(FLAGS_override_reason));
    req.set_override_open_shares(!req.override_reason().empty());
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return routing->ResolveTicket(ctx, r, resp);
    });
  }
  auto escalation = v1::EscalationService::NewStub(ch);
  if (args.size() == 3 && cmd == "revisit") {
    v1::RecordRevisitRequest req;
    int tier, satisfaction = 0;
    if (!ParseEnum(v1::Tier_descriptor(), absl::GetFlag(FLAGS_tier), &tier)) return 2;
    if (!absl::GetFlag(FLAGS_satisfaction).empty() &&
        !ParseEnum(v1::Satisfaction_descriptor(), absl::GetFlag(FLAGS_satisfaction),
                   &satisfaction)) {
      return 2;
    }
    req.set_tier(static_cast<v1::Tier>(tier));
    req.set_reached(satisfaction != 0);
    req.set_solved(satisfaction != 0 && satisfaction != v1::SATISFACTION_DISSATISFIED);
    req.set_satisfaction(static_cast<v1::Satisfaction>(satisfaction));
    req.set_false_closure(absl::GetFlag(FLAGS_false_closure));
    req.set_notes(absl::GetFlag(FLAGS_reason));
    if (!absl::GetFlag(FLAGS_method).empty()) {
      int method;
      if (!ParseEnum(v1::RevisitMethod_descriptor(), absl::GetFlag(FLAGS_method), &method)) {
        return 2;
      }
      req.set_method(static_cast<v1::RevisitMethod>(method));
    }
    return Write(*stub, args[2], cmd, req, [&](auto* ctx, const auto& r, auto* resp) {
      return escalation->RecordRevisit(ctx, r, resp);
    });
  }
  if (args.size() == 3 && cmd == "history") {
    v1::GetTicketHistoryRequest req;
    req.set_ticket_id(args[2]);
    req.set_page_size(500);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetTicketHistoryResponse resp;
    grpc::Status s = stub->GetTicketHistory(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "list") {
    v1::ListTicketsRequest req;
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    if (!absl::GetFlag(FLAGS_status).empty()) {
      int status;
      if (!ParseEnum(v1::TicketStatus_descriptor(), absl::GetFlag(FLAGS_status), &status)) return 2;
      req.add_statuses(static_cast<v1::TicketStatus>(status));
    }
    req.set_breached_only(absl::GetFlag(FLAGS_breached_only));
    req.set_page_size(absl::GetFlag(FLAGS_page_size));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ListTicketsResponse resp;
    grpc::Status s = stub->ListTickets(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "revisits") {
    v1::ListRevisitsRequest req;
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    req.set_month(absl::GetFlag(FLAGS_month));
    req.set_page_size(absl::GetFlag(FLAGS_page_size));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ListRevisitsResponse resp;
    grpc::Status s = escalation->ListRevisits(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "breaches") {
    v1::ListBreachesRequest req;
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    req.set_page_size(absl::GetFlag(FLAGS_page_size));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ListBreachesResponse resp;
    grpc::Status s = escalation->ListBreaches(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "report" || cmd == "company" || cmd == "exit-candidates" || cmd == "adjustments" ||
      cmd == "lists" || cmd == "evaluate") {
    auto statistics = v1::StatisticsService::NewStub(ch);
    if (cmd == "report") return PrintReport(*statistics);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    grpc::Status s;
    if (cmd == "company") {
      v1::GetCompanyRecordRequest req;
      req.set_company(absl::GetFlag(FLAGS_company));
      req.set_month(absl::GetFlag(FLAGS_month));
      req.set_page_size(absl::GetFlag(FLAGS_page_size));
      v1::CompanyRecord resp;
      s = statistics->GetCompanyRecord(&ctx, req, &resp);
      if (s.ok()) Print(resp);
    } else if (cmd == "lists") {
      v1::ListCompanyListsRequest req;
      req.set_month(absl::GetFlag(FLAGS_month));
      if (!absl::GetFlag(FLAGS_list).empty()) {
        int list;
        if (!ParseEnum(v1::CompanyList_descriptor(), absl::GetFlag(FLAGS_list), &list)) return 2;
        req.set_list(static_cast<v1::CompanyList>(list));
      }
      v1::ListCompanyListsResponse resp;
      s = statistics->ListCompanyLists(&ctx, req, &resp);
      if (s.ok()) Print(resp);
    } else if (cmd == "evaluate") {
      v1::RecordCreditEvaluationRequest req;
      req.set_credit_code(absl::GetFlag(FLAGS_credit_code));
      req.set_year(absl::GetFlag(FLAGS_year));
      req.set_score(absl::GetFlag(FLAGS_score));
      req.set_note(absl::GetFlag(FLAGS_text));
      v1::CreditEvaluation resp;
      s = statistics->RecordCreditEvaluation(&ctx, req, &resp);
      if (s.ok()) Print(resp);
    } else if (cmd == "adjustments") {
      v1::ListAdjustmentsRequest req;
      req.set_unit_code(absl::GetFlag(FLAGS_unit));
      req.set_month(absl::GetFlag(FLAGS_month));
      req.set_page_size(absl::GetFlag(FLAGS_page_size));
      v1::ListAdjustmentsResponse resp;
      s = statistics->ListAdjustments(&ctx, req, &resp);
      if (s.ok()) Print(resp);
    } else {
      v1::ListExitCandidatesRequest req;
      req.set_month(absl::GetFlag(FLAGS_month));
      v1::ListExitCandidatesResponse resp;
      s = statistics->ListExitCandidates(&ctx, req, &resp);
      if (s.ok()) Print(resp);
    }
    return Report(s);
  }
  if (cmd == "watch") {
    v1::WatchTicketEventsRequest req;
    req.set_unit_code(absl::GetFlag(FLAGS_unit));
    req.mutable_resume_after()->set_token(absl::GetFlag(FLAGS_cursor));
    grpc::ClientContext ctx;  // no deadline: follows until interrupted
    Authorize(&ctx);
    auto reader = stub->WatchTicketEvents(&ctx, req);
    v1::WatchTicketEventsResponse r;
    while (reader->Read(&r)) {
      Print(r);
      printf("\n");
      fflush(stdout);
    }
    return Report(reader->Finish());
  }
  fprintf(stderr, "%s\n", absl::ProgramUsageMessage().data());
  return 2;
}

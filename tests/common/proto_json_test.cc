// The gateway's JSON codec (common/proto_json.h) against protobuf's own JSON conversion: for
// every message of dispatch.v1 and dispatch.config.v1, and for a test type that has what ours do
// not (maps, wrappers, bytes, every integer kind, floats, nested repeated messages), messages
// filled at random print byte for byte as MessageToJsonString prints them, and each side parses
// what the other printed back to the same message. Then the rules one by one: names, nulls,
// numbers, enums, times, errors that name the field, bounds.
#include "common/proto_json.h"

#include "common/text.h"

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dispatch/config/v1/calendar.pb.h"
#include "dispatch/config/v1/config.pb.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/diagnostics.pb.h"
#include "dispatch/v1/escalation.pb.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/intake.pb.h"
#include "dispatch/v1/routing.pb.h"
#include "dispatch/v1/statistics.pb.h"
#include "dispatch/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace dispatch {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// A type with what dispatch.v1 lacks, built at run time over the generated pool.
constexpr char kTestFile[] = R"pb(
  name: "proto_json_test.proto"
  package: "dispatch.test"
  syntax: "proto3"
  dependency: "google/protobuf/timestamp.proto"
  dependency: "google/protobuf/duration.proto"
  dependency: "google/protobuf/wrappers.proto"
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "COLOR_RED" number: 1 }
    value { name: "COLOR_BLUE" number: 2 }
  }
  message_type {
    name: "Everything"
    field { name: "i32" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
    field { name: "s32" number: 2 label: LABEL_OPTIONAL type: TYPE_SINT32 }
    field { name: "f32" number: 3 label: LABEL_OPTIONAL type: TYPE_SFIXED32 }
    field { name: "u32" number: 4 label: LABEL_OPTIONAL type: TYPE_UINT32 }
    field { name: "x32" number: 5 label: LABEL_OPTIONAL type: TYPE_FIXED32 }
    field { name: "i64" number: 6 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field { name: "s64" number: 7 label: LABEL_OPTIONAL type: TYPE_SINT64 }
    field { name: "u64" number: 8 label: LABEL_OPTIONAL type: TYPE_UINT64 }
    field { name: "x64" number: 9 label: LABEL_OPTIONAL type: TYPE_FIXED64 }
    field { name: "flt" number: 10 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    field { name: "dbl" number: 11 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
    field { name: "on" number: 12 label: LABEL_OPTIONAL type: TYPE_BOOL }
    field { name: "text_value" number: 13 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "raw_bytes" number: 14 label: LABEL_OPTIONAL type: TYPE_BYTES }
    field { name: "color" number: 15 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".dispatch.test.Color" }
    field { name: "colors" number: 16 label: LABEL_REPEATED type: TYPE_ENUM type_name: ".dispatch.test.Color" }
    field { name: "numbers" number: 17 label: LABEL_REPEATED type: TYPE_SINT64 }
    field { name: "words" number: 18 label: LABEL_REPEATED type: TYPE_STRING }
    field { name: "child" number: 19 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".dispatch.test.Everything" }
    field { name: "children" number: 20 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".dispatch.test.Everything" }
    field { name: "by_name" number: 21 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".dispatch.test.Everything.ByNameEntry" }
    field { name: "by_number" number: 22 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".dispatch.test.Everything.ByNumberEntry" }
    field { name: "by_flag" number: 23 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".dispatch.test.Everything.ByFlagEntry" }
    field { name: "at" number: 24 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.Timestamp" }
    field { name: "times" number: 25 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".google.protobuf.Timestamp" }
    field { name: "took" number: 26 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.Duration" }
    field { name: "maybe_count" number: 27 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.Int64Value" }
    field { name: "maybe_text" number: 28 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.StringValue" }
    field { name: "maybe_ratio" number: 29 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.DoubleValue" }
    field { name: "opt_percent" number: 30 label: LABEL_OPTIONAL type: TYPE_DOUBLE oneof_index: 1 proto3_optional: true }
    field { name: "pick_name" number: 31 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 }
    field { name: "pick_count" number: 32 label: LABEL_OPTIONAL type: TYPE_INT32 oneof_index: 0 }
    field { name: "pick_child" number: 33 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".dispatch.test.Everything" oneof_index: 0 }
    field { name: "flts" number: 34 label: LABEL_REPEATED type: TYPE_FLOAT }
    oneof_decl { name: "pick" }
    oneof_decl { name: "_opt_percent" }
    nested_type {
      name: "ByNameEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 }
      options { map_entry: true }
    }
    nested_type {
      name: "ByNumberEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".dispatch.test.Everything" }
      options { map_entry: true }
    }
    nested_type {
      name: "ByFlagEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_BOOL }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
      options { map_entry: true }
    }
  }
)pb";

class TestTypes {
 public:
  TestTypes() : pool_(google::protobuf::DescriptorPool::generated_pool()) {
    google::protobuf::FileDescriptorProto file;
    if (!google::protobuf::TextFormat::ParseFromString(kTestFile, &file)) abort();
    if (pool_.BuildFile(file) == nullptr) abort();
    factory_.SetDelegateToGeneratedFactory(true);
  }
  std::unique_ptr<Message> New(const Descriptor* type) {
    return std::unique_ptr<Message>(factory_.GetPrototype(type)->New());
  }
  const Descriptor* Everything() const { return pool_.FindMessageTypeByName("dispatch.test.Everything"); }

 private:
  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
};

TestTypes& Types() {
  static auto* types = new TestTypes();
  return *types;
}

// Every message type of our packages, nested ones included.
std::vector<const Descriptor*> OurMessageTypes() {
  std::vector<const Descriptor*> out;
  std::function<void(const Descriptor*)> add = [&](const Descriptor* d) {
    if (d->options().map_entry()) return;
    out.push_back(d);
    for (int i = 0; i < d->nested_type_count(); ++i) add(d->nested_type(i));
  };
  const google::protobuf::FileDescriptor* files[] = {
      v1::SubmitComplaintRequest::descriptor()->file(), v1::TicketEvent::descriptor()->file(),
      v1::Ticket::descriptor()->file(), v1::ListBreachesRequest::descriptor()->file(),
      v1::GetScorecardRequest::descriptor()->file(), v1::RouteTicketRequest::descriptor()->file(),
      v1::EchoRequest::descriptor()->file(), config::v1::DispatchConfig::descriptor()->file(),
      config::v1::Organisation::descriptor()->file(), config::v1::HolidayCalendar::descriptor()->file()};
  std::set<const google::protobuf::FileDescriptor*> seen;
  for (const auto* f : files) {
    if (!seen.insert(f).second) continue;
    for (int i = 0; i < f->message_type_count(); ++i) add(f->message_type(i));
  }
  return out;
}

// Fills `m` at random: each field set or not, repeated fields 0-3 long, edge values often.
class Filler {
 public:
  explicit Filler(uint32_t seed) : rng_(seed) {}

  void Fill(Message* m, int depth) {
    const Descriptor* type = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    if (type->full_name() == "google.protobuf.Timestamp") {
      const int64_t seconds = Pick<int64_t>({0, -62135596800, 253402300799, 1764979200, -1}) +
                              (Coin() ? 0 : static_cast<int64_t>(rng_() % 100000000));
      r->SetInt64(m, type->field(0), std::min<int64_t>(seconds, 253402300799));
      r->SetInt32(m, type->field(1), Nanos());
      return;
    }
    if (type->full_name() == "google.protobuf.Duration") {
      const int64_t seconds = Pick<int64_t>({0, 1, 1800, 10800, 259200, 315576000000});
      const int32_t nanos = Nanos();
      const bool negative = Coin();
      r->SetInt64(m, type->field(0), negative ? -seconds : seconds);
      r->SetInt32(m, type->field(1), negative ? -nanos : nanos);
      return;
    }
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* f = type->field(i);
      if (Coin()) continue;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= 3) continue;
      if (f->is_repeated()) {
        const int n = static_cast<int>(rng_() % 4);
        for (int k = 0; k < n; ++k) {
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Message* sub = r->AddMessage(m, f);
            Fill(sub, depth + 1);
            if (f->is_map()) {  // map keys must differ, or the parsed map keeps one
              const FieldDescriptor* key = f->message_type()->map_key();
              const Reflection* sr = sub->GetReflection();
              switch (key->cpp_type()) {
                case FieldDescriptor::CPPTYPE_STRING: sr->SetString(sub, key, absl::StrCat("k", k, "键")); break;
                case FieldDescriptor::CPPTYPE_INT32: sr->SetInt32(sub, key, k - 1); break;
                case FieldDescriptor::CPPTYPE_BOOL:
                  if (k > 1) r->RemoveLast(m, f);
                  else sr->SetBool(sub, key, k == 1);
                  break;
                default: break;
              }
            }
          } else {
            Scalar(m, f, true);
          }
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Fill(r->MutableMessage(m, f), depth + 1);
      } else {
        Scalar(m, f, false);
      }
    }
  }

 private:
  bool Coin() { return rng_() % 2 == 0; }
  template <typename T>
  T Pick(std::initializer_list<T> values) {
    return *(values.begin() + rng_() % values.size());
  }
  int32_t Nanos() {
    switch (rng_() % 4) {
      case 0: return 0;
      case 1: return static_cast<int32_t>(rng_() % 1000) * 1000000;
      case 2: return static_cast<int32_t>(rng_() % 1000000) * 1000;
      default: return static_cast<int32_t>(rng_() % 1000000000);
    }
  }
  std::string Text() {
    static const char* kPieces[] = {"物业", "漏水", "a\"b", "back\\slash", "tab\t", "new\nline",
                                    "\x01\x1f", "<b>&</b>", "/", "😀", "", "ASCII", " ", "\u3000",
                                    "\x7f", "é", "\u2028"};
    std::string s;
    const int n = static_cast<int>(rng_() % 4);
    for (int i = 0; i < n; ++i) s += kPieces[rng_() % (sizeof kPieces / sizeof *kPieces)];
    return s;
  }
  void Scalar(Message* m, const FieldDescriptor* f, bool add) {
    const Reflection* r = m->GetReflection();
#define DISPATCH_SET(Kind, v) (add ? r->Add##Kind(m, f, v) : r->Set##Kind(m, f, v))
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        DISPATCH_SET(Int32, Pick<int32_t>({0, 1, -1, 42, std::numeric_limits<int32_t>::min(),
                                           std::numeric_limits<int32_t>::max()}));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        DISPATCH_SET(UInt32, Pick<uint32_t>({0, 1, 7, std::numeric_limits<uint32_t>::max()}));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        DISPATCH_SET(Int64, Pick<int64_t>({0, 1, -1, 1764979200123, std::numeric_limits<int64_t>::min(),
                                           std::numeric_limits<int64_t>::max()}));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        DISPATCH_SET(UInt64, Pick<uint64_t>({0, 1, 9007199254740993ull,
                                             std::numeric_limits<uint64_t>::max()}));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        DISPATCH_SET(Float, Pick<float>({0.0f, 0.1f, -2.5f, 3.4028235e38f, 1.17549435e-38f,
                                         16777217.0f, 1e-45f, 1.0f / 3}));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        DISPATCH_SET(Double, Pick<double>({0.0, 0.1, -2.5, 1.0 / 3, 1e300, 5e-324, 97.5, 1e21,
                                           123456789012345678.0, 0.1 + 0.2}));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        DISPATCH_SET(Bool, Coin());
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = f->enum_type();
        // Now and then a number the enum does not name (proto3 enums are open).
        const int number = rng_() % 8 == 0 ? 99 : e->value(static_cast<int>(rng_() % e->value_count()))->number();
        DISPATCH_SET(EnumValue, number);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          std::string b;
          const int n = static_cast<int>(rng_() % 7);
          for (int i = 0; i < n; ++i) b.push_back(static_cast<char>(rng_()));
          DISPATCH_SET(String, b);
        } else {
          DISPATCH_SET(String, Text());
        }
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
#undef DISPATCH_SET
  }
  std::mt19937 rng_;
};

std::string Ours(const Message& m) {
  std::string out;
  absl::Status s = json::AppendJson(m, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}
std::string Theirs(const Message& m, bool proto_names = false) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_names;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out, options).ok());
  return out;
}

void ExpectSameAsProtobuf(const Descriptor* type, uint32_t seed) {
  SCOPED_TRACE(absl::StrCat(type->full_name(), " seed ", seed));
  std::unique_ptr<Message> m = Types().New(type);
  Filler(seed).Fill(m.get(), 0);
  const std::string ours = Ours(*m);
  const std::string theirs = Theirs(*m);
  EXPECT_EQ(ours, theirs);

  std::unique_ptr<Message> back = Types().New(type);
  ASSERT_TRUE(json::ParseJson(theirs, back.get()).ok()) << json::ParseJson(theirs, back.get());
  EXPECT_TRUE(MessageDifferencer::Equals(*m, *back)) << theirs << "\n" << back->DebugString();
  ASSERT_TRUE(json::ParseJson(Theirs(*m, true), back.get()).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*m, *back)) << Theirs(*m, true);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ours, back.get()).ok()) << ours;
  EXPECT_TRUE(MessageDifferencer::Equals(*m, *back)) << ours;
}

TEST(ProtoJson, EveryDispatchMessagePrintsAsProtobufPrintsItAndBothSidesReadEachOther) {
  const std::vector<const Descriptor*> types = OurMessageTypes();
  ASSERT_GT(types.size(), 100u);
  for (const Descriptor* type : types) {
    for (uint32_t seed = 1; seed <= 25; ++seed) ExpectSameAsProtobuf(type, seed);
  }
}

TEST(ProtoJson, MapsWrappersBytesEveryIntegerKindAndOneofsPrintAndReadAsProtobufDoes) {
  for (uint32_t seed = 1; seed <= 400; ++seed) ExpectSameAsProtobuf(Types().Everything(), seed);
}

TEST(ProtoJson, NoDispatchMessageUsesAWellKnownTypeTheCodecRefuses) {
  static const std::set<std::string> kRefused = {"google.protobuf.Any", "google.protobuf.Struct",
                                                 "google.protobuf.Value", "google.protobuf.ListValue",
                                                 "google.protobuf.FieldMask"};
  for (const Descriptor* type : OurMessageTypes()) {
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* f = type->field(i);
      if (f->message_type() == nullptr) continue;
      EXPECT_EQ(kRefused.count(f->message_type()->full_name()), 0u) << f->full_name();
    }
  }
  google::protobuf::Struct s;
  std::string out;
  EXPECT_EQ(json::AppendJson(s, &out).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(json::ParseJson("{}", &s).code(), absl::StatusCode::kUnimplemented);
}

absl::Status Parse(absl::string_view text, Message* m, bool ignore_unknown = false) {
  json::ParseOptions options;
  options.ignore_unknown_fields = ignore_unknown;
  return json::ParseJson(text, m, options);
}

TEST(ProtoJson, AFieldIsReadByItsJsonNameOrItsProtoNameAndNullLeavesItUnset) {
  v1::SubmitComplaintRequest r;
  ASSERT_TRUE(Parse(R"({"requestId":"r-1","complaint":{"channel_work_order_id":"WO-1","reportedAt":null}})", &r).ok());
  EXPECT_EQ(r.request_id(), "r-1");
  EXPECT_EQ(r.complaint().channel_work_order_id(), "WO-1");
  EXPECT_FALSE(r.complaint().has_reported_at());
}

TEST(ProtoJson, NumbersAreReadFromNumbersOrStringsAndAnIntegerFieldTakesOnlyIntegersInRange) {
  std::unique_ptr<Message> m = Types().New(Types().Everything());
  const Descriptor* t = Types().Everything();
  const Reflection* r = m->GetReflection();
  ASSERT_TRUE(Parse(R"({"i32":"-7","i64":1e3,"u64":"18446744073709551615","dbl":"Infinity","flt":"NaN"})", m.get()).ok());
  EXPECT_EQ(r->GetInt32(*m, t->FindFieldByName("i32")), -7);
  EXPECT_EQ(r->GetInt64(*m, t->FindFieldByName("i64")), 1000);
  EXPECT_EQ(r->GetUInt64(*m, t->FindFieldByName("u64")), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(std::isinf(r->GetDouble(*m, t->FindFieldByName("dbl"))));
  EXPECT_TRUE(std::isnan(r->GetFloat(*m, t->FindFieldByName("flt"))));

  EXPECT_THAT(Parse(R"({"i32":2147483648})", m.get()).message(),
              HasSubstr("i32: \"2147483648\" is not an integer in range of int32"));
  EXPECT_THAT(Parse(R"({"i32":1.5})", m.get()).message(), HasSubstr("i32:"));
  EXPECT_THAT(Parse(R"({"u32":-1})", m.get()).message(), HasSubstr("u32:"));
  EXPECT_THAT(Parse(R"({"flt":1e39})", m.get()).message(), HasSubstr("flt: \"1e39\" is not a number in range of float"));
  EXPECT_THAT(Parse(R"({"i64":true})", m.get()).message(), HasSubstr("i64: expected an integer, got a boolean"));
  EXPECT_THAT(Parse(R"({"on":"yes"})", m.get()).message(), HasSubstr("on: expected true or false, got a string"));
  // As protobuf reads them: booleans as the strings "true"/"false", integral doubles up to the
  // type's range.
  ASSERT_TRUE(Parse(R"({"on":"true","i64":1e18,"u64":1.8e19})", m.get()).ok());
  EXPECT_TRUE(r->GetBool(*m, t->FindFieldByName("on")));
  EXPECT_EQ(r->GetInt64(*m, t->FindFieldByName("i64")), 1000000000000000000);
  EXPECT_EQ(r->GetUInt64(*m, t->FindFieldByName("u64")), 18000000000000000000u);
  EXPECT_THAT(Parse(R"({"i64":9.3e18})", m.get()).message(), HasSubstr("i64: \"9.3e18\" is not an integer in range of int64"));
  EXPECT_THAT(Parse(R"({"flt":3.4028236e38})", m.get()).message(), HasSubstr("flt:"));
  EXPECT_TRUE(Parse(R"({"flt":3.4028235e38})", m.get()).ok());
}

TEST(ProtoJson, EnumsAreReadByNameOrNumberAndAnUnknownNameIsRefusedUnlessUnknownsAreIgnored) {
  v1::ListTicketsRequest r;
  const std::string name = v1::TicketStatus_Name(v1::TICKET_STATUS_RESOLVED);
  ASSERT_TRUE(Parse(absl::StrCat(R"({"statuses":[")", name, R"(", 1, "2"]})"), &r).ok());
  ASSERT_EQ(r.statuses_size(), 3);
  EXPECT_EQ(r.statuses(0), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(r.statuses(1), 1);
  EXPECT_EQ(r.statuses(2), 2);  // a number in a string, as protobuf reads it
  absl::Status refused = Parse(R"({"statuses":["TICKET_STATUS_NOPE"]})", &r);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("statuses[0]: \"TICKET_STATUS_NOPE\" is not a value of dispatch.v1.TicketStatus"));
  ASSERT_TRUE(Parse(R"({"statuses":["TICKET_STATUS_NOPE"]})", &r, true).ok());
  EXPECT_EQ(r.statuses_size(), 0);
}

TEST(ProtoJson, AnUnknownFieldIsRefusedByNameOrSkippedWhateverItHolds) {
  v1::SubmitComplaintRequest r;
  absl::Status refused = Parse(R"({"complaint":{"colour":"red"}})", &r);
  EXPECT_THAT(refused.message(), HasSubstr("complaint: no field \"colour\" in dispatch.v1.Complaint"));
  ASSERT_TRUE(Parse(R"({"x":{"a":[1,{"b":null},"s"]},"requestId":"r","y":[[]]})", &r, true).ok());
  EXPECT_EQ(r.request_id(), "r");
}

TEST(ProtoJson, TimestampsAreReadWithAnyOffsetAndImpossibleDatesAreRefused) {
  google::protobuf::Timestamp t;
  ASSERT_TRUE(Parse(R"("2026-12-06T12:30:00.5+08:00")", &t).ok());
  EXPECT_EQ(t.seconds(), 1796531400);  // 04:30:00 UTC
  EXPECT_EQ(t.nanos(), 500000000);
  std::string out;
  ASSERT_TRUE(json::AppendJson(t, &out).ok());
  EXPECT_EQ(out, "\"2026-12-06T04:30:00.500Z\"");
  for (const char* bad : {R"("2026-02-30T00:00:00Z")", R"("2026-12-06T24:00:00Z")",
                          R"("2026-12-06 04:30:00Z")", R"("2026-12-06T04:30:00")",
                          R"("2026-12-06T04:30:00.1234567891Z")", R"("0000-12-31T00:00:00Z")",
                          R"(1765004400)"}) {
    EXPECT_EQ(Parse(bad, &t).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  t.set_seconds(253402300800);  // year 10000
  EXPECT_EQ(json::AppendJson(t, &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProtoJson, DurationsReadAndPrintAsSecondsWithTheirSign) {
  google::protobuf::Duration d;
  ASSERT_TRUE(Parse(R"("-0.250s")", &d).ok());
  EXPECT_EQ(d.seconds(), 0);
  EXPECT_EQ(d.nanos(), -250000000);
  std::string out;
  ASSERT_TRUE(json::AppendJson(d, &out).ok());
  EXPECT_EQ(out, "\"-0.250s\"");
  for (const char* bad : {R"("1.5")", R"("s")", R"("1.5m")", R"("-s")", R"("315576000001s")"}) {
    EXPECT_EQ(Parse(bad, &d).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ProtoJson, StringsAreDecodedEscapesAndAllAndMustBeUtf8) {
  v1::SubmitComplaintRequest r;
  ASSERT_TRUE(Parse(R"({"requestId":"\u7269\u4e1a\ud83d\ude00\n\/"})", &r).ok());
  EXPECT_EQ(r.request_id(), "物业😀\n/");
  EXPECT_THAT(Parse("{\"requestId\":\"\xff\"}", &r).message(), HasSubstr("requestId: a string is not valid UTF-8"));
  EXPECT_THAT(Parse(R"({"requestId":"\ud83d"})", &r).message(), HasSubstr("requestId: a lone UTF-16 surrogate"));
  EXPECT_THAT(Parse("{\"requestId\":\"a\nb\"}", &r).message(), HasSubstr("a control character"));
}

TEST(ProtoJson, InvisibleFormatCharactersPassAsUtf8WhereProtobufEscapesThemAndReadTheSame) {
  v1::SubmitComplaintRequest r;
  r.set_request_id("a\u200Bb\u00AD\uFEFF");  // zero-width space, soft hyphen, BOM
  const std::string ours = Ours(r), theirs = Theirs(r);
  EXPECT_NE(ours, theirs);
  EXPECT_THAT(ours, HasSubstr("a\u200Bb"));
  v1::SubmitComplaintRequest from_ours, from_theirs;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ours, &from_ours).ok());
  ASSERT_TRUE(json::ParseJson(theirs, &from_theirs).ok());
  EXPECT_EQ(from_ours.request_id(), r.request_id());
  EXPECT_EQ(from_theirs.request_id(), r.request_id());
}

TEST(ProtoJson, AStoredStringThatIsNotUtf8StillPrintsAsValidJsonWithReplacementCharacters) {
  v1::SubmitComplaintRequest r;
  r.set_request_id("a\xff\xe7\x89" "b");  // a stray byte and a cut-off 物
  const std::string out = Ours(r);
  EXPECT_TRUE(IsValidUtf8(out)) << out;
  EXPECT_EQ(out, "{\"requestId\":\"a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\"}");
}

TEST(ProtoJson, ASecondFieldOfAOneofIsRefused) {
  std::unique_ptr<Message> m = Types().New(Types().Everything());
  EXPECT_THAT(Parse(R"({"pickName":"a","pickCount":1})", m.get()).message(),
              HasSubstr("pickCount: a second field of oneof pick"));
  // proto3 `optional` is a oneof of its own, and no other field is in it.
  ASSERT_TRUE(Parse(R"({"optPercent":0,"pickCount":0})", m.get()).ok());
  EXPECT_EQ(Ours(*m), R"({"optPercent":0,"pickCount":0})");
}

TEST(ProtoJson, BrokenTextIsRefusedAndLeavesTheMessageEmpty) {
  v1::SubmitComplaintRequest r;
  for (const char* bad : {"", "{", "{\"requestId\":\"r\"", "{\"requestId\":\"r\",}", "[]",
                          "{\"requestId\" \"r\"}", "{\"requestId\":\"r\"} x", "{\"requestId\":01}",
                          "{\"complaint\":\"text\"}", "{\"requestId\":[\"r\"]}", "nul"}) {
    absl::Status s = Parse(bad, &r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.ByteSizeLong(), 0u) << bad;
  }
}

TEST(ProtoJson, NestingIsBoundedAt100) {
  std::unique_ptr<Message> m = Types().New(Types().Everything());
  std::string deep;
  for (int i = 0; i < 150; ++i) deep += "{\"child\":";
  deep += "{}";
  for (int i = 0; i < 150; ++i) deep += "}";
  EXPECT_THAT(Parse(deep, m.get()).message(), HasSubstr("nested more than 100 deep"));
  std::string skipped = "{\"unknown\":";
  for (int i = 0; i < 5000; ++i) skipped += "[";
  EXPECT_THAT(Parse(skipped, m.get(), true).message(), HasSubstr("nested more than 100 deep"));
}

}  // namespace
}  // namespace dispatch

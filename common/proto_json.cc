#include "common/proto_json.h"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/text.h"

namespace dispatch::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

constexpr int kMaxDepth = 100;
// The least magnitude that rounds to a float infinity: halfway between FLT_MAX and 2^128.
constexpr double kFloatOverflow = 3.4028235677973366e38;
// The range google.protobuf.Timestamp and Duration may hold (0001-01-01 .. 9999-12-31, ±10,000
// years).
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int64_t kMaxDurationSeconds = 315576000000;

void AppendQuoted(absl::string_view s, std::string* out);

// What the codec knows about one message type, built once.
struct TypeInfo {
  enum class Kind { kPlain, kTimestamp, kDuration, kWrapper, kUnsupported };
  Kind kind = Kind::kPlain;
  struct Field {
    const FieldDescriptor* field;
    std::string key;  // "\"jsonName\":"
  };
  std::vector<Field> fields;                                        // by field number
  absl::flat_hash_map<std::string, const FieldDescriptor*> by_name;  // JSON and proto names
};

const TypeInfo& SharedInfo(const Descriptor* type);

// Each thread keeps the types it met: the shared table's lock (absl::Mutex, with Debian's
// deadlock detection) cost more than the rest of a small conversion.
const TypeInfo& Info(const Descriptor* type) {
  thread_local absl::flat_hash_map<const Descriptor*, const TypeInfo*> mine;
  auto it = mine.find(type);
  if (it != mine.end()) return *it->second;
  const TypeInfo& info = SharedInfo(type);
  mine.emplace(type, &info);
  return info;
}

const TypeInfo& SharedInfo(const Descriptor* type) {
  ABSL_CONST_INIT static absl::Mutex mu(absl::kConstInit);
  static auto* cache ABSL_GUARDED_BY(mu) =
      new absl::flat_hash_map<const Descriptor*, std::unique_ptr<TypeInfo>>();
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = cache->find(type);
    if (it != cache->end()) return *it->second;
  }
  auto info = std::make_unique<TypeInfo>();
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") {
    info->kind = TypeInfo::Kind::kTimestamp;
  } else if (name == "google.protobuf.Duration") {
    info->kind = TypeInfo::Kind::kDuration;
  } else if (name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue" ||
             name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value" ||
             name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value" ||
             name == "google.protobuf.BoolValue" || name == "google.protobuf.StringValue" ||
             name == "google.protobuf.BytesValue") {
    info->kind = TypeInfo::Kind::kWrapper;
  } else if (name == "google.protobuf.Any" || name == "google.protobuf.Struct" ||
             name == "google.protobuf.Value" || name == "google.protobuf.ListValue" ||
             name == "google.protobuf.FieldMask") {
    info->kind = TypeInfo::Kind::kUnsupported;
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    std::string key;
    AppendQuoted(f->json_name(), &key);
    key.push_back(':');
    info->fields.push_back({f, std::move(key)});
    info->by_name.emplace(f->json_name(), f);
    info->by_name.emplace(f->name(), f);
  }
  std::sort(info->fields.begin(), info->fields.end(), [](const auto& a, const auto& b) {
    return a.field->number() < b.field->number();
  });
  absl::MutexLock lock(&mu);
  auto [it, inserted] = cache->emplace(type, std::move(info));
  return *it->second;
}

absl::Status Unsupported(const Descriptor* type) {
  return absl::UnimplementedError(
      absl::StrCat(type->full_name(), ": not supported by the JSON codec"));
}

// The shortest of "%.{short}g" and "%.{long}g" that reads back as `v` (protobuf's SimpleDtoa and
// SimpleFtoa).
template <typename T>
void AppendFloating(T v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  constexpr bool kFloat = std::is_same<T, float>::value;
  char buf[40];
  snprintf(buf, sizeof buf, "%.*g", kFloat ? FLT_DIG : DBL_DIG, static_cast<double>(v));
  bool exact;
  if (kFloat) {
    // As protobuf's SimpleFtoa: a subnormal float read back sets ERANGE and takes 9 digits.
    errno = 0;
    exact = strtof(buf, nullptr) == v && errno == 0;
  } else {
    exact = strtod(buf, nullptr) == v;
  }
  if (!exact) snprintf(buf, sizeof buf, "%.*g", kFloat ? FLT_DIG + 3 : DBL_DIG + 2, static_cast<double>(v));
  out->append(buf);
}

// `s` as a JSON string, escaped as protobuf escapes it: '"', '\\', the control characters
// (\b \f \n \r \t or \u00XX), DEL, '<' and '>' (so the text is safe inside HTML) and the line
// and paragraph separators U+2028/U+2029 (line ends to JavaScript). Protobuf also escapes other
// invisible format characters (soft hyphen, zero-width and bidi marks, U+FEFF); they pass
// through here as UTF-8, which any JSON reader takes as the same text.
// `s` with each byte that does not begin a well-formed UTF-8 sequence replaced by U+FFFD.
std::string Utf8Repaired(absl::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len != 0 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

void AppendQuoted(absl::string_view s, std::string* out) {
  // Text is checked to be UTF-8 where it enters; should a stored string not be, the JSON still
  // is (protobuf drops such bytes; a replacement character shows where they were).
  if (!IsValidUtf8(s)) {
    const std::string repaired = Utf8Repaired(s);
    return AppendQuoted(repaired, out);
  }
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const char* escape = nullptr;
    char buf[8];
    if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
      switch (c) {
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
          snprintf(buf, sizeof buf, "\\u%04x", c);
          escape = buf;
      }
    } else if (c == '"') {
      escape = "\\\"";
    } else if (c == '\\') {
      escape = "\\\\";
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      escape = static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      out->append(s.data() + run, i - run);
      out->append(escape);
      i += 2;
      run = i + 1;
      continue;
    } else {
      continue;
    }
    out->append(s.data() + run, i - run);
    out->append(escape);
    run = i + 1;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

// 0, 3, 6 or 9 digits after a '.', as few as show `nanos` exactly.
// `value` as exactly `width` decimal digits (zeros in front) at `p`.
char* PutDigits(uint32_t value, int width, char* p) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

void AppendNanos(int32_t nanos, std::string* out) {
  if (nanos == 0) return;
  char buf[10];
  buf[0] = '.';
  char* end;
  if (nanos % 1000000 == 0) {
    end = PutDigits(static_cast<uint32_t>(nanos / 1000000), 3, buf + 1);
  } else if (nanos % 1000 == 0) {
    end = PutDigits(static_cast<uint32_t>(nanos / 1000), 6, buf + 1);
  } else {
    end = PutDigits(static_cast<uint32_t>(nanos), 9, buf + 1);
  }
  out->append(buf, end - buf);
}

// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's civil_from_days).
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  absl::Status Object(const Message& m, int depth) {
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError("message nested more than 100 deep");
    }
    const Descriptor* type = m.GetDescriptor();
    const TypeInfo& info = Info(type);
    const Reflection* r = m.GetReflection();
    switch (info.kind) {
      case TypeInfo::Kind::kTimestamp:
        return Timestamp(r->GetInt64(m, info.fields[0].field), r->GetInt32(m, info.fields[1].field));
      case TypeInfo::Kind::kDuration:
        return Duration(r->GetInt64(m, info.fields[0].field), r->GetInt32(m, info.fields[1].field));
      case TypeInfo::Kind::kWrapper:
        return Value(m, info.fields[0].field, -1, depth);
      case TypeInfo::Kind::kUnsupported:
        return Unsupported(type);
      case TypeInfo::Kind::kPlain:
        break;
    }
    out_->push_back('{');
    bool first = true;
    for (const TypeInfo::Field& field : info.fields) {
      const FieldDescriptor* f = field.field;
      if (f->is_repeated() ? r->FieldSize(m, f) == 0 : !r->HasField(m, f)) continue;
      if (!first) out_->push_back(',');
      first = false;
      out_->append(field.key);
      absl::Status s;
      if (f->is_map()) {
        s = Map(m, f, depth);
      } else if (f->is_repeated()) {
        out_->push_back('[');
        const int n = r->FieldSize(m, f);
        for (int i = 0; i < n && s.ok(); ++i) {
          if (i > 0) out_->push_back(',');
          s = Value(m, f, i, depth);
        }
        out_->push_back(']');
      } else {
        s = Value(m, f, -1, depth);
      }
      if (!s.ok()) return s;
    }
    out_->push_back('}');
    return absl::OkStatus();
  }

 private:
  absl::Status Map(const Message& m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m.GetReflection();
    const FieldDescriptor* key = f->message_type()->map_key();
    const FieldDescriptor* value = f->message_type()->map_value();
    out_->push_back('{');
    const int n = r->FieldSize(m, f);
    for (int i = 0; i < n; ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      const Reflection* er = entry.GetReflection();
      if (i > 0) out_->push_back(',');
      switch (key->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          AppendQuoted(er->GetString(entry, key), out_);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          out_->append(er->GetBool(entry, key) ? "\"true\"" : "\"false\"");
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          absl::StrAppend(out_, "\"", er->GetInt32(entry, key), "\"");
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          absl::StrAppend(out_, "\"", er->GetUInt32(entry, key), "\"");
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          absl::StrAppend(out_, "\"", er->GetInt64(entry, key), "\"");
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          absl::StrAppend(out_, "\"", er->GetUInt64(entry, key), "\"");
          break;
        default:
          return absl::InternalError(absl::StrCat(f->full_name(), ": map key type"));
      }
      out_->push_back(':');
      if (absl::Status s = Value(entry, value, -1, depth); !s.ok()) return s;
    }
    out_->push_back('}');
    return absl::OkStatus();
  }

  // Field `f` of `m` (element `index` of a repeated field, or the singular field for -1).
  absl::Status Value(const Message& m, const FieldDescriptor* f, int index, int depth) {
    const Reflection* r = m.GetReflection();
    const bool rep = index >= 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        absl::StrAppend(out_, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(out_, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        absl::StrAppend(out_, "\"", rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f),
                        "\"");
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        absl::StrAppend(out_, "\"", rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f),
                        "\"");
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        AppendFloating(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        AppendFloating(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_->append((rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false");
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int number = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
        const EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(number);
        if (v != nullptr) {
          out_->push_back('"');
          out_->append(v->name());
          out_->push_back('"');
        } else {
          absl::StrAppend(out_, number);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                   : r->GetStringReference(m, f, &scratch);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          out_->push_back('"');
          out_->append(absl::Base64Escape(s));
          out_->push_back('"');
        } else {
          AppendQuoted(s, out_);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Object(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), depth + 1);
    }
    return absl::OkStatus();
  }

  absl::Status Timestamp(int64_t seconds, int32_t nanos) {
    if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 ||
        nanos > 999999999) {
      return absl::InvalidArgumentError(absl::StrCat(
          "google.protobuf.Timestamp: seconds ", seconds, ", nanos ", nanos, " out of range"));
    }
    // Floor division: 1969-12-31T23:59:59 is day -1, second 86399.
    const int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    const uint32_t in_day = static_cast<uint32_t>(seconds - days * 86400);
    int64_t year;
    unsigned month, day;
    CivilFromDays(days, &year, &month, &day);
    char buf[24];
    char* p = buf;
    *p++ = '"';
    p = PutDigits(static_cast<uint32_t>(year), 4, p);
    *p++ = '-';
    p = PutDigits(month, 2, p);
    *p++ = '-';
    p = PutDigits(day, 2, p);
    *p++ = 'T';
    p = PutDigits(in_day / 3600, 2, p);
    *p++ = ':';
    p = PutDigits(in_day / 60 % 60, 2, p);
    *p++ = ':';
    p = PutDigits(in_day % 60, 2, p);
    out_->append(buf, p - buf);
    AppendNanos(nanos, out_);
    out_->append("Z\"");
    return absl::OkStatus();
  }

  absl::Status Duration(int64_t seconds, int32_t nanos) {
    if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds || nanos <= -1000000000 ||
        nanos >= 1000000000 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "google.protobuf.Duration: seconds ", seconds, ", nanos ", nanos, " out of range"));
    }
    out_->push_back('"');
    if (seconds < 0 || nanos < 0) out_->push_back('-');
    absl::StrAppend(out_, seconds < 0 ? -seconds : seconds);
    AppendNanos(nanos < 0 ? -nanos : nanos, out_);
    out_->append("s\"");
    return absl::OkStatus();
  }

  std::string* out_;
};

// ---------------------------------------------------------------------------------------------
// Parsing.

// One JSON scalar as read: a string (decoded), a number (its text), true/false or null.
struct Scalar {
  enum class Type { kString, kNumber, kBool, kNull } type = Type::kNull;
  std::string text;  // the decoded string, or the number's text
  bool boolean = false;
  const char* Name() const {
    switch (type) {
      case Type::kString: return "a string";
      case Type::kNumber: return "a number";
      case Type::kBool: return "a boolean";
      case Type::kNull: return "null";
    }
    return "?";
  }
};

class Parser {
 public:
  Parser(absl::string_view in, const ParseOptions& options) : in_(in), options_(options) {}

  absl::Status Top(Message* m) {
    if (absl::Status s = MessageValue(m); !s.ok()) return s;
    SkipSpace();
    if (pos_ != in_.size()) return Error(absl::StrCat("unexpected text after the JSON value at byte ", pos_));
    return absl::OkStatus();
  }

 private:
  // --- errors name where they happened: the path of fields from the top.
  struct Step {
    const FieldDescriptor* field;
    int index;  // element of a repeated field, or -1
  };
  absl::Status Error(absl::string_view rule) const {
    std::string path;
    for (const Step& s : path_) {
      if (!path.empty()) path.push_back('.');
      path.append(s.field->json_name());
      if (s.index >= 0) absl::StrAppend(&path, "[", s.index, "]");
    }
    return absl::InvalidArgumentError(
        path.empty() ? std::string(rule) : absl::StrCat(path, ": ", rule));
  }
  absl::Status Syntax(absl::string_view expected) const {
    if (pos_ >= in_.size()) return Error(absl::StrCat("expected ", expected, ", got the end of the text"));
    return Error(absl::StrCat("expected ", expected, " at byte ", pos_));
  }

  // --- tokens.
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return pos_ < in_.size() ? in_[pos_] : '\0';
  }
  bool Literal(absl::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > in_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = HexDigit(in_[pos_ + i]);
      if (d < 0) return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 4;
    *out = v;
    return true;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // A string token (the opening quote next); decoded and checked to be UTF-8.
  absl::Status String(std::string* out) {
    if (!Consume('"')) return Syntax("a string");
    out->clear();
    for (;;) {
      size_t run = pos_;
      while (run < in_.size() && in_[run] != '"' && in_[run] != '\\' &&
             static_cast<unsigned char>(in_[run]) >= 0x20) {
        ++run;
      }
      out->append(in_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= in_.size()) return Error("a string is not closed");
      const char c = in_[pos_++];
      if (c == '"') break;
      if (c != '\\') return Error(absl::StrCat("a control character in a string at byte ", pos_ - 1));
      if (pos_ >= in_.size()) return Error("a string is not closed");
      const char e = in_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return Error(absl::StrCat("a bad \\u escape at byte ", pos_));
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (!Literal("\\u") || !Hex4(&low) || low < 0xDC00 || low > 0xDFFF) {
              return Error(absl::StrCat("a lone UTF-16 surrogate at byte ", pos_));
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error(absl::StrCat("a lone UTF-16 surrogate at byte ", pos_));
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Error(absl::StrCat("a bad escape \\", std::string(1, e), " at byte ", pos_ - 1));
      }
    }
    if (!IsValidUtf8(*out)) return Error("a string is not valid UTF-8");
    return absl::OkStatus();
  }

  // A number token's text (JSON's grammar).
  bool Number(std::string* out) {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < in_.size() && absl::ascii_isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      return pos_ > from;
    };
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      pos_ = start;
      return false;
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        pos_ = start;
        return false;
      }
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (!digits()) {
        pos_ = start;
        return false;
      }
    }
    out->assign(in_.data() + start, pos_ - start);
    return true;
  }

  absl::Status ReadScalar(Scalar* s) {
    const char c = Peek();
    if (c == '"') {
      s->type = Scalar::Type::kString;
      return String(&s->text);
    }
    if (Literal("true")) {
      s->type = Scalar::Type::kBool;
      s->boolean = true;
    } else if (Literal("false")) {
      s->type = Scalar::Type::kBool;
      s->boolean = false;
    } else if (Literal("null")) {
      s->type = Scalar::Type::kNull;
    } else if (Number(&s->text)) {
      s->type = Scalar::Type::kNumber;
    } else if (c == '{' || c == '[') {
      return Error(c == '{' ? "expected a single value, got an object"
                            : "expected a single value, got an array");
    } else {
      return Syntax("a value");
    }
    return absl::OkStatus();
  }

  // Skips one value of any kind (an unknown field's).
  absl::Status SkipValue(int depth) {
    if (depth > kMaxDepth) return Error("nested more than 100 deep");
    const char c = Peek();
    if (c == '{') {
      ++pos_;
      if (Consume('}')) return absl::OkStatus();
      std::string key;
      do {
        if (absl::Status s = String(&key); !s.ok()) return s;
        if (!Consume(':')) return Syntax("':'");
        if (absl::Status s = SkipValue(depth + 1); !s.ok()) return s;
      } while (Consume(','));
      return Consume('}') ? absl::OkStatus() : Syntax("',' or '}'");
    }
    if (c == '[') {
      ++pos_;
      if (Consume(']')) return absl::OkStatus();
      do {
        if (absl::Status s = SkipValue(depth + 1); !s.ok()) return s;
      } while (Consume(','));
      return Consume(']') ? absl::OkStatus() : Syntax("',' or ']'");
    }
    Scalar ignored;
    return ReadScalar(&ignored);
  }

  // --- conversions of a scalar to a field's type.
  template <typename T>
  absl::Status Integer(const Scalar& s, T* out) {
    if (s.type != Scalar::Type::kNumber && s.type != Scalar::Type::kString) {
      return Error(absl::StrCat("expected an integer, got ", s.Name()));
    }
    absl::string_view text = s.text;
    const bool plain = text.find_first_of(".eE") == absl::string_view::npos;
    if (plain) {
      if (std::is_signed<T>::value) {
        int64_t v = 0;
        if (absl::SimpleAtoi(text, &v) && v >= std::numeric_limits<T>::min() &&
            v <= static_cast<int64_t>(std::numeric_limits<T>::max())) {
          *out = static_cast<T>(v);
          return absl::OkStatus();
        }
      } else {
        uint64_t v = 0;
        if (!absl::StartsWith(text, "-") && absl::SimpleAtoi(text, &v) &&
            v <= std::numeric_limits<T>::max()) {
          *out = static_cast<T>(v);
          return absl::OkStatus();
        }
      }
    } else {
      double d;
      // Integral values written with a fraction or an exponent ("1e3", "12.0", "1e18") are
      // accepted when in range: [-2^(bits-1), 2^(bits-1)) or [0, 2^bits), bounds a double holds
      // exactly, so the cast below is defined.
      constexpr int kBits = std::numeric_limits<T>::digits;  // 31 / 32 / 63 / 64
      const double low = std::is_signed<T>::value ? -std::ldexp(1.0, kBits) : 0.0;
      const double high = std::ldexp(1.0, kBits);
      if (absl::SimpleAtod(text, &d) && std::isfinite(d) && std::floor(d) == d && d >= low &&
          d < high) {
        *out = static_cast<T>(d);
        return absl::OkStatus();
      }
    }
    return Error(absl::StrCat("\"", s.text, "\" is not an integer in range of ",
                              sizeof(T) == 4 ? (std::is_signed<T>::value ? "int32" : "uint32")
                                             : (std::is_signed<T>::value ? "int64" : "uint64")));
  }

  absl::Status Floating(const Scalar& s, bool is_float, double* out) {
    if (s.type == Scalar::Type::kString) {
      if (s.text == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return absl::OkStatus();
      }
      if (s.text == "Infinity" || s.text == "-Infinity") {
        *out = s.text[0] == '-' ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity();
        return absl::OkStatus();
      }
    } else if (s.type != Scalar::Type::kNumber) {
      return Error(absl::StrCat("expected a number, got ", s.Name()));
    }
    double d;
    // A float takes what rounds to a finite float ("3.40282347e+38", FLT_MAX printed to 9
    // digits, is a little above FLT_MAX).
    if (!absl::SimpleAtod(s.text, &d) || !std::isfinite(d) ||
        (is_float && std::fabs(d) >= kFloatOverflow)) {
      return Error(absl::StrCat("\"", s.text, "\" is not a number in range of ",
                                is_float ? "float" : "double"));
    }
    *out = d;
    return absl::OkStatus();
  }

  // Sets (or adds, for a repeated field) scalar field `f` of `m` from `s`; `*skip` when the value
  // is an enum name unknown here and unknown fields are ignored.
  absl::Status SetScalar(Message* m, const FieldDescriptor* f, const Scalar& s) {
    const Reflection* r = m->GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = 0;
        if (absl::Status st = Integer(s, &v); !st.ok()) return st;
        rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v = 0;
        if (absl::Status st = Integer(s, &v); !st.ok()) return st;
        rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        if (absl::Status st = Integer(s, &v); !st.ok()) return st;
        rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t v = 0;
        if (absl::Status st = Integer(s, &v); !st.ok()) return st;
        rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double v = 0;
        if (absl::Status st = Floating(s, true, &v); !st.ok()) return st;
        rep ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = 0;
        if (absl::Status st = Floating(s, false, &v); !st.ok()) return st;
        rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        // true/false, or (as protobuf reads them) the strings "true"/"false".
        bool v = s.boolean;
        if (s.type == Scalar::Type::kString && (s.text == "true" || s.text == "false")) {
          v = s.text == "true";
        } else if (s.type != Scalar::Type::kBool) {
          return Error(absl::StrCat("expected true or false, got ", s.Name()));
        }
        rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        int number;
        int32_t quoted_number = 0;
        if (s.type == Scalar::Type::kString && !s.text.empty() &&
            (absl::ascii_isdigit(static_cast<unsigned char>(s.text[0])) || s.text[0] == '-') &&
            absl::SimpleAtoi(s.text, &quoted_number)) {
          // A number in a string ("2"), as protobuf reads it: the same as 2.
          Scalar as_number = s;
          as_number.type = Scalar::Type::kNumber;
          return SetScalar(m, f, as_number);
        }
        if (s.type == Scalar::Type::kString) {
          const EnumValueDescriptor* v = f->enum_type()->FindValueByName(s.text);
          if (v == nullptr) {
            if (options_.ignore_unknown_fields) return absl::OkStatus();
            return Error(absl::StrCat("\"", s.text, "\" is not a value of ",
                                      f->enum_type()->full_name()));
          }
          number = v->number();
        } else if (s.type == Scalar::Type::kNumber) {
          int32_t v = 0;
          if (absl::Status st = Integer(s, &v); !st.ok()) return st;
          const bool open = f->file()->syntax() == FileDescriptor::SYNTAX_PROTO3;
          if (!open && f->enum_type()->FindValueByNumber(v) == nullptr) {
            return Error(absl::StrCat(v, " is not a value of ", f->enum_type()->full_name()));
          }
          number = v;
        } else {
          return Error(absl::StrCat("expected an enum name, got ", s.Name()));
        }
        rep ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (s.type != Scalar::Type::kString) {
          return Error(absl::StrCat("expected a string, got ", s.Name()));
        }
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          std::string bytes;
          if (!absl::Base64Unescape(s.text, &bytes) && !absl::WebSafeBase64Unescape(s.text, &bytes)) {
            return Error("expected base64");
          }
          rep ? r->AddString(m, f, std::move(bytes)) : r->SetString(m, f, std::move(bytes));
        } else {
          rep ? r->AddString(m, f, s.text) : r->SetString(m, f, s.text);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Error("internal: a message field read as a scalar");
    }
    return absl::OkStatus();
  }

  // --- messages.
  // A message value: an object, or for the well-known types their JSON form.
  absl::Status MessageValue(Message* m) {
    if (++depth_ > kMaxDepth) return Error("nested more than 100 deep");
    absl::Status s = MessageValueIn(m);
    --depth_;
    return s;
  }
  absl::Status MessageValueIn(Message* m) {
    const Descriptor* type = m->GetDescriptor();
    const TypeInfo& info = Info(type);
    const Reflection* r = m->GetReflection();
    switch (info.kind) {
      case TypeInfo::Kind::kTimestamp:
      case TypeInfo::Kind::kDuration: {
        Scalar s;
        if (absl::Status st = ReadScalar(&s); !st.ok()) return st;
        if (s.type != Scalar::Type::kString) {
          return Error(absl::StrCat("expected a ",
                                    info.kind == TypeInfo::Kind::kTimestamp
                                        ? "timestamp string (RFC 3339)"
                                        : "duration string (\"1.5s\")",
                                    ", got ", s.Name()));
        }
        int64_t seconds;
        int32_t nanos;
        if (info.kind == TypeInfo::Kind::kTimestamp ? !ParseTimestamp(s.text, &seconds, &nanos)
                                                    : !ParseDuration(s.text, &seconds, &nanos)) {
          return Error(absl::StrCat(
              "\"", s.text, "\" is not ",
              info.kind == TypeInfo::Kind::kTimestamp
                  ? "an RFC 3339 time between years 1 and 9999 (\"2026-12-06T08:30:00Z\")"
                  : "a duration in seconds within 10,000 years (\"1.5s\")"));
        }
        r->SetInt64(m, info.fields[0].field, seconds);
        r->SetInt32(m, info.fields[1].field, nanos);
        return absl::OkStatus();
      }
      case TypeInfo::Kind::kWrapper: {
        Scalar s;
        if (absl::Status st = ReadScalar(&s); !st.ok()) return st;
        if (s.type == Scalar::Type::kNull) return absl::OkStatus();
        return SetScalar(m, info.fields[0].field, s);
      }
      case TypeInfo::Kind::kUnsupported:
        return Unsupported(type);
      case TypeInfo::Kind::kPlain:
        break;
    }
    if (!Consume('{')) return Syntax(absl::StrCat("an object (", type->full_name(), ")"));
    if (Consume('}')) return absl::OkStatus();
    std::vector<const OneofDescriptor*> oneofs_set;
    std::string key;
    do {
      if (absl::Status st = String(&key); !st.ok()) return st;
      if (!Consume(':')) return Syntax("':'");
      auto it = info.by_name.find(key);
      if (it == info.by_name.end()) {
        if (!options_.ignore_unknown_fields) {
          return Error(absl::StrCat("no field \"", key, "\" in ", type->full_name()));
        }
        if (absl::Status st = SkipValue(depth_); !st.ok()) return st;
        continue;
      }
      const FieldDescriptor* f = it->second;
      path_.push_back({f, -1});
      absl::Status st = FieldValue(m, f, &oneofs_set);
      if (!st.ok()) return st;
      path_.pop_back();
    } while (Consume(','));
    if (!Consume('}')) return Syntax("',' or '}'");
    return absl::OkStatus();
  }

  absl::Status FieldValue(Message* m, const FieldDescriptor* f,
                          std::vector<const OneofDescriptor*>* oneofs_set) {
    const Reflection* r = m->GetReflection();
    if (Peek() == 'n' && Literal("null")) return absl::OkStatus();  // unset
    if (const OneofDescriptor* o = f->real_containing_oneof(); o != nullptr) {
      for (const OneofDescriptor* set : *oneofs_set) {
        if (set == o) return Error(absl::StrCat("a second field of oneof ", o->name()));
      }
      oneofs_set->push_back(o);
    }
    if (f->is_map()) {
      const FieldDescriptor* key_field = f->message_type()->map_key();
      const FieldDescriptor* value_field = f->message_type()->map_value();
      if (!Consume('{')) return Syntax("an object (a map)");
      if (++depth_ > kMaxDepth) return Error("nested more than 100 deep");
      if (Consume('}')) {
        --depth_;
        return absl::OkStatus();
      }
      Scalar key;
      key.type = Scalar::Type::kString;
      do {
        if (absl::Status st = String(&key.text); !st.ok()) return st;
        if (!Consume(':')) return Syntax("':'");
        Message* entry = r->AddMessage(m, f);
        Scalar k = key;
        if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
          if (key.text != "true" && key.text != "false") return Error("a map key: expected \"true\" or \"false\"");
          k.type = Scalar::Type::kBool;
          k.boolean = key.text == "true";
        }
        if (absl::Status st = SetScalar(entry, key_field, k); !st.ok()) return st;
        if (Peek() == 'n') return Error("a map value may not be null");
        if (absl::Status st = Singular(entry, value_field); !st.ok()) return st;
      } while (Consume(','));
      if (!Consume('}')) return Syntax("',' or '}'");
      --depth_;
      return absl::OkStatus();
    }
    if (f->is_repeated()) {
      if (!Consume('[')) return Syntax("an array");
      if (++depth_ > kMaxDepth) return Error("nested more than 100 deep");
      if (!Consume(']')) {
        int index = 0;
        do {
          path_.back().index = index++;
          if (Peek() == 'n') return Error("an array element may not be null");
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            if (absl::Status st = MessageValue(r->AddMessage(m, f)); !st.ok()) return st;
          } else {
            Scalar s;
            if (absl::Status st = ReadScalar(&s); !st.ok()) return st;
            if (absl::Status st = SetScalar(m, f, s); !st.ok()) return st;
          }
        } while (Consume(','));
        if (!Consume(']')) return Syntax("',' or ']'");
      }
      --depth_;
      path_.back().index = -1;
      return absl::OkStatus();
    }
    return Singular(m, f);
  }

  absl::Status Singular(Message* m, const FieldDescriptor* f) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return MessageValue(m->GetReflection()->MutableMessage(m, f));
    }
    Scalar s;
    if (absl::Status st = ReadScalar(&s); !st.ok()) return st;
    return SetScalar(m, f, s);
  }

  // --- the well-known types' texts.
  static bool Digits(absl::string_view* s, int n, int* out) {
    if (static_cast<int>(s->size()) < n) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      const char c = (*s)[i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    s->remove_prefix(n);
    *out = v;
    return true;
  }
  static bool Expect(absl::string_view* s, char c) {
    if (s->empty() || (*s)[0] != c) return false;
    s->remove_prefix(1);
    return true;
  }
  // ".123" (1 to 9 digits) as nanoseconds; nothing is 0.
  static bool Fraction(absl::string_view* s, int32_t* nanos) {
    *nanos = 0;
    if (s->empty() || (*s)[0] != '.') return true;
    s->remove_prefix(1);
    int n = 0;
    int32_t v = 0;
    while (!s->empty() && (*s)[0] >= '0' && (*s)[0] <= '9') {
      if (++n > 9) return false;
      v = v * 10 + ((*s)[0] - '0');
      s->remove_prefix(1);
    }
    if (n == 0) return false;
    for (int i = n; i < 9; ++i) v *= 10;
    *nanos = v;
    return true;
  }

  static bool ParseTimestamp(absl::string_view s, int64_t* seconds, int32_t* nanos) {
    int year, month, day, hour, minute, second;
    if (!Digits(&s, 4, &year) || !Expect(&s, '-') || !Digits(&s, 2, &month) ||
        !Expect(&s, '-') || !Digits(&s, 2, &day) || !Expect(&s, 'T') || !Digits(&s, 2, &hour) ||
        !Expect(&s, ':') || !Digits(&s, 2, &minute) || !Expect(&s, ':') ||
        !Digits(&s, 2, &second) || !Fraction(&s, nanos)) {
      return false;
    }
    int offset_seconds = 0;
    if (Expect(&s, 'Z')) {
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      const int sign = s[0] == '-' ? -1 : 1;
      s.remove_prefix(1);
      int oh, om;
      if (!Digits(&s, 2, &oh) || !Expect(&s, ':') || !Digits(&s, 2, &om) || oh > 23 || om > 59) {
        return false;
      }
      offset_seconds = sign * (oh * 3600 + om * 60);
    } else {
      return false;
    }
    if (!s.empty()) return false;
    const absl::CivilSecond c(year, month, day, hour, minute, second);
    if (year < 1 || c.year() != year || c.month() != month || c.day() != day ||
        c.hour() != hour || c.minute() != minute || c.second() != second) {
      return false;  // 2026-02-30, 25:00 and the like
    }
    const int64_t t = absl::ToUnixSeconds(absl::FromCivil(c, absl::UTCTimeZone())) - offset_seconds;
    if (t < kMinTimestampSeconds || t > kMaxTimestampSeconds) return false;
    *seconds = t;
    return true;
  }

  static bool ParseDuration(absl::string_view s, int64_t* seconds, int32_t* nanos) {
    const bool negative = !s.empty() && s[0] == '-';
    if (negative) s.remove_prefix(1);
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    if (n == 0 || n > 12) return false;
    int64_t whole;
    if (!absl::SimpleAtoi(s.substr(0, n), &whole)) return false;
    s.remove_prefix(n);
    if (!Fraction(&s, nanos) || s != "s" || whole > kMaxDurationSeconds) return false;
    *seconds = negative ? -whole : whole;
    if (negative) *nanos = -*nanos;
    return true;
  }

  absl::string_view in_;
  size_t pos_ = 0;
  const ParseOptions& options_;
  int depth_ = 0;
  std::vector<Step> path_;
};

}  // namespace

absl::Status AppendJson(const Message& message, std::string* out) {
  const size_t before = out->size();
  absl::Status s = Printer(out).Object(message, 0);
  if (!s.ok()) out->resize(before);
  return s;
}

absl::Status ParseJson(absl::string_view json, Message* message, const ParseOptions& options) {
  message->Clear();
  absl::Status s = Parser(json, options).Top(message);
  if (!s.ok()) message->Clear();
  return s;
}

}  // namespace dispatch::json

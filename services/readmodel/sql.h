// Small helpers for the read model's statements: how values go in as pg::Param text and how
// times come back. Shared by the projector (writes) and the reader (reads).
//
// Times go in as "YYYY-MM-DD HH:MM:SS.ffffff+00" (timestamptz, microseconds) and come back as
// whole microseconds since the epoch (SQL: MicrosOf(column)); keyset positions are those
// microseconds, so a position read back compares exactly with the stored value.
#ifndef DISPATCH_SERVICES_READMODEL_SQL_H_
#define DISPATCH_SERVICES_READMODEL_SQL_H_

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pg/pg_client.h"
#include "common/proto_time.h"

namespace dispatch::readmodel::sql {

inline pg::Param Ts(absl::Time t) {
  return pg::Text(absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone()));
}
inline pg::Param Ts(const google::protobuf::Timestamp& t) { return Ts(FromProto(t)); }
inline pg::Param TsOrNull(const google::protobuf::Timestamp* t) {
  return t != nullptr ? Ts(*t) : pg::Null();
}
inline pg::Param Bool(bool b) { return pg::Text(b ? "true" : "false"); }
// A calendar month as the `date` of its first day ("2026-11-01"): the statistics' month columns.
inline std::string MonthDate(absl::CivilMonth m) {
  return absl::StrFormat("%04d-%02d-01", m.year(), m.month());
}

// One column of many rows for `unnest($n::type[])`, or any array parameter: a PostgreSQL
// array literal of text values (quoted, escaped), NULLs, bytes as hex (decode them with
// decode(column, 'hex')) and arrays as their own literals (cast them per row).
class Column {
 public:
  void Add(const std::string& v) {
    Sep();
    out_ += "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out_ += "\\";
      out_ += c;
    }
    out_ += "\"";
  }
  void Add(const pg::Param& p) {
    if (p.is_null) {
      AddNull();
    } else {
      Add(p.value);
    }
  }
  void AddNull() {
    Sep();
    out_ += "NULL";
  }
  void AddHex(const std::string& bytes) { Add(absl::BytesToHexString(bytes)); }
  void AddArray(const std::vector<std::string>& items) {
    Column inner;
    for (const std::string& item : items) inner.Add(item);
    Add(inner.out_ + "}");
  }
  pg::Param Param() const { return pg::Text(out_ + "}"); }

 private:
  void Sep() { out_ += out_.size() > 1 ? "," : ""; }
  std::string out_ = "{";
};

// One bytea column of many rows, as a `$n::bytea[]` parameter in PostgreSQL's binary array
// format (the server takes the bytes as they are: no hex to write, quote and parse; ~8 % of the
// projector's backend went to array_in and hex_decode for the tickets' and events' bodies).
class ByteaColumn {
 public:
  void Add(const std::string& bytes) {
    PutInt32(static_cast<uint32_t>(bytes.size()), &elements_);
    elements_ += bytes;
    ++count_;
  }
  pg::Param Param() const {
    // ndim, has-nulls flag, element type (bytea, oid 17), then per dimension its length and
    // lower bound; no dimension at all for an empty array.
    std::string out;
    PutInt32(count_ > 0 ? 1 : 0, &out);
    PutInt32(0, &out);
    PutInt32(17, &out);
    if (count_ > 0) {
      PutInt32(count_, &out);
      PutInt32(1, &out);
    }
    out += elements_;
    return pg::Bytes(std::move(out));
  }

 private:
  static void PutInt32(uint32_t v, std::string* out) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    out->append(b, 4);
  }
  std::string elements_;
  uint32_t count_ = 0;
};

// A PostgreSQL text array literal: {"a","b"}.
template <typename Strings>
pg::Param TextArray(const Strings& items) {
  Column c;
  for (const std::string& item : items) c.Add(item);
  return c.Param();
}

template <typename Ints>
pg::Param IntArray(const Ints& items) {
  std::string out = "{";
  for (const auto& i : items) absl::StrAppend(&out, out.size() > 1 ? "," : "", static_cast<int64_t>(i));
  return pg::Text(out + "}");
}

// SQL for a timestamptz column as whole microseconds since the epoch (exact: extract returns
// numeric), and for such a number (a parameter) as a timestamptz.
inline std::string MicrosOf(const std::string& column) {
  return absl::StrCat("(extract(epoch FROM ", column, ") * 1000000)::bigint");
}
inline std::string FromMicros(const std::string& param) {
  return absl::StrCat("('epoch'::timestamptz + ", param, "::bigint * interval '1 microsecond')");
}
inline absl::Time TimeOfMicros(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace dispatch::readmodel::sql

#endif  // DISPATCH_SERVICES_READMODEL_SQL_H_

#include "common/stream_cursor.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/keys.h"

namespace dispatch {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

constexpr char kCursorVersion = 1;

}  // namespace

bool ParseStreamId(absl::string_view id, uint64_t* ms, uint64_t* seq) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], ms) && absl::SimpleAtoi(parts[1], seq);
}

std::string EncodeStreamCursor(const std::vector<std::string>& positions) {
  uint64_t base = UINT64_MAX;
  std::vector<std::pair<uint64_t, uint64_t>> ids(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    ParseStreamId(positions[i], &ids[i].first, &ids[i].second);
    if (ids[i].first != 0) base = std::min(base, ids[i].first);
  }
  if (base == UINT64_MAX) base = 0;
  std::string raw(1, kCursorVersion);
  PutVarint(positions.size(), &raw);
  PutVarint(base, &raw);
  for (const auto& [ms, seq] : ids) {
    PutVarint(ms == 0 ? 0 : ms - base + 1, &raw);
    PutVarint(seq, &raw);
  }
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<std::string>> DecodeStreamCursor(const std::string& token,
                                                            const std::string& field) {
  auto bad = absl::InvalidArgumentError(absl::StrCat(field, ": not a cursor from this service"));
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.empty() || raw[0] != kCursorVersion) {
    return bad;
  }
  absl::string_view in(raw);
  in.remove_prefix(1);
  uint64_t n, base;
  if (!GetVarint(&in, &n) || n != keys::kShardCount || !GetVarint(&in, &base)) return bad;
  std::vector<std::string> positions;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t ms, seq;
    if (!GetVarint(&in, &ms) || !GetVarint(&in, &seq)) return bad;
    positions.push_back(absl::StrCat(ms == 0 ? 0 : ms - 1 + base, "-", seq));
  }
  if (!in.empty()) return bad;
  return positions;
}

}  // namespace dispatch

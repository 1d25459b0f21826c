#include "common/text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dispatch {

bool IsBlank(absl::string_view s) {
  static constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000
  for (;;) {
    s = absl::StripLeadingAsciiWhitespace(s);
    if (!absl::ConsumePrefix(&s, kIdeographicSpace)) return s.empty();
  }
}

absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max_chars,
                       bool required) {
  if (required && IsBlank(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (Utf8Length(value) > max_chars) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

size_t Utf8Length(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsValidExternalId(absl::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsValidPhone(absl::string_view phone) {
  if (phone.size() == 11 && AllDigits(phone) && phone[0] == '1' && phone[1] >= '3') {
    return true;  // mobile
  }
  // Landline: 0 + 2-3 digit area code, optional '-', 7-8 digit number.
  if (phone.empty() || phone[0] != '0') return false;
  size_t dash = phone.find('-');
  if (dash != absl::string_view::npos) {
    absl::string_view area = phone.substr(0, dash), number = phone.substr(dash + 1);
    return AllDigits(area) && area.size() >= 3 && area.size() <= 4 && AllDigits(number) &&
           number.size() >= 7 && number.size() <= 8;
  }
  return AllDigits(phone) && phone.size() >= 10 && phone.size() <= 12;
}

std::string MaskPhone(absl::string_view phone) {
  if (phone.empty()) return "";  // erased (or never given): nothing to hide
  if (phone.size() < 7) return "****";
  size_t dash = phone.find('-');
  size_t keep_front = dash != absl::string_view::npos ? dash + 1 : 3;
  return absl::StrCat(phone.substr(0, keep_front), "****", phone.substr(phone.size() - 4));
}

std::string MaskName(absl::string_view name) {
  if (name.empty()) return "";
  size_t first = 1;
  while (first < name.size() && (static_cast<unsigned char>(name[first]) & 0xC0) == 0x80) {
    ++first;
  }
  std::string out(name.substr(0, first));
  out.append(Utf8Length(name.substr(first)), '*');
  return out;
}

std::string JsonQuote(absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;  // ASCII, or a byte of a UTF-8 sequence: as is
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace dispatch

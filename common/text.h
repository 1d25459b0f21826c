// Text rules shared by every service: UTF-8, lengths in characters, identifiers, phone numbers.
// Pure functions, thread-safe.
#ifndef DISPATCH_COMMON_TEXT_H_
#define DISPATCH_COMMON_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dispatch {

// `s` as a JSON string literal, quotes included: '"' and '\\' escaped, control characters as
// \b \f \n \r \t or \u00XX; every other byte as is (UTF-8 passes through).
std::string JsonQuote(absl::string_view s);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view s);

// Number of Unicode code points in valid UTF-8 `s` ("字" counts as 1).
size_t Utf8Length(absl::string_view s);

// True if `s` holds nothing but whitespace: ASCII whitespace and the ideographic space U+3000
// (the full-width space of Chinese input methods). Empty text is blank.
bool IsBlank(absl::string_view s);

// INVALID_ARGUMENT naming `field` when `value` is blank (IsBlank) but `required`, or longer
// than `max_chars` characters ("reason: at most 500 characters"); OK otherwise.
absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max_chars,
                       bool required);

// True if `s` is 1..max_len characters of [A-Za-z0-9._:-]: channel work-order ids, request ids.
bool IsValidExternalId(absl::string_view s, size_t max_len);

// True for a mainland mobile number (11 digits, first 1, second 3-9) or a landline: area code
// 0 + 2-3 digits, optional '-', 7-8 digits. Spaces are not allowed: gateways send digits.
bool IsValidPhone(absl::string_view phone);

// "13812345678" -> "138****5678"; landlines keep the area code and last 4 digits
// ("0571-87654321" -> "0571-****4321"). Anything shorter than 7 characters becomes "****",
// except nothing (an erased phone), which stays empty.
std::string MaskPhone(absl::string_view phone);

// "张三丰" -> "张**": the first character, then one '*' for each further character.
std::string MaskName(absl::string_view name);

}  // namespace dispatch

#endif  // DISPATCH_COMMON_TEXT_H_

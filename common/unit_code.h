// Unit codes and their subtrees, for the read side's "this unit or below it" filters
// (ListTickets, ListBreaches, WatchTicketEvents).
//
// Unit codes are statistical division codes (统计用区划代码), hierarchical by prefix: county 6
// digits, township 9, community 12 (430923 ⊃ 430923100 ⊃ 430923100001). A city or province
// has the 6-digit form padded with "00" (city 430900, province 430000); its subtree is every
// code that starts with its significant digits ("4309", "43"). No county code ends in "00".
#ifndef DISPATCH_COMMON_UNIT_CODE_H_
#define DISPATCH_COMMON_UNIT_CODE_H_

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace dispatch {

// True if `unit_code` is `root` or lies below it.
inline bool InUnitSubtree(absl::string_view unit_code, absl::string_view root) {
  absl::string_view prefix = root;
  bool six_digits = prefix.size() == 6;
  for (char c : prefix) six_digits = six_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (six_digits) {
    while (prefix.size() > 2 && absl::EndsWith(prefix, "00")) prefix.remove_suffix(2);
  }
  return absl::StartsWith(unit_code, prefix);
}

}  // namespace dispatch

#endif  // DISPATCH_COMMON_UNIT_CODE_H_

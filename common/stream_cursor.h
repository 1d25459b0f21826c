// A position in all 256 shard event streams at once: one stream entry id ("<ms>-<seq>") per
// shard, packed (varint, base64url) into an opaque token for clients — the cursor of
// WatchTicketEvents and the page token of ListBreaches.
#ifndef DISPATCH_COMMON_STREAM_CURSOR_H_
#define DISPATCH_COMMON_STREAM_CURSOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dispatch {

// Splits a stream entry id "<ms>-<seq>"; false if `id` is not one.
bool ParseStreamId(absl::string_view id, uint64_t* ms, uint64_t* seq);

std::string EncodeStreamCursor(const std::vector<std::string>& positions);
// INVALID_ARGUMENT naming `field` when the token is not one of ours.
absl::StatusOr<std::vector<std::string>> DecodeStreamCursor(const std::string& token,
                                                            const std::string& field);

}  // namespace dispatch

#endif  // DISPATCH_COMMON_STREAM_CURSOR_H_

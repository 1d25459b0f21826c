// Status helpers missing from abseil 20220623: return-if-error and assign-or-return.
//
//   DISPATCH_RETURN_IF_ERROR(Validate(req));
//   DISPATCH_ASSIGN_OR_RETURN(Ticket t, store.Get(id));
//
// Errors are values (absl::Status / absl::StatusOr) everywhere; they become grpc::Status in
// exactly one place, common/rpc/unary.h.
#ifndef DISPATCH_COMMON_STATUS_H_
#define DISPATCH_COMMON_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DISPATCH_STATUS_CONCAT_INNER_(a, b) a##b
#define DISPATCH_STATUS_CONCAT_(a, b) DISPATCH_STATUS_CONCAT_INNER_(a, b)

#define DISPATCH_RETURN_IF_ERROR(expr)                    \
  do {                                                    \
    ::absl::Status dispatch_status_ = (expr);             \
    if (!dispatch_status_.ok()) return dispatch_status_;  \
  } while (0)

#define DISPATCH_ASSIGN_OR_RETURN(lhs, rexpr) \
  DISPATCH_ASSIGN_OR_RETURN_IMPL_(DISPATCH_STATUS_CONCAT_(dispatch_statusor_, __LINE__), lhs, rexpr)

#define DISPATCH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // DISPATCH_COMMON_STATUS_H_

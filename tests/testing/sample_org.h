// The sample organisation of deploy/org.textproto, held for a Redis client, for tests that run
// a worker (projector, routing worker, queries) beside the stack's dispatchd.
#ifndef DISPATCH_TESTS_TESTING_SAMPLE_ORG_H_
#define DISPATCH_TESTS_TESTING_SAMPLE_ORG_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/redis/redis_client.h"
#include "services/org/org_holder.h"

namespace dispatch::testing {

// Not loaded yet: call Load() to take the organisation stored in Redis (or seed it).
inline absl::StatusOr<std::unique_ptr<org::OrgHolder>> SampleOrgHolder(redis::Client* redis) {
  config::v1::Organisation sample;
  if (absl::Status s = LoadTextProtoFile(DISPATCH_SOURCE_DIR "/deploy/org.textproto", &sample);
      !s.ok()) {
    return s;
  }
  auto snapshot = org::OrgSnapshot::Build(sample);
  if (!snapshot.ok()) return snapshot.status();
  return std::make_unique<org::OrgHolder>(redis, *snapshot);
}

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_SAMPLE_ORG_H_

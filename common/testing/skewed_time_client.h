// SkewedTimeClient: a redis::Client that passes every command to a real one, but answers TIME
// as a Redis whose clock is `skew` ahead of this host's would. For tests of "time comes from
// Redis, not from the host": a RedisClock over it runs `skew` ahead of absl::Now().
#ifndef DISPATCH_COMMON_TESTING_SKEWED_TIME_CLIENT_H_
#define DISPATCH_COMMON_TESTING_SKEWED_TIME_CLIENT_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace dispatch::testing {

class SkewedTimeClient : public redis::Client {
 public:
  // `real` must outlive this client.
  SkewedTimeClient(redis::Client* real, absl::Duration skew) : real_(real), skew_(skew) {}

  void Send(redis::Command command, redis::Callback done) override {
    if (command->empty() || (*command)[0] != "TIME") {
      return real_->Send(std::move(command), std::move(done));
    }
    real_->Send(std::move(command), [skew = skew_, done = std::move(done)](
                                        absl::StatusOr<redis::Reply> r) {
      if (r.ok() && r->is_array() && r->elements.size() == 2) {
        const int64_t micros = std::stoll(r->elements[0].str) * 1000000 +
                               std::stoll(r->elements[1].str) + absl::ToInt64Microseconds(skew);
        r->elements[0].str = std::to_string(micros / 1000000);
        r->elements[1].str = std::to_string(micros % 1000000);
      }
      done(std::move(r));
    });
  }

 private:
  redis::Client* const real_;
  const absl::Duration skew_;
};

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_SKEWED_TIME_CLIENT_H_

// One real PostgreSQL per test binary (started by the first test that needs it, removed at
// exit) and a fresh database per test, named after the test.
#ifndef DISPATCH_TESTS_READMODEL_POSTGRES_FIXTURE_H_
#define DISPATCH_TESTS_READMODEL_POSTGRES_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "common/pg/pg_client.h"
#include "common/testing/postgres_server.h"

namespace dispatch::testing {

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (server_ == nullptr) {
      server_ = new PostgresServer();
      absl::Status s = server_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    name = name.substr(0, 60);
    absl::StatusOr<std::string> info = server_->CreateDatabase(name);
    ASSERT_TRUE(info.ok()) << info.status();
    options_.conninfo = *info;
  }

  // A new connection to this test's database.
  std::unique_ptr<pg::Connection> Connect() {
    auto c = pg::Connection::Open(options_);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  PostgresServer& server() { return *server_; }

  pg::Options options_;
  static inline PostgresServer* server_ = nullptr;
};

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_READMODEL_POSTGRES_FIXTURE_H_

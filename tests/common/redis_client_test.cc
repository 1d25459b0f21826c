// The Redis client against a real redis-server.
#include <atomic>
#include <future>

#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dispatch::redis {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::RedisServer;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(server_.Start(), IsOk());
    HiredisOptions o = server_.client_options();
    o.pool_size = 3;
    client_ = std::make_unique<HiredisClient>(o);
  }

  RedisServer server_;
  std::unique_ptr<HiredisClient> client_;
};

TEST(Sha1, MatchesTheStandardVector) {
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Address, ParsesTcpAndUnix) {
  auto tcp = ParseAddress("tcp://127.0.0.1:6390");
  ASSERT_THAT(tcp, IsOk());
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 6390);
  auto unix_socket = ParseAddress("unix:///tmp/r.sock");
  ASSERT_THAT(unix_socket, IsOk());
  EXPECT_EQ(unix_socket->path, "/tmp/r.sock");
  EXPECT_THAT(ParseAddress("localhost"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
  std::string value("a\0b\r\n$3\r\nzz", 11);
  ASSERT_THAT(client_->ExecuteSync({"SET", std::string("k\0ey", 4), value}), IsOk());
  auto got = client_->ExecuteSync({"GET", std::string("k\0ey", 4)});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->str, value);
}

TEST_F(RedisClientTest, ManyConcurrentCommandsAllComplete) {
  constexpr int kCommands = 20000;
  std::atomic<int> ok{0}, done{0};
  std::promise<void> all_done;
  for (int i = 0; i < kCommands; ++i) {
    client_->Execute({"INCR", "counter"}, [&](absl::StatusOr<Reply> r) {
      if (r.ok()) ok.fetch_add(1);
      if (done.fetch_add(1) + 1 == kCommands) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  EXPECT_EQ(ok.load(), kCommands);
  auto counter = client_->ExecuteSync({"GET", "counter"});
  ASSERT_THAT(counter, IsOk());
  EXPECT_EQ(counter->str, std::to_string(kCommands));
}

TEST_F(RedisClientTest, ErrorRepliesBecomeStatuses) {
  EXPECT_THAT(client_->ExecuteSync({"NOSUCHCOMMAND"}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("unknown command")));
  ASSERT_THAT(client_->ExecuteSync({"SET", "s", "x"}), IsOk());
  EXPECT_THAT(client_->ExecuteSync({"ZADD", "s", "1", "m"}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
}

TEST_F(RedisClientTest, EvalFallsBackToTheSourceAfterScriptFlush) {
  Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto sha = client_->ExecuteSync({"SCRIPT", "LOAD", script.source()});
  ASSERT_THAT(sha, IsOk());
  EXPECT_EQ(sha->str, script.sha1());
  ASSERT_THAT(client_->EvalSync(script, {"n"}, {"2"}), IsOk());
  ASSERT_THAT(client_->ExecuteSync({"SCRIPT", "FLUSH"}), IsOk());
  auto r = client_->EvalSync(script, {"n"}, {"3"});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->integer, 5);
}

TEST_F(RedisClientTest, UnavailableWhileRedisIsDownThenServesAgain) {
  ASSERT_THAT(client_->ExecuteSync({"PING"}), IsOk());
  ASSERT_THAT(server_.Stop(), IsOk());
  for (int i = 0; i < 6; ++i) {  // every pooled connection notices
    EXPECT_THAT(client_->ExecuteSync({"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  }
  ASSERT_THAT(server_.Start(), IsOk());
  for (int i = 0; i < 6; ++i) EXPECT_THAT(client_->ExecuteSync({"PING"}), IsOk());
}

TEST_F(RedisClientTest, ConnectionsRedisClosedWhileIdleReconnectBeforeTheirNextCommand) {
  // Every pooled connection is open; Redis restarts while they sit idle (no command fails in
  // between to tell them). Their next commands go through on fresh connections.
  for (int i = 0; i < 3; ++i) ASSERT_THAT(client_->ExecuteSync({"PING"}), IsOk());
  ASSERT_THAT(server_.Stop(), IsOk());
  ASSERT_THAT(server_.Start(), IsOk());
  for (int i = 0; i < 6; ++i) EXPECT_THAT(client_->ExecuteSync({"PING"}), IsOk()) << i;
  // So do ones that Redis itself closed (CLIENT KILL here; an idle timeout alike), killed by
  // another client so that none of ours is waiting for the reply.
  HiredisOptions o = server_.client_options();
  o.pool_size = 1;
  HiredisClient killer(o);
  ASSERT_THAT(killer.ExecuteSync({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}), IsOk());
  for (int i = 0; i < 6; ++i) EXPECT_THAT(client_->ExecuteSync({"PING"}), IsOk()) << i;
}

TEST_F(RedisClientTest, AFullQueueFailsFastInsteadOfGrowing) {
  HiredisOptions o = server_.client_options();
  o.max_queue = 0;  // nothing may wait
  HiredisClient client(o);
  EXPECT_THAT(client.ExecuteSync({"PING"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("overloaded")));
}

TEST_F(RedisClientTest, DestroyingTheClientWhileCallbacksSendAgainIsSafe) {
  // Callbacks that send again (like the NOSCRIPT fallback) race with the destructor.
  auto client = std::make_unique<HiredisClient>([&] {
    HiredisOptions o = server_.client_options();
    o.pool_size = 4;
    return o;
  }());
  std::atomic<int> callbacks{0};
  for (int i = 0; i < 2000; ++i) {
    client->Execute({"INCR", "n"}, [&, c = client.get()](absl::StatusOr<Reply>) {
      c->Execute({"INCR", "m"}, [&](absl::StatusOr<Reply>) { callbacks.fetch_add(1); });
      callbacks.fetch_add(1);
    });
  }
  client.reset();
  EXPECT_EQ(callbacks.load(), 4000);  // every callback ran exactly once, ok or refused
}

TEST(RedisClientNoServer, ConnectFailureIsUnavailable) {
  HiredisOptions o;
  o.address = *ParseAddress("unix:///nonexistent/redis.sock");
  HiredisClient client(o);
  EXPECT_THAT(client.ExecuteSync({"PING"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect")));
}

}  // namespace
}  // namespace dispatch::redis

namespace dispatch::redis {
namespace {

// A file holding `text`, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/dispatch-test-XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    if (fd >= 0) {
      (void)!write(fd, text.data(), text.size());
      close(fd);
    }
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

absl::StatusOr<HiredisOptions> OptionsFrom(const RedisServer& server, const std::string& redis) {
  auto config = ParseConfig(absl::StrCat("redis_address: '", server.address(), "' redis { ",
                                         redis, " }"));
  if (!config.ok()) return config.status();
  return RedisOptions(*config);
}

TEST(RedisAuth, AnAclUserWithAPasswordFromAFileOrTheEnvironmentIsLetInAnyoneElseIsToldWhy) {
  RedisServer server({"--requirepass", "default-secret", "--user", "dispatch", "on",
                      ">dispatch-secret", "~*", "&*", "+@all"});
  ASSERT_THAT(server.Start(), IsOk());

  // Without credentials every command is refused, and the error says what to configure.
  HiredisClient anonymous(server.client_options());
  EXPECT_THAT(anonymous.ExecuteSync({"PING"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis.password_file")));

  // The ACL user, its password in a file (the first line; never on a command line).
  TempFile file("dispatch-secret\nignored second line\n");
  auto options = OptionsFrom(server, absl::StrCat("username: 'dispatch' password_file: '",
                                                  file.path(), "'"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->password, "dispatch-secret");
  HiredisClient dispatch_user(*options);
  EXPECT_THAT(dispatch_user.ExecuteSync({"PING"}), IsOk());
  auto whoami = dispatch_user.ExecuteSync({"ACL", "WHOAMI"});
  ASSERT_THAT(whoami, IsOk());
  EXPECT_EQ(whoami->str, "dispatch");

  // The default user, its password from the environment.
  setenv("DISPATCH_TEST_REDIS_PASSWORD", "default-secret", 1);
  options = OptionsFrom(server, "password_env: 'DISPATCH_TEST_REDIS_PASSWORD'");
  ASSERT_THAT(options, IsOk());
  HiredisClient default_user(*options);
  EXPECT_THAT(default_user.ExecuteSync({"PING"}), IsOk());
  unsetenv("DISPATCH_TEST_REDIS_PASSWORD");

  // A wrong password names the user, never the password.
  HiredisOptions wrong = server.client_options();
  wrong.username = "dispatch";
  wrong.password = "not-the-secret";
  HiredisClient refused(wrong);
  absl::StatusOr<Reply> r = refused.ExecuteSync({"PING"});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          HasSubstr("refused the credentials of dispatch")));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("not-the-secret")));
}

TEST(RedisAuth, CredentialsThatCannotBeReadStopTheConfigurationWithAClearMessage) {
  RedisServer server;  // not started: only the configuration is read
  EXPECT_THAT(OptionsFrom(server, "password_file: '/nonexistent/redis.pass'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("redis.password_file")));
  EXPECT_THAT(OptionsFrom(server, "password_env: 'DISPATCH_TEST_UNSET_VARIABLE'"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("DISPATCH_TEST_UNSET_VARIABLE is not set")));
  EXPECT_THAT(OptionsFrom(server, "username: 'dispatch'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a password")));
  EXPECT_THAT(OptionsFrom(server, "password_file: '/x' password_env: 'Y'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
}

}  // namespace
}  // namespace dispatch::redis

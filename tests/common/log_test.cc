// Structured logs: one JSON object per line, text escaped, the access and audit logs in their
// own files, reopened for rotation.
#include "common/log.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace dispatch::log {
namespace {

using ::dispatch::testing::IsOk;
using ::testing::HasSubstr;

google::protobuf::Struct Parsed(const std::string& line) {
  google::protobuf::Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &out).ok()) << line;
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Log, ALineIsOneJsonObjectWithTimeLevelComponentMessageAndFields) {
  const std::string line = Line("warning", "watch", "ending the watch",
                                {{"reason", "a \"slow\" client\n"}, {"ticket_id", "T1"}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  auto json = Parsed(line);
  EXPECT_EQ(json.fields().at("level").string_value(), "warning");
  EXPECT_EQ(json.fields().at("component").string_value(), "watch");
  EXPECT_EQ(json.fields().at("msg").string_value(), "ending the watch");
  EXPECT_EQ(json.fields().at("reason").string_value(), "a \"slow\" client\n");
  EXPECT_EQ(json.fields().at("ticket_id").string_value(), "T1");
  // RFC 3339 UTC with milliseconds.
  EXPECT_THAT(json.fields().at("time").string_value(),
              ::testing::MatchesRegex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)"));
}

TEST(Log, TextThatIsNotUtf8StillMakesValidJson) {
  auto json = Parsed(Line("error", "redis", "bad reply", {{"raw", std::string("ok\xff\xfe", 4)}}));
  EXPECT_EQ(json.fields().at("raw").string_value(), "ok??");
}

TEST(Log, AccessAndAuditLinesGoToTheirOwnFilesAndAreReopenedAfterRotation) {
  const std::string dir = ::testing::TempDir() + "/logs-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string access = dir + "/access.log", audit = dir + "/audit.log";
  for (const std::string& f : {access, audit, audit + ".1"}) std::filesystem::remove(f);
  ASSERT_THAT(OpenFiles(access, audit), IsOk());
  ASSERT_TRUE(AccessEnabled());
  ASSERT_TRUE(AuditEnabled());
  Access({{"transport", "grpc"}, {"method", "dispatch.v1.IntakeService/GetTicket"}});
  Audit("ticket_write", {{"ticket_id", "T2"}});
  EXPECT_THAT(Read(access), HasSubstr("\"method\":\"dispatch.v1.IntakeService/GetTicket\""));
  EXPECT_THAT(Read(access), ::testing::Not(HasSubstr("T2")));
  auto line = Parsed(Read(audit));
  EXPECT_EQ(line.fields().at("action").string_value(), "ticket_write");
  EXPECT_EQ(line.fields().at("ticket_id").string_value(), "T2");
  // logrotate moves the file; after SIGHUP (Reopen) lines go to a new one.
  std::filesystem::rename(audit, audit + ".1");
  Reopen();
  Audit("ticket_write", {{"ticket_id", "T3"}});
  EXPECT_THAT(Read(audit), HasSubstr("T3"));
  EXPECT_THAT(Read(audit + ".1"), ::testing::Not(HasSubstr("T3")));
  // Turned off: nothing is written.
  ASSERT_THAT(OpenFiles("", ""), IsOk());
  EXPECT_FALSE(AccessEnabled());
  Audit("ticket_write", {{"ticket_id", "T4"}});
  EXPECT_THAT(Read(audit), ::testing::Not(HasSubstr("T4")));
}

TEST(Log, AFileThatCannotBeOpenedNamesItsField) {
  EXPECT_THAT(OpenFiles("/nonexistent-dir/access.log", ""),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("logging.access_log")));
  ASSERT_THAT(OpenFiles("", ""), IsOk());
}

}  // namespace
}  // namespace dispatch::log

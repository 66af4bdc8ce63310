#include "server/call_log.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

std::string Logged(const CallLog::Record& record) {
  FILE* file = tmpfile();
  CallLog log(file);
  log.Write(record);
  rewind(file);
  std::string text(4096, '\0');
  text.resize(fread(text.data(), 1, text.size(), file));
  fclose(file);
  return text;
}

// What reaches file descriptor `fd` (stdout, stderr) while `fn` runs.
std::string CapturedFd(int fd, const std::function<void()>& fn) {
  fflush(nullptr);
  FILE* file = tmpfile();
  const int saved = dup(fd);
  dup2(fileno(file), fd);
  fn();
  fflush(nullptr);
  dup2(saved, fd);
  close(saved);
  rewind(file);
  std::string text(4096, '\0');
  text.resize(fread(text.data(), 1, text.size(), file));
  fclose(file);
  return text;
}

TEST(CallLogTest, OneJsonLinePerCallWithTheFieldsOperatorsKeyOn) {
  CallLog::Record record;
  record.rpc = "CheckDomain";
  record.peer = "ipv4:127.0.0.1:5000";
  record.duration = absl::Milliseconds(41.25);
  record.code = "OK";
  record.strings.emplace_back("domain", "example.com");
  record.numbers.emplace_back("score", 85);
  const std::string line = Logged(record);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "exactly one line";
  EXPECT_EQ(line.front(), '{');
  for (const char* part : {"\"rpc\":\"CheckDomain\"", "\"peer\":\"ipv4:127.0.0.1:5000\"",
                           "\"domain\":\"example.com\"", "\"score\":85",
                           "\"duration_ms\":41.2", "\"code\":\"OK\"", "\"ts\":\""}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
}

TEST(CallLogTest, CallerControlledStringsCannotBreakTheLine) {
  CallLog::Record record;
  record.rpc = "CheckDomain";
  record.code = "INVALID_ARGUMENT";
  record.strings.emplace_back("domain", std::string("evil\"}\n{\"x\\\x01", 12));
  const std::string line = Logged(record);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find(R"("domain":"evil\"}\n{\"x\\\u0001")"), std::string::npos) << line;
}

TEST(CallLogTest, NullStreamDisablesLogging) {
  CallLog::Record record;
  record.rpc = "CheckDomain";
  record.code = "OK";
  record.strings.emplace_back("domain", "example.com");
  auto write_with = [&](FILE* out) {
    std::string err;
    const std::string out_text = CapturedFd(STDOUT_FILENO, [&] {
      err = CapturedFd(STDERR_FILENO, [&] { CallLog(out).Write(record); });
    });
    return out_text + err;
  };
  // The capture sees a real log's line (so the check below can fail)...
  EXPECT_NE(write_with(stderr).find("\"rpc\":\"CheckDomain\""), std::string::npos);
  // ...and null means off, not "the default stream": nothing is written.
  EXPECT_EQ(write_with(nullptr), "");
}

TEST(CallLogTest, StatusCodeNames) {
  EXPECT_STREQ(StatusCodeName(0), "OK");
  EXPECT_STREQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(8), "RESOURCE_EXHAUSTED");
  EXPECT_STREQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_STREQ(StatusCodeName(99), "UNKNOWN");
}

TEST(CallLogTest, EveryStringFieldIsBoundedAndValidUtf8) {
  // 40 requests of 3 MiB once wrote 126 MB of log in 3 s.
  const std::string huge(3 << 20, 'a');
  CallLog::Record record;
  record.rpc = "CheckDomain";
  record.peer = huge;
  record.code = "INVALID_ARGUMENT";
  record.strings.emplace_back("domain", huge);
  record.strings.emplace_back("tag", "bad\xFF\xFEtag");
  const std::string line = Logged(record);
  EXPECT_LT(line.size(), 1000u) << line.substr(0, 200);
  EXPECT_NE(line.find("\"peer\":\"" + std::string(255, 'a') + "...(3145728 octets)\""),
            std::string::npos)
      << line.substr(0, 400);
  EXPECT_NE(line.find("\"domain\":\"" + std::string(255, 'a') + "...(3145728 octets)\""),
            std::string::npos);
  EXPECT_NE(line.find("\"tag\":\"bad\xEF\xBF\xBD\xEF\xBF\xBDtag\""), std::string::npos)
      << "bytes that are not UTF-8 become U+FFFD, so the line stays JSON";
}

}  // namespace
}  // namespace mtasts::server

// Usage, help and command-line mistakes: no server involved.
#include <string>
#include <vector>

#include "clients/cli/cli.h"
#include "clients/cli/cli_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// --- usage -----------------------------------------------------------------

TEST(CliUsageTest, NoArgumentsPrintsUsageAndExitsTwo) {
  CliResult r = RunArgs({});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("Usage:"));
  EXPECT_EQ(r.out, "");
}

TEST(CliUsageTest, HelpGoesToStdoutAndExitsZero) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"check", "--help"}}) {
    CliResult r = RunArgs(args);
    EXPECT_EQ(r.exit_code, kExitOk) << args[0];
    EXPECT_THAT(r.out, AllOf(HasSubstr("Usage:"), HasSubstr("Exit status:")));
  }
}

struct UsageCase {
  std::vector<std::string> args;
  std::string message;
};

class CliUsageErrorTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsageErrorTest, ExitsTwoWithMessage) {
  CliResult r = RunArgs(GetParam().args);
  EXPECT_EQ(r.exit_code, kExitUsage) << r.err;
  EXPECT_THAT(r.err, HasSubstr(GetParam().message));
  EXPECT_THAT(r.err, HasSubstr("mtasts --help"));
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliUsageErrorTest,
    ::testing::Values(
        UsageCase{{"frobnicate", "x"}, "unknown command \"frobnicate\""},
        UsageCase{{"check"}, "check: missing DOMAIN"},
        UsageCase{{"fleet"}, "fleet: missing FILE"},
        UsageCase{{"check", "a.example", "b.example"}, "expected one DOMAIN"},
        UsageCase{{"--json"}, "missing command"},
        UsageCase{{"check", "a.example", "--fail-under", "abc"},
                  "--fail-under: \"abc\" is not a whole number"},
        UsageCase{{"check", "a.example", "--fail-under", "101"},
                  "--fail-under"},
        UsageCase{{"check", "a.example", "--fail-under"}, "needs a value"},
        UsageCase{{"fleet", "list.txt", "--window", "0"},
                  "--window: \"0\" is not a whole number from 1 to 100000"},
        UsageCase{{"fleet", "list.txt", "--window", "100001"},
                  "--window: \"100001\" is not a whole number"},
        UsageCase{{"fleet", "list.txt", "--window", "many"}, "--window"},
        UsageCase{{"fleet", "list.txt", "--window"}, "needs a value"},
        UsageCase{{"check", "a.example", "--timeout", "soon"},
                  "--timeout: \"soon\" is not a duration"},
        UsageCase{{"check", "a.example", "--timeout", "-5s"}, "positive"},
        UsageCase{{"check", "a.example", "--checks", "txt,,dnssec"},
                  "empty name"},
        UsageCase{{"check", "a.example", "--jsn"}, "unknown flag --jsn"},
        UsageCase{{"check", "a.example", "--json=yes"}, "takes no value"},
        UsageCase{{"check", "a.example", "--cert", "c.pem"},
                  "--cert and --key go together"},
        UsageCase{{"check", "a.example", "--ca-file", "/nonexistent/ca.pem"},
                  "--ca-file: cannot open /nonexistent/ca.pem"}));

}  // namespace
}  // namespace mtasts::cli

// mtasts check against the fake checker: the report, its JSON, exit status,
// the server address, deadlines and colour.
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli/cli.h"
#include "clients/cli/cli_test_fixture.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::CheckDomainRequest;
using ::mtasts::v1::DomainReport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// --- check -----------------------------------------------------------------

TEST_F(CliTest, CheckPrintsReadableReport) {
  CliResult r = Run({"check", "good.example"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, StartsWith("good.example\n"));
  for (const char* part : {"Score 95/100", "Grade A", "State ENFORCED",
                           // A line per check with status, points and duration.
                           "PASS", "10/10", "12 ms", "FAIL", "0/5", "NOT_RUN",
                           // Findings with severity tags.
                           "[INFO]", "[MEDIUM]",
                           // Summary, actions, suggested record and policy.
                           "Fake summary for good.example", " 1. Publish a TLS-RPT record.",
                           " 2. Raise max_age to at least a week.",
                           "v=STSv1; id=20240501T000000;", "  mx: mx1.good.example\n"}) {
    EXPECT_THAT(r.out, HasSubstr(part));
  }
  // Findings under their check.
  EXPECT_LT(r.out.find("tls_rpt"), r.out.find("No TLS-RPT record"));
}

TEST_F(CliTest, CheckShowsUnicodeFormWhenDifferent) {
  CliResult r = Run({"check", "xn--bcher-kva.example"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, StartsWith("xn--bcher-kva.example (bücher.example)\n"));
}

TEST_F(CliTest, CheckSendsOptions) {
  CliResult r = Run(
      {"check", "good.example", "--skip-mx-probe", "--checks", "txt,tls_rpt"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::vector<CheckDomainRequest> requests = fake_.check_requests();
  ASSERT_EQ(requests.size(), 1);
  EXPECT_EQ(requests[0].domain(), "good.example");
  EXPECT_TRUE(requests[0].options().skip_mx_probe());
  EXPECT_THAT(requests[0].options().checks(), ElementsAre("txt", "tls_rpt"));
}

TEST_F(CliTest, CheckJsonRoundTrips) {
  CliResult r = Run({"--json", "check", "good.example"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  // One object on one line.
  ASSERT_EQ(Lines(r.out).size(), 1);
  EXPECT_THAT(r.out, HasSubstr("\"unicode_domain\""));   // proto names
  EXPECT_THAT(r.out, HasSubstr("\"points_earned\":0"));  // primitives
  DomainReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      parsed, MakeReport("good.example")))
      << parsed.DebugString();
}

TEST_F(CliTest, FailUnderTriggeredExitsThree) {
  CliResult r = Run({"check", "weak.example", "--fail-under", "50"});
  EXPECT_EQ(r.exit_code, kExitFailUnder);
  EXPECT_THAT(r.out, HasSubstr("Score 45/100"));  // The report still prints.
  EXPECT_THAT(r.err, HasSubstr("below --fail-under 50"));
}

TEST_F(CliTest, FailUnderNotTriggeredExitsZero) {
  EXPECT_EQ(Run({"check", "good.example", "--fail-under=90"}).exit_code,
            kExitOk);
  // Equal is not below.
  EXPECT_EQ(Run({"check", "other.example", "--fail-under", "80"}).exit_code,
            kExitOk);
}

TEST_F(CliTest, InvalidArgumentFromServerExitsOneWithItsMessage) {
  CliResult r = Run({"check", "bad..example"});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr(kInvalidMessage));
}

TEST_F(CliTest, TimeoutBecomesDeadline) {
  absl::Time start = absl::Now();
  CliResult r = Run({"check", "slow.example", "--timeout", "200ms"});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CliTest, ServerUnreachableExitsOneNamingUnavailable) {
  // A port that was just listened on and is now closed.
  std::string closed_address;
  {
    // gRPC refuses to start a server with no service.
    FakeChecker unused;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&unused);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    closed_address = absl::StrCat("127.0.0.1:", port);
    server->Shutdown();
  }
  CliResult r = RunArgs({"check", "good.example", "--server", closed_address});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));

  CliResult fleet =
      RunArgs({"fleet", "-", "--server", closed_address}, "good.example\n");
  EXPECT_EQ(fleet.exit_code, kExitRpcError);
  EXPECT_THAT(fleet.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(CliTest, ServerFromEnvironmentAndFlagOverridesIt) {
  setenv("MTASTS_SERVER", address_.c_str(), 1);
  EXPECT_EQ(RunArgs({"check", "good.example"}).exit_code, kExitOk);
  // The flag wins over the environment.
  setenv("MTASTS_SERVER", "127.0.0.1:1", 1);
  EXPECT_EQ(RunArgs({"check", "good.example", "--server", address_}).exit_code,
            kExitOk);
  unsetenv("MTASTS_SERVER");
}

// --- colour ----------------------------------------------------------------

TEST_F(CliTest, NoEscapesWhenNotATerminal) {
  CliResult check = Run({"check", "weak.example"}, "", /*is_tty=*/false);
  EXPECT_THAT(check.out + check.err, Not(HasSubstr("\033")));
  CliResult fleet = Run({"fleet", "-"}, "weak.example\nbad..x\n", false);
  EXPECT_EQ(fleet.exit_code, kExitOk) << fleet.err;
  EXPECT_THAT(fleet.out + fleet.err, Not(HasSubstr("\033")));
  EXPECT_THAT(fleet.err, Not(HasSubstr("\r")));  // No progress line either.
}

TEST_F(CliTest, ColourOnTerminalUnlessDisabled) {
  EXPECT_THAT(Run({"check", "weak.example"}, "", true).out, HasSubstr("\033["));
  EXPECT_THAT(Run({"check", "weak.example", "--no-color"}, "", true).out,
              Not(HasSubstr("\033")));
  EXPECT_THAT(Run({"check", "weak.example", "--json"}, "", true).out,
              Not(HasSubstr("\033")));
  setenv("NO_COLOR", "1", 1);
  EXPECT_THAT(Run({"check", "weak.example"}, "", true).out,
              Not(HasSubstr("\033")));
  unsetenv("NO_COLOR");
}

}  // namespace
}  // namespace mtasts::cli

// End-to-end tests of RunCli against an in-process fake MtaStsChecker on
// 127.0.0.1:0. The fake answers from a small script of domains (see
// FakeChecker) so every test knows the report it should see.
#include "clients/cli/cli.h"

#include <stdlib.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::CheckDomainRequest;
using ::mtasts::v1::DomainReport;
using ::mtasts::v1::FleetEvent;
using ::mtasts::v1::FleetRequest;
using ::mtasts::v1::FleetSummary;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kTestdata[] = "clients/cli/testdata/";

std::string ReadTestdata(const std::string& name) {
  std::ifstream file(kTestdata + name);
  std::stringstream contents;
  contents << file.rdbuf();
  EXPECT_FALSE(contents.str().empty()) << name;
  return contents.str();
}

// The fake's script. Anything else gets a B.
//   good.example    95 A ENFORCED       weak.example  45 D TESTING
//   absent.example  10 F ABSENT         xn--bcher-kva.example: unicode form
//   *..*, -*        INVALID_ARGUMENT    slow.example  waits for cancellation
//   boom.example    (fleet) the stream fails with INTERNAL
//   stall.example   (fleet) the server stops reading until released
struct Scripted {
  int score;
  mtasts::v1::Grade grade;
  mtasts::v1::MtaStsState state;
};

Scripted ScriptFor(const std::string& domain) {
  if (domain == "good.example") {
    return {95, mtasts::v1::GRADE_A, mtasts::v1::MTA_STS_STATE_ENFORCED};
  }
  if (domain == "weak.example") {
    return {45, mtasts::v1::GRADE_D, mtasts::v1::MTA_STS_STATE_TESTING};
  }
  if (domain == "absent.example") {
    return {10, mtasts::v1::GRADE_F, mtasts::v1::MTA_STS_STATE_ABSENT};
  }
  return {80, mtasts::v1::GRADE_B, mtasts::v1::MTA_STS_STATE_ENFORCED};
}

constexpr char kInvalidMessage[] = "not a host name: empty label";

bool IsInvalid(const std::string& domain) {
  return domain.empty() || absl::StrContains(domain, "..") ||
         absl::StartsWith(domain, "-");
}

// A report with every kind of field, so the JSON round trip covers int64
// (as strings), doubles, enums, timestamps, durations and nested messages.
DomainReport MakeReport(const std::string& domain) {
  Scripted s = ScriptFor(domain);
  DomainReport r;
  r.set_domain(domain);
  r.set_unicode_domain(domain == "xn--bcher-kva.example" ? "bücher.example"
                                                         : domain);
  r.set_score(s.score);
  r.set_grade(s.grade);
  r.set_state(s.state);

  auto* txt = r.add_checks();
  txt->set_check("txt");
  txt->set_status(mtasts::v1::CHECK_STATUS_PASS);
  txt->set_points_earned(10);
  txt->set_points_possible(10);
  txt->mutable_duration()->set_nanos(12000000);
  txt->set_summary("The STS record is valid.");
  auto* valid = txt->add_findings();
  valid->set_code(mtasts::v1::TXT_VALID);
  valid->set_severity(mtasts::v1::SEVERITY_INFO);
  valid->set_title("A valid v=STSv1 record was found");

  auto* rpt = r.add_checks();
  rpt->set_check("tls_rpt");
  rpt->set_status(mtasts::v1::CHECK_STATUS_FAIL);
  rpt->set_points_earned(0);
  rpt->set_points_possible(5);
  rpt->mutable_duration()->set_nanos(7000000);
  auto* missing = rpt->add_findings();
  missing->set_code(mtasts::v1::TLSRPT_MISSING);
  missing->set_severity(mtasts::v1::SEVERITY_MEDIUM);
  missing->set_title("No TLS-RPT record");
  missing->set_detail("Nothing at _smtp._tls." + domain + ".");
  missing->set_recommendation("Publish a TLS-RPT record.");
  missing->set_subject("_smtp._tls." + domain);

  auto* mx_tls = r.add_checks();
  mx_tls->set_check("mx_tls");
  mx_tls->set_status(mtasts::v1::CHECK_STATUS_NOT_RUN);

  r.set_summary("Fake summary for " + domain + ": senders require TLS.");
  r.add_recommendations("Publish a TLS-RPT record.");
  r.add_recommendations("Raise max_age to at least a week.");
  r.set_suggested_txt("v=STSv1; id=20240501T000000;");
  r.set_suggested_policy("version: STSv1\r\nmode: enforce\r\nmx: mx1." +
                         domain + "\r\nmax_age: 604800\r\n");

  auto* evidence = r.mutable_evidence();
  evidence->add_sts_records("v=STSv1; id=20240101;");
  evidence->set_sts_id("20240101");
  evidence->mutable_policy()->set_valid(true);
  evidence->mutable_policy()->set_mode(mtasts::v1::POLICY_MODE_ENFORCE);
  evidence->mutable_policy()->set_max_age(604800);
  evidence->mutable_policy()->add_mx("mx1." + domain);
  auto* mx = evidence->add_mx_hosts();
  mx->set_name("mx1." + domain);
  mx->set_preference(10);
  mx->add_addresses("192.0.2.1");
  evidence->set_mx_kind(mtasts::v1::MX_KIND_HOSTS);

  r.mutable_checked_at()->set_seconds(1714521600);
  r.mutable_duration()->set_nanos(250000000);
  return r;
}

class FakeChecker final : public mtasts::v1::MtaStsChecker::Service {
 public:
  grpc::Status CheckDomain(grpc::ServerContext* context,
                           const CheckDomainRequest* request,
                           DomainReport* response) override {
    {
      absl::MutexLock lock(&mu_);
      check_requests_.push_back(*request);
    }
    if (IsInvalid(request->domain())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("domain \"", request->domain(),
                                       "\": ", kInvalidMessage));
    }
    if (request->domain() == "slow.example") {
      // Bounded so that a broken client deadline fails the test, not CI.
      absl::Time give_up = absl::Now() + absl::Seconds(10);
      while (!context->IsCancelled() && absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(5));
      }
    }
    *response = MakeReport(request->domain());
    return grpc::Status::OK;
  }

  grpc::Status StreamFleet(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<FleetEvent, FleetRequest>* stream) override {
    FleetSummary summary;
    for (int i = 0; i < 10; ++i) summary.add_score_histogram(0);
    std::map<int, int> by_grade;
    std::map<int, int> by_state;
    int64_t total_score = 0;
    FleetRequest request;
    while (stream->Read(&request)) {
      {
        absl::MutexLock lock(&mu_);
        fleet_requests_.push_back(request);
      }
      summary.set_received(summary.received() + 1);
      const std::string& domain = request.domain();
      if (domain == "boom.example") {
        return grpc::Status(grpc::StatusCode::INTERNAL, "fake checker crashed");
      }
      if (domain == "stall.example") {
        // The client re-sends it on a new stream after this one fails.
        if (!stalled_.HasBeenNotified()) stalled_.Notify();
        release_.WaitForNotification();
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "stalled on purpose");
      }
      FleetEvent event;
      if (IsInvalid(domain)) {
        auto* error = event.mutable_error();
        error->set_tag(request.tag());
        error->set_domain(domain);
        error->set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        error->set_message(kInvalidMessage);
        summary.set_errors(summary.errors() + 1);
      } else {
        auto* result = event.mutable_result();
        result->set_tag(request.tag());
        *result->mutable_report() = MakeReport(domain);
        int score = result->report().score();
        summary.set_reported(summary.reported() + 1);
        ++by_grade[result->report().grade()];
        ++by_state[result->report().state()];
        total_score += score;
        int bucket = std::min(score / 10, 9);
        summary.set_score_histogram(bucket,
                                    summary.score_histogram(bucket) + 1);
        if (summary.slowest().empty()) {
          auto* slow = summary.add_slowest();
          slow->set_domain(domain);
          slow->set_tag(request.tag());
          slow->mutable_duration()->set_seconds(2);
        }
      }
      if (!stream->Write(event)) return grpc::Status::CANCELLED;
    }
    for (auto [grade, count] : by_grade) {
      auto* g = summary.add_by_grade();
      g->set_grade(static_cast<mtasts::v1::Grade>(grade));
      g->set_count(count);
    }
    for (auto [state, count] : by_state) {
      auto* s = summary.add_by_state();
      s->set_state(static_cast<mtasts::v1::MtaStsState>(state));
      s->set_count(count);
    }
    if (summary.reported() > 0) {
      summary.set_mean_score(static_cast<double>(total_score) /
                             summary.reported());
    }
    summary.mutable_duration()->set_seconds(3);
    if (summary.reported() > 0) {
      // Every reported domain shares one MX host, as a server would group it.
      auto* grouping = summary.add_groupings();
      grouping->set_kind(mtasts::v1::FLEET_GROUP_KIND_MX_HOST);
      auto* group = grouping->add_groups();
      group->set_key("mx.shared.example");
      group->set_count(summary.reported());
      group->set_outcome("ok");
      group->set_outcome_count(summary.reported());
      group->set_severity(mtasts::v1::SEVERITY_INFO);
      grouping->set_keys_tracked(1);
    }
    FleetEvent last;
    *last.mutable_summary() = summary;
    stream->Write(last);
    return grpc::Status::OK;
  }

  std::vector<CheckDomainRequest> check_requests() {
    absl::MutexLock lock(&mu_);
    return check_requests_;
  }
  std::vector<FleetRequest> fleet_requests() {
    absl::MutexLock lock(&mu_);
    return fleet_requests_;
  }

  // stall.example: set when the handler has stopped reading; release_ makes
  // it end the call.
  absl::Notification stalled_;
  absl::Notification release_;

 private:
  absl::Mutex mu_;
  std::vector<CheckDomainRequest> check_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<FleetRequest> fleet_requests_ ABSL_GUARDED_BY(mu_);
};

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs RunCli with argv = {"mtasts", args...}.
CliResult RunArgs(const std::vector<std::string>& args, std::istream& in,
                  Terminal terminal) {
  std::vector<std::string> storage = {"mtasts"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  int code = RunCli(static_cast<int>(storage.size()), argv.data(), in, out, err,
                    terminal);
  return {code, out.str(), err.str()};
}

CliResult RunArgs(const std::vector<std::string>& args,
                  const std::string& stdin_text = "", bool is_tty = false) {
  std::istringstream in(stdin_text);
  Terminal terminal;
  terminal.stdout_is_tty = is_tty;
  terminal.stderr_is_tty = is_tty;
  return RunArgs(args, in, terminal);
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("NO_COLOR");
    unsetenv("MTASTS_SERVER");
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&fake_);
    // A fixed 64 KiB receive window instead of one that BDP probing grows to
    // megabytes, so that FleetRespectsFlowControl sees the sender stop soon.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 65536);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override {
    if (!fake_.release_.HasBeenNotified()) fake_.release_.Notify();
    server_->Shutdown();
  }

  // Runs with --server pointing at the fake.
  CliResult Run(std::vector<std::string> args,
                const std::string& stdin_text = "", bool is_tty = false) {
    args.insert(args.begin(), {"--server", address_});
    return RunArgs(args, stdin_text, is_tty);
  }

  std::string WriteList(const std::string& contents) {
    std::string path = ::testing::TempDir() + "/domains.txt";
    std::ofstream(path) << contents;
    return path;
  }

  FakeChecker fake_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// --- check -----------------------------------------------------------------

TEST_F(CliTest, CheckPrintsReadableReport) {
  CliResult r = Run({"check", "good.example"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, StartsWith("good.example\n"));
  EXPECT_THAT(r.out, HasSubstr("Score 95/100"));
  EXPECT_THAT(r.out, HasSubstr("Grade A"));
  EXPECT_THAT(r.out, HasSubstr("State ENFORCED"));
  // A line per check with status, points and duration.
  EXPECT_THAT(r.out, HasSubstr("PASS"));
  EXPECT_THAT(r.out, HasSubstr("10/10"));
  EXPECT_THAT(r.out, HasSubstr("12 ms"));
  EXPECT_THAT(r.out, HasSubstr("FAIL"));
  EXPECT_THAT(r.out, HasSubstr("0/5"));
  EXPECT_THAT(r.out, HasSubstr("NOT_RUN"));
  // Findings under their check, with severity tags.
  EXPECT_THAT(r.out, HasSubstr("[INFO]"));
  EXPECT_THAT(r.out, HasSubstr("[MEDIUM]"));
  EXPECT_LT(r.out.find("tls_rpt"), r.out.find("No TLS-RPT record"));
  EXPECT_THAT(r.out, HasSubstr("Fake summary for good.example"));
  EXPECT_THAT(r.out, HasSubstr(" 1. Publish a TLS-RPT record."));
  EXPECT_THAT(r.out, HasSubstr(" 2. Raise max_age to at least a week."));
  EXPECT_THAT(r.out, HasSubstr("v=STSv1; id=20240501T000000;"));
  EXPECT_THAT(r.out, HasSubstr("  mx: mx1.good.example\n"));
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

// --- fleet -----------------------------------------------------------------

constexpr char kList[] =
    "# customers\n"                    // 1
    "\n"                               // 2
    "good.example acme-1\n"            // 3
    "   weak.example\n"                // 4: tagged "4"
    "  # indented comment\n"           // 5
    "absent.example\tacme-3 # note\n"  // 6
    "xn--bcher-kva.example\r\n";       // 7: CRLF

TEST_F(CliTest, FleetFromFilePrintsLinePerEntryAndSummary) {
  CliResult r = Run({"fleet", WriteList(kList)});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");

  // On the wire each tag carries the library's sequence number (it matches
  // events to entries across backends); the output shows the list's tags.
  std::vector<FleetRequest> sent = fake_.fleet_requests();
  ASSERT_EQ(sent.size(), 4);
  EXPECT_EQ(sent[0].domain(), "good.example");
  EXPECT_EQ(sent[0].tag(), "0:acme-1");
  EXPECT_EQ(sent[1].domain(), "weak.example");
  EXPECT_EQ(sent[1].tag(), "1:4");
  EXPECT_EQ(sent[2].tag(), "2:acme-3");
  EXPECT_EQ(sent[3].domain(), "xn--bcher-kva.example");
  EXPECT_EQ(sent[3].tag(), "3:7");

  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 5);
  EXPECT_EQ(lines[0], "A  95  ENFORCED     good.example [acme-1]");
  EXPECT_EQ(lines[1], "D  45  TESTING      weak.example [4]");
  EXPECT_EQ(lines[2], "F  10  ABSENT       absent.example [acme-3]");
  EXPECT_EQ(lines[3],
            "B  80  ENFORCED     xn--bcher-kva.example (bücher.example) [7]");
  EXPECT_EQ(lines[4], "Fleet summary");
  EXPECT_THAT(r.out, HasSubstr("4 received, 4 reported, 0 errors"));
  EXPECT_THAT(r.out, HasSubstr("Mean score 57.5"));
  EXPECT_THAT(r.out, HasSubstr("A 1  B 1  D 1  F 1"));
  EXPECT_THAT(r.out, HasSubstr("ENFORCED 2  TESTING 1  ABSENT 1"));
  EXPECT_THAT(r.out, HasSubstr("90-100"));
  EXPECT_THAT(r.out, HasSubstr("good.example [acme-1]\n"));  // slowest
  // The groups, after the totals.
  EXPECT_THAT(r.out, HasSubstr("  MX hosts\n    4 domains: mx.shared.example: ok\n"));
}

TEST_F(CliTest, FleetFromStdin) {
  CliResult r = Run({"fleet", "-", "--skip-mx-probe", "--checks", "txt"},
                    "good.example\n# skip\nweak.example w\n");
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("good.example [1]\n"));
  EXPECT_THAT(r.out, HasSubstr("weak.example [w]\n"));
  EXPECT_THAT(r.out, HasSubstr("2 received, 2 reported"));
  std::vector<FleetRequest> sent = fake_.fleet_requests();
  ASSERT_EQ(sent.size(), 2);
  EXPECT_TRUE(sent[1].options().skip_mx_probe());
  EXPECT_THAT(sent[1].options().checks(), ElementsAre("txt"));
}

TEST_F(CliTest, FleetErrorEventsPrintALineAndKeepExitZero) {
  CliResult r = Run({"fleet", "-"}, "good.example\nbad..example t2\n");
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat("-   -  ERROR        bad..example [t2] "
                                     "INVALID_ARGUMENT: ",
                                     kInvalidMessage, "\n")));
  EXPECT_THAT(r.out, HasSubstr("2 received, 1 reported, 1 errors"));
}

TEST_F(CliTest, FleetJsonLines) {
  CliResult r = Run({"fleet", "-", "--json"},
                    "good.example\nbad..example\nweak.example\n");
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4);  // Three entries and the summary.
  std::vector<FleetEvent> events(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(lines[i], &events[i]).ok())
        << lines[i];
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      events[0].result().report(), MakeReport("good.example")));
  EXPECT_EQ(events[0].result().tag(), "1");
  EXPECT_EQ(events[1].error().code(), 3);
  EXPECT_EQ(events[2].result().report().score(), 45);
  EXPECT_EQ(events[3].summary().received(), 3);
  // The summary's groups are in the JSON too.
  EXPECT_THAT(lines[3], HasSubstr("\"groupings\""));
  ASSERT_EQ(events[3].summary().groupings_size(), 1);
  EXPECT_EQ(events[3].summary().groupings(0).kind(), mtasts::v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_EQ(events[3].summary().groupings(0).groups_size(), 1);
  EXPECT_EQ(events[3].summary().groupings(0).groups(0).key(), "mx.shared.example");
  EXPECT_EQ(events[3].summary().groupings(0).groups(0).count(), 2);
  EXPECT_THAT(r.out, Not(HasSubstr("Fleet summary")));
}

TEST_F(CliTest, FleetFailUnder) {
  CliResult below =
      Run({"fleet", "-", "--fail-under", "50"}, "good.example\nweak.example\n");
  EXPECT_EQ(below.exit_code, kExitFailUnder);
  EXPECT_THAT(below.err, HasSubstr("1 domain(s) scored below --fail-under 50"));
  EXPECT_THAT(below.out, HasSubstr("Fleet summary"));

  // Error entries have no score and don't trigger it.
  EXPECT_EQ(
      Run({"fleet", "-", "--fail-under", "50"}, "good.example\nbad..example\n")
          .exit_code,
      kExitOk);
}

TEST_F(CliTest, FleetMalformedLineIsSkippedWithWarning) {
  CliResult r = Run({"fleet", "-"}, "good.example\none two three\n");
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_THAT(r.err, HasSubstr("<stdin>:2: expected \"DOMAIN [TAG]\""));
  EXPECT_THAT(r.err, HasSubstr("1 malformed line(s) of <stdin> skipped"));
  EXPECT_EQ(fake_.fleet_requests().size(), 1);
}

// The fake fails every stream at boom.example: the library re-sends the
// unanswered entries on new streams until the only backend is given up.
TEST_F(CliTest, FleetStreamFailureExitsOne) {
  CliResult r =
      Run({"fleet", "-"}, "good.example\nboom.example\nweak.example\n");
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.out, HasSubstr("good.example [1]"));
  EXPECT_THAT(r.err, HasSubstr("every backend failed; 2 entries unanswered"));
  EXPECT_THAT(r.err, HasSubstr("INTERNAL: fake checker crashed"));
  EXPECT_THAT(r.out, Not(HasSubstr("Fleet summary")));
  // good.example once; boom.example on each of the 5 streams.
  int booms = 0;
  for (const FleetRequest& q : fake_.fleet_requests()) {
    if (q.domain() == "boom.example") ++booms;
  }
  EXPECT_EQ(booms, 5);
}

TEST_F(CliTest, FleetProgressOnTerminal) {
  CliResult r = Run({"fleet", "-"}, "good.example\nweak.example\n", true);
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("\rsent 2, done 2"));
  // Cleared at the end: the last thing written returns the cursor.
  EXPECT_THAT(r.err, testing::EndsWith("\r"));
}

TEST_F(CliTest, FleetMissingFileIsUsageError) {
  CliResult r = Run({"fleet", ::testing::TempDir() + "/no-such-list.txt"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("cannot open"));
  CliResult dir = Run({"fleet", ::testing::TempDir()});
  EXPECT_EQ(dir.exit_code, kExitUsage);
  EXPECT_THAT(dir.err, HasSubstr("is a directory"));
}

// An endless domain list, produced as it is read, counting the lines taken.
class EndlessList : public std::streambuf {
 public:
  int64_t lines_read() const { return lines_.load(); }

 protected:
  int_type underflow() override {
    int64_t n = lines_.fetch_add(1);
    line_ = n == 0 ? "stall.example\n" : absl::StrCat("d", n, ".example\n");
    setg(line_.data(), line_.data(), line_.data() + line_.size());
    return traits_type::to_int_type(line_[0]);
  }

 private:
  std::string line_;
  std::atomic<int64_t> lines_{0};
};

TEST_F(CliTest, FleetRespectsFlowControl) {
  EndlessList list_buf;
  std::istream list(&list_buf);
  CliResult result;
  std::thread client([&] {
    result = RunArgs({"fleet", "-", "--server", address_}, list, Terminal());
  });
  // The fake reads the first line (stall.example) and then stops reading.
  // The client must stop with it once the transport's window is full.
  // No ASSERT before join(): returning early would leave the thread running.
  EXPECT_TRUE(fake_.stalled_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // Wait for the count to settle: unchanged over 300 ms.
  int64_t before = -1;
  int64_t now = list_buf.lines_read();
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (now != before && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(300));
    before = now;
    now = list_buf.lines_read();
  }
  fake_.release_.Notify();
  client.join();
  EXPECT_EQ(before, now) << "the client kept reading a stalled stream";
  // The client library keeps at most its window (100 entries) unanswered on
  // a stream, far below the transport's 64 KiB of ~20-byte requests; an
  // unbounded reader would be far past this.
  EXPECT_LE(now, 110);
  RecordProperty("lines_read", std::to_string(now));
  EXPECT_EQ(result.exit_code, kExitRpcError);
  EXPECT_THAT(result.err, HasSubstr("RESOURCE_EXHAUSTED"));
}

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

// --- TLS -------------------------------------------------------------------

class CliTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = ReadTestdata("ca.pem");
    ssl.pem_key_cert_pairs.push_back(
        {ReadTestdata("server.key.pem"), ReadTestdata("server.pem")});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl),
                             &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  FakeChecker fake_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(CliTlsTest, MutualTlsSucceeds) {
  std::string dir = kTestdata;
  CliResult r = RunArgs({"check", "good.example", "--server", address_,
                         "--ca-file", dir + "ca.pem", "--cert",
                         dir + "client.pem", "--key", dir + "client.key.pem"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Score 95/100"));
}

TEST_F(CliTlsTest, WithoutClientCertificateFails) {
  CliResult r = RunArgs({"check", "good.example", "--server", address_,
                         "--ca-file", std::string(kTestdata) + "ca.pem"});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(CliTlsTest, PlaintextClientFails) {
  CliResult r = RunArgs({"check", "good.example", "--server", address_});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
}

}  // namespace
}  // namespace mtasts::cli

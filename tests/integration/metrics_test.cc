// The metrics endpoint of a real server (TestLab, in-process) after real
// checks: scraped over HTTP on loopback, linted by Debian's promtool, and
// scraped by a real Prometheus whose HTTP API then answers for our counters.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/exposition_sample.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"
#include "server/loopback_http_get.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/integration/test_lab.h"

extern char** environ;

namespace mtasts::testing {
namespace {

constexpr char kGood[] = "good.metrics.test";
constexpr char kNoPolicy[] = "nopolicy.metrics.test";

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

bool Executable(const char* path) { return access(path, X_OK) == 0; }

// A lab with metrics on, a well-configured domain (policy, MX answering
// STARTTLS on 127.0.0.2) and one without a policy host.
class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.2"});
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = *std::move(smtp);
    LabOptions o;
    o.metrics_listen = "127.0.0.1:0";
    o.smtp_port = smtp_->port();
    lab_ = TestLab::Start(o);
    ASSERT_NE(lab_, nullptr);
    ASSERT_GT(lab_->server().metrics_port(), 0);
    const std::string good = kGood;
    auto cert = lab_->ca().Issue(fakes::CertSpec::ForHosts({"mx." + good}));
    ASSERT_TRUE(cert.ok()) << cert.status();
    ASSERT_TRUE(smtp_->SetScript("127.0.0.2", fakes::FakeSmtpScript::Good(*cert)).ok());
    lab_->dns().Mx(good, {{10, "mx." + good}});
    lab_->dns().A("mx." + good, {"127.0.0.2"});
    lab_->dns().Txt("_mta-sts." + good, {{"v=STSv1; id=1"}});
    lab_->PublishPolicy(good, "version: STSv1\nmode: enforce\nmx: mx." + good +
                                  "\nmax_age: 1209600\n");
    const std::string none = kNoPolicy;
    lab_->dns().Mx(none, {{10, "mx." + good}});
    lab_->dns().Txt("_mta-sts." + none, {{"v=STSv1; id=1"}});
    lab_->dns().Rcode("mta-sts." + none, DnsRcode::kNxDomain, DnsType::kA);
    lab_->dns().Rcode("mta-sts." + none, DnsRcode::kNxDomain, DnsType::kAaaa);
  }

  // Every check but dnssec (which would recurse from the real root).
  static v1::CheckOptions Options() {
    v1::CheckOptions options;
    for (const char* check :
         {"txt", "policy_fetch", "policy_content", "mx_match", "mx_tls", "tls_rpt"}) {
      options.add_checks(check);
    }
    return options;
  }

  // good twice (the second MX probe comes from the cache), nopolicy once,
  // and one request the server refuses.
  void RunChecks() {
    for (const char* domain : {kGood, kGood, kNoPolicy}) {
      auto report = lab_->Check(domain, Options());
      ASSERT_TRUE(report.ok()) << domain << ": " << report.status();
    }
    EXPECT_EQ(lab_->Check("not a domain!", Options()).status().code(),
              absl::StatusCode::kInvalidArgument);
  }

  std::string Scrape() {
    auto reply = server::LoopbackHttpGet(lab_->server().metrics_port(), "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return "";
    EXPECT_EQ(reply->status, 200);
    return reply->body;
  }

  std::unique_ptr<fakes::FakeSmtpServer> smtp_;
  std::unique_ptr<TestLab> lab_;
};

TEST_F(MetricsTest, ScrapeAfterChecksShowsTheCountersMoved) {
  const std::string before = Scrape();
  EXPECT_EQ(server::SampleValue(before, "mtasts_domains_in_flight"), 0) << before;
  ASSERT_NO_FATAL_FAILURE(RunChecks());
  const std::string text = Scrape();

  const std::string svc = "service=\"mtasts.v1.MtaStsChecker\"";
  EXPECT_EQ(server::SampleValue(text, "mtasts_rpcs_total{code=\"OK\",method=\"CheckDomain\"," + svc + "}"), 3)
      << text;
  EXPECT_EQ(server::SampleValue(text, "mtasts_rpcs_total{code=\"INVALID_ARGUMENT\",method=\"CheckDomain\"," +
                            svc + "}"),
            1);
  EXPECT_EQ(server::SampleValue(text, "mtasts_rpc_duration_seconds_count{method=\"CheckDomain\"," + svc + "}"),
            4);
  EXPECT_EQ(server::SampleValue(text, "mtasts_domains_in_flight"), 0);
  // good: enforced, B (no TLS-RPT record); nopolicy: broken, F.
  EXPECT_EQ(server::SampleValue(text, "mtasts_domains_checked_total{grade=\"b\",state=\"enforced\"}"), 2)
      << text;
  EXPECT_EQ(server::SampleValue(text, "mtasts_domains_checked_total{grade=\"f\",state=\"broken\"}"), 1);
  EXPECT_EQ(server::SampleValue(text, "mtasts_domain_check_duration_seconds_count"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_checks_total{check=\"mx_tls\",status=\"pass\"}"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_checks_total{check=\"tls_rpt\",status=\"fail\"}"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_checks_total{check=\"dnssec\",status=\"not_run\"}"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_check_duration_seconds_count{check=\"txt\"}"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_policy_fetch_failures_total{cause=\"policy_host_not_found\"}"), 1);
  // The MX host was probed once; the second check of good (and nopolicy,
  // whose MX is the same host) took the cached result.
  EXPECT_EQ(server::SampleValue(text, "mtasts_mx_probe_cache_lookups_total{result=\"miss\"}"), 1);
  EXPECT_EQ(server::SampleValue(text, "mtasts_mx_probe_cache_lookups_total{result=\"hit\"}"), 2);
  // Every question the server asked, once, by outcome: the fake DNS server
  // counted them (no retries, no TCP, no timeouts here).
  const std::vector<std::string> outcomes = {"answer", "nxdomain", "nodata", "servfail",
                                             "refused", "timeout", "error"};
  double questions = 0;
  for (const std::string& outcome : outcomes) {
    const double v = server::SampleValue(text, "mtasts_dns_queries_total{outcome=\"" + outcome + "\"}");
    if (v > 0) questions += v;
  }
  EXPECT_EQ(questions, lab_->dns().server().total_queries()) << text;
  EXPECT_GT(server::SampleValue(text, "mtasts_dns_queries_total{outcome=\"answer\"}"), 0);
  // mta-sts.nopolicy A and AAAA; _smtp._tls of each domain checked.
  EXPECT_GE(server::SampleValue(text, "mtasts_dns_queries_total{outcome=\"nxdomain\"}"), 2);
  EXPECT_EQ(server::SampleValue(text, "mtasts_dns_attempt_timeouts_total{outcome=\"answer\"}"), -1)
      << "no timeouts: no series";
  EXPECT_GT(server::SampleValue(text, "process_resident_memory_bytes"), 0);
  EXPECT_GT(server::SampleValue(text, "process_threads"), 1);
  EXPECT_GT(server::SampleValue(text, "process_open_fds"), 0);
  EXPECT_FALSE(absl::StrContains(text, "metrics.test")) << "never a domain in a label";
}

TEST_F(MetricsTest, FleetStreamsOpenCountsAnOpenStream) {
  grpc::ClientContext context;
  auto stream = lab_->RawStreamFleet(&context);
  ASSERT_TRUE(WaitUntil(
      [&] { return server::SampleValue(Scrape(), "mtasts_fleet_streams_open") == 1; }, absl::Seconds(10),
      "mtasts_fleet_streams_open 1"));
  stream->WritesDone();
  grpc::ByteBuffer event;
  while (stream->Read(&event)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_TRUE(WaitUntil(
      [&] { return server::SampleValue(Scrape(), "mtasts_fleet_streams_open") == 0; }, absl::Seconds(10),
      "mtasts_fleet_streams_open 0"));
  const std::string text = Scrape();
  EXPECT_EQ(server::SampleValue(text, "mtasts_rpcs_total{code=\"OK\",method=\"StreamFleet\","
                        "service=\"mtasts.v1.MtaStsChecker\"}"),
            1)
      << text;
}

// `promtool check metrics` on `text`: it lints as well as parses, so any
// finding (a counter without _total, a missing HELP) is printed and fails it.
void ExpectPromtoolAccepts(const std::string& text, const std::string& name) {
  const std::string scrape_file = TmpDir() + "/" + name;
  {
    std::ofstream out(scrape_file);
    out << text;
  }
  const std::string command =
      absl::StrCat("/usr/bin/promtool check metrics < ", scrape_file, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

TEST_F(MetricsTest, PromtoolAcceptsARealScrape) {
  if (!Executable("/usr/bin/promtool")) {
    MTASTS_SKIP_OR_FAIL_IN_CI("/usr/bin/promtool missing (Debian package prometheus)");
  }
  ASSERT_NO_FATAL_FAILURE(RunChecks());
  ExpectPromtoolAccepts(Scrape(), "scrape.txt");
}

// Per-stream load without a per-stream label: a stream with kHeld entries
// whose TXT answers are held shows kHeld as the largest per-stream in-flight
// count, and one histogram observation per entry (1, 2, ... kHeld: none
// finishes before the next starts), while a second stream with one held
// entry does not raise the maximum. Linted by promtool while open; back to
// 0 once the streams are cancelled.
TEST_F(MetricsTest, PerStreamInFlightShowsAnOpenStreamsEntries) {
  if (!Executable("/usr/bin/promtool")) {
    MTASTS_SKIP_OR_FAIL_IN_CI("/usr/bin/promtool missing (Debian package prometheus)");
  }
  constexpr int kHeld = 4;
  const auto held = [](int i) { return absl::StrCat("held", i, ".metrics.test"); };
  for (int i = 0; i <= kHeld; ++i) {
    lab_->dns().Txt("_mta-sts." + held(i), {{"v=STSv1; id=1"}});
    lab_->dns().Delay("_mta-sts." + held(i), absl::Seconds(60));
  }
  std::string text = Scrape();
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_max"), 0) << text;
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_count"), 0);

  const auto request = [&](const std::string& domain) {
    v1::FleetRequest r;
    r.set_domain(domain);
    r.set_tag(domain);
    *r.mutable_options() = Options();
    return ToByteBuffer(r.SerializeAsString());
  };
  grpc::ClientContext context, other_context;
  auto stream = lab_->RawStreamFleet(&context);
  for (int i = 0; i < kHeld; ++i) ASSERT_TRUE(stream->Write(request(held(i))));
  lab_->dns().WaitForQueries("_mta-sts." + held(kHeld - 1), 1, absl::Seconds(20));
  auto other = lab_->RawStreamFleet(&other_context);
  ASSERT_TRUE(other->Write(request(held(kHeld))));
  lab_->dns().WaitForQueries("_mta-sts." + held(kHeld), 1, absl::Seconds(20));

  text = Scrape();
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_streams_open"), 2) << text;
  EXPECT_EQ(server::SampleValue(text, "mtasts_domains_in_flight"), kHeld + 1);
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_max"), kHeld);
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_count"), kHeld + 1);
  // Observed 1, 2, 3, 4 (the first stream) and 1 (the second).
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_sum"), 1 + 2 + 3 + 4 + 1);
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_bucket{le=\"1\"}"), 2);
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_bucket{le=\"2\"}"), 3);
  EXPECT_EQ(server::SampleValue(text, "mtasts_fleet_stream_domains_in_flight_bucket{le=\"5\"}"), 5);
  EXPECT_FALSE(absl::StrContains(text, "held0")) << "never a domain in a label";
  ExpectPromtoolAccepts(text, "scrape-streams.txt");

  context.TryCancel();
  other_context.TryCancel();
  grpc::ByteBuffer event;
  while (stream->Read(&event)) {
  }
  while (other->Read(&event)) {
  }
  (void)stream->Finish();
  (void)other->Finish();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return server::SampleValue(Scrape(), "mtasts_fleet_stream_domains_in_flight_max") == 0;
      },
      absl::Seconds(10), "mtasts_fleet_stream_domains_in_flight_max 0"));
  EXPECT_EQ(server::SampleValue(Scrape(), "mtasts_fleet_stream_domains_in_flight_count"), kHeld + 1)
      << "observations stay";
}

// A free loopback port: bound, read back and released (Prometheus binds it
// right after; a clash fails the test visibly, it does not pass it).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// The sum of the sample values in a /api/v1/query answer; -1 when empty.
double SumOfResult(const std::string& json) {
  static const std::regex value(R"re("value":\[[0-9.e+]+,"([^"]+)"\])re");
  double sum = -1;
  for (std::sregex_iterator it(json.begin(), json.end(), value), end; it != end; ++it) {
    sum = (sum < 0 ? 0 : sum) + std::stod((*it)[1].str());
  }
  return sum;
}

TEST_F(MetricsTest, RealPrometheusScrapesTheServerAndAnswersForOurCounters) {
  if (!Executable("/usr/bin/prometheus")) {
    MTASTS_SKIP_OR_FAIL_IN_CI("/usr/bin/prometheus missing (Debian package prometheus)");
  }
  const std::string dir = TmpDir() + "/prometheus";
  ASSERT_EQ(system(("mkdir -p " + dir + "/data").c_str()), 0);
  const std::string config = dir + "/prometheus.yml";
  {
    std::ofstream out(config);
    out << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: mtasts\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << lab_->server().metrics_port() << "']\n";
  }
  const int web_port = FreePort();
  ASSERT_GT(web_port, 0);
  std::vector<std::string> args = {
      "/usr/bin/prometheus",
      "--config.file=" + config,
      "--storage.tsdb.path=" + dir + "/data",
      absl::StrCat("--web.listen-address=127.0.0.1:", web_port),
      "--log.level=warn",
  };
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir + "/prometheus.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Stopped by its PID however the test ends.
  struct Stop {
    pid_t pid;
    ~Stop() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } stop{pid};

  ASSERT_NO_FATAL_FAILURE(RunChecks());
  // The first scrape comes a few seconds after start; bounded wait.
  double checked = -1;
  double ok_rpcs = -1;
  std::string last;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    auto reply = server::LoopbackHttpGet(
        web_port, "/api/v1/query?query=mtasts_domains_checked_total", absl::Seconds(5));
    if (reply.ok()) {
      last = reply->body;
      checked = SumOfResult(reply->body);
      if (checked >= 3) break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::ifstream log_in(log);
  const std::string log_text((std::istreambuf_iterator<char>(log_in)),
                             std::istreambuf_iterator<char>());
  ASSERT_EQ(checked, 3) << "last answer: " << last << "\nprometheus log:\n" << log_text;
  auto rpcs = server::LoopbackHttpGet(
      web_port, "/api/v1/query?query=mtasts_rpcs_total%7Bmethod%3D%22CheckDomain%22%7D");
  ASSERT_TRUE(rpcs.ok()) << rpcs.status();
  ok_rpcs = SumOfResult(rpcs->body);
  EXPECT_EQ(ok_rpcs, 4) << rpcs->body;  // 3 OK + 1 INVALID_ARGUMENT
  // Prometheus's own view of the target: up.
  auto up = server::LoopbackHttpGet(web_port, "/api/v1/query?query=up");
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(SumOfResult(up->body), 1) << up->body;
}

}  // namespace
}  // namespace mtasts::testing

#include "clients/cli/cli_test_fixture.h"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mtasts::cli {

using ::mtasts::v1::CheckDomainRequest;
using ::mtasts::v1::DomainReport;
using ::mtasts::v1::FleetEvent;
using ::mtasts::v1::FleetRequest;
using ::mtasts::v1::FleetSummary;

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

bool IsInvalid(const std::string& domain) {
  return domain.empty() || absl::StrContains(domain, "..") ||
         absl::StartsWith(domain, "-");
}

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

grpc::Status FakeChecker::CheckDomain(grpc::ServerContext* context,
                                      const CheckDomainRequest* request,
                                      DomainReport* response) {
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

grpc::Status FakeChecker::StreamFleet(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<FleetEvent, FleetRequest>* stream) {
  FleetSummary summary;
  for (int i = 0; i < 10; ++i) summary.add_score_histogram(0);
  std::map<int, int> by_grade;
  std::map<int, int> by_state;
  int64_t total_score = 0;
  FleetRequest incoming;
  std::vector<FleetRequest> held;
  while (stream->Read(&incoming)) {
    {
      absl::MutexLock lock(&mu_);
      fleet_requests_.push_back(incoming);
    }
    // held*.example stay unanswered until release.example arrives: how many
    // entries the client sends before it has any answer (--window).
    if (absl::StartsWith(incoming.domain(), "held")) {
      held.push_back(incoming);
      continue;
    }
    std::vector<FleetRequest> batch;
    if (incoming.domain() == "release.example") batch.swap(held);
    batch.push_back(incoming);
    for (const FleetRequest& request : batch) {
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

std::vector<CheckDomainRequest> FakeChecker::check_requests() {
  absl::MutexLock lock(&mu_);
  return check_requests_;
}

std::vector<FleetRequest> FakeChecker::fleet_requests() {
  absl::MutexLock lock(&mu_);
  return fleet_requests_;
}

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
                  const std::string& stdin_text, bool is_tty) {
  std::istringstream in(stdin_text);
  Terminal terminal;
  terminal.stdout_is_tty = is_tty;
  terminal.stderr_is_tty = is_tty;
  return RunArgs(args, in, terminal);
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

void CliTest::SetUp() {
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

void CliTest::TearDown() {
  if (!fake_.release_.HasBeenNotified()) fake_.release_.Notify();
  server_->Shutdown();
}

CliResult CliTest::Run(std::vector<std::string> args,
                       const std::string& stdin_text, bool is_tty) {
  args.insert(args.begin(), {"--server", address_});
  return RunArgs(args, stdin_text, is_tty);
}

std::string CliTest::WriteList(const std::string& contents) {
  std::string path = ::testing::TempDir() + "/domains.txt";
  std::ofstream(path) << contents;
  return path;
}

}  // namespace mtasts::cli

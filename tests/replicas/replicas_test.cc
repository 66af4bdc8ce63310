// Many replicas, one fleet, nothing lost: three real mtasts_server processes
// behind one ipv4: target, a 2,000-domain fleet spread over them by the C++
// client library (what `mtasts fleet` uses); mid-fleet one replica is
// SIGKILLed and another sent SIGTERM (it drains). Every entry must be
// answered exactly once with its own verdict, the summary's counts must be
// exact, and the entries the dead replicas had not answered must have been
// re-sent. And: on SIGTERM the health service says NOT_SERVING while the
// process still runs, admitted work finishes, then the process exits.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/replicas/replica_lab.h"

namespace mtasts::testing {
namespace {

using ::testing::HasSubstr;

std::string server_binary;
std::string cli_binary;

constexpr int kDomains = 2000;
constexpr int kInvalid = 20;  // entries that are not host names: error events

// The fleet: every domain, with an invalid entry after every 100th.
struct FleetEntry {
  std::string domain;
  std::string tag;
  int number;  // the domain's number; -1 for an invalid entry
};
std::vector<FleetEntry> MakeFleet() {
  std::vector<FleetEntry> fleet;
  for (int i = 0; i < kDomains; ++i) {
    fleet.push_back({ReplicaLab::Domain(i), absl::StrCat("t", i), i});
    if (i % 100 == 50) fleet.push_back({absl::StrCat("bad ", i, "!"), absl::StrCat("bad", i), -1});
  }
  return fleet;
}

std::string Env(const char* name) {
  const char* value = getenv(name);
  return value != nullptr ? value : "";
}

std::unique_ptr<ReplicaLab> StartLab(int replicas, int domains) {
  static int labs = 0;
  ReplicaLabOptions options{.server_binary = server_binary,
                            .replicas = replicas,
                            .domains = domains};
  options.container_image = Env("MTASTS_REPLICA_IMAGE");
  if (!options.container_image.empty()) {
    options.container_netns = Env("MTASTS_REPLICA_NETNS");
    (void)absl::SimpleAtoi(Env("MTASTS_REPLICA_PODMAN_PID"), &options.podman_pid);
    options.container_prefix = absl::StrCat(Env("MTASTS_REPLICA_PREFIX"), "-", ++labs);
  }
  auto lab = ReplicaLab::Start(options);
  EXPECT_TRUE(lab.ok()) << lab.status();
  return lab.ok() ? *std::move(lab) : nullptr;
}

bool LogHas(const std::vector<std::string>& log, absl::string_view a, absl::string_view b = "") {
  for (const std::string& line : log) {
    if (absl::StrContains(line, a) && absl::StrContains(line, b)) return true;
  }
  return false;
}

TEST(ReplicasTest, KilledAndDrainedReplicasLoseAndDuplicateNothing) {
  auto lab = StartLab(3, kDomains);
  ASSERT_NE(lab, nullptr);
  const std::vector<FleetEntry> fleet = MakeFleet();
  ASSERT_EQ(fleet.size(), static_cast<size_t>(kDomains + kInvalid));
  std::map<std::string, const FleetEntry*> by_tag;
  for (const FleetEntry& e : fleet) by_tag[e.tag] = &e;

  auto client = client::Client::Create({.target = lab->Target()});
  ASSERT_TRUE(client.ok()) << client.status();
  size_t next = 0;
  std::map<std::string, int> answers;  // tag -> events
  std::vector<v1::FleetEvent> events;
  std::optional<v1::FleetSummary> summary;
  int summaries = 0;
  const int total = static_cast<int>(fleet.size());
  bool killed = false, terminated = false;
  int answered_at_kill = 0, answered_at_term = 0;
  client::FleetStats stats;
  const absl::Time fleet_start = absl::Now();
  absl::Status status = (*client)->Fleet(
      [&]() -> absl::StatusOr<std::optional<v1::FleetRequest>> {
        if (next == fleet.size()) return std::nullopt;
        v1::FleetRequest request;
        request.set_domain(fleet[next].domain);
        request.set_tag(fleet[next].tag);
        for (const std::string& c : LabChecks()) request.mutable_options()->add_checks(c);
        ++next;
        return request;
      },
      [&](const v1::FleetEvent& event) {
        if (event.has_summary()) {
          summary = event.summary();
          ++summaries;
          return;
        }
        events.push_back(event);
        ++answers[event.has_result() ? event.result().tag() : event.error().tag()];
        const int answered = static_cast<int>(events.size());
        // The events that trigger the failures: a third of the fleet answered,
        // then a half. No clock involved.
        if (!killed && answered >= total / 3) {
          killed = true;
          answered_at_kill = answered;
          lab->Signal(0, SIGKILL);
        }
        if (!terminated && answered >= total / 2) {
          terminated = true;
          answered_at_term = answered;
          lab->Signal(1, SIGTERM);
        }
      },
      client::FleetOptions{.timeout = absl::Minutes(10)}, &stats);
  const absl::Duration fleet_time = absl::Now() - fleet_start;
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(killed && terminated);

  // Every entry answered exactly once, with its own verdict.
  ASSERT_EQ(events.size(), fleet.size());
  ASSERT_EQ(answers.size(), fleet.size());
  for (const auto& [tag, n] : answers) EXPECT_EQ(n, 1) << tag;
  std::map<v1::MtaStsState, int> states;
  std::map<v1::Grade, int> grades;
  int reported = 0, errors = 0;
  for (const v1::FleetEvent& event : events) {
    if (event.has_error()) {
      ++errors;
      auto it = by_tag.find(event.error().tag());
      ASSERT_NE(it, by_tag.end()) << event.error().tag();
      EXPECT_EQ(it->second->number, -1) << event.error().message();
      EXPECT_EQ(event.error().code(), 3) << event.error().message();  // INVALID_ARGUMENT
      EXPECT_EQ(event.error().domain(), it->second->domain);
      continue;
    }
    ++reported;
    const v1::DomainReport& report = event.result().report();
    auto it = by_tag.find(event.result().tag());
    ASSERT_NE(it, by_tag.end()) << event.result().tag();
    const FleetEntry& entry = *it->second;
    ASSERT_GE(entry.number, 0);
    EXPECT_EQ(report.domain(), entry.domain);
    ++states[report.state()];
    ++grades[report.grade()];
    if (ReplicaLab::Healthy(entry.number)) {
      EXPECT_EQ(report.state(), v1::MTA_STS_STATE_ENFORCED) << entry.domain << " " << report.summary();
      EXPECT_EQ(report.score(), 100) << entry.domain;
      EXPECT_EQ(report.evidence().sts_id(), absl::StrCat(entry.number)) << entry.domain;
    } else {
      EXPECT_EQ(report.state(), v1::MTA_STS_STATE_ABSENT) << entry.domain;
    }
  }
  EXPECT_EQ(reported, kDomains);
  EXPECT_EQ(errors, kInvalid);
  EXPECT_EQ(states[v1::MTA_STS_STATE_ENFORCED], kDomains / 10 * 9);
  EXPECT_EQ(states[v1::MTA_STS_STATE_ABSENT], kDomains / 10);

  // The summary covers the whole fleet, exactly.
  ASSERT_EQ(summaries, 1);
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->received(), total);
  EXPECT_EQ(summary->reported(), kDomains);
  EXPECT_EQ(summary->errors(), kInvalid);
  std::map<v1::MtaStsState, int> summary_states;
  for (const auto& s : summary->by_state()) summary_states[s.state()] = s.count();
  EXPECT_EQ(summary_states, states);
  std::map<v1::Grade, int> summary_grades;
  for (const auto& g : summary->by_grade()) summary_grades[g.grade()] = g.count();
  EXPECT_EQ(summary_grades, grades);
  ASSERT_EQ(summary->score_histogram_size(), 10);
  EXPECT_EQ(summary->score_histogram(9), kDomains / 10 * 9);

  // What the library did: all three used, the dead ones' entries re-sent,
  // nothing answered twice.
  EXPECT_EQ(stats.backends, 3);
  EXPECT_EQ(stats.entries, total);
  EXPECT_EQ(stats.answered, total);
  EXPECT_EQ(stats.duplicates, 0);
  EXPECT_GT(stats.resent, 0);
  int64_t answered_sum = 0;
  for (const auto& b : stats.per_backend) answered_sum += b.answered;
  EXPECT_EQ(answered_sum, total);
  ASSERT_EQ(stats.per_backend.size(), 3u);
  const auto& killed_backend = stats.per_backend[0];
  const auto& drained_backend = stats.per_backend[1];
  const auto& survivor = stats.per_backend[2];
  EXPECT_GE(killed_backend.failed_streams, 1);
  EXPECT_GT(killed_backend.resent_from, 0) << "the killed replica had nothing in flight";
  EXPECT_GE(drained_backend.failed_streams, 1);
  EXPECT_EQ(survivor.failed_streams, 0) << survivor.last_error;
  EXPECT_GT(survivor.answered, total - answered_at_term);
  std::cout << (lab->containers() ? "replicas (containers): " : "replicas: ") << total
            << " entries in " << absl::FormatDuration(fleet_time) << "; answered "
            << killed_backend.answered << " / " << drained_backend.answered << " / "
            << survivor.answered << "; killed at " << answered_at_kill << ", terminated at " << answered_at_term << "; re-sent "
            << stats.resent << " (" << killed_backend.resent_from << " from the killed, "
            << drained_backend.resent_from << " from the drained)\n";

  // The killed one died of the signal; the drained one ended its stream as
  // draining and exited cleanly within the grace.
  auto killed_status = lab->WaitExit(0, absl::Seconds(30));
  ASSERT_TRUE(killed_status.ok());
  EXPECT_TRUE(lab->KilledBySigkill(*killed_status)) << *killed_status;
  auto drained_status = lab->WaitExit(1, absl::Seconds(30));
  ASSERT_TRUE(drained_status.ok()) << drained_status.status();
  EXPECT_TRUE(lab->ExitedCleanly(*drained_status)) << *drained_status;
  const std::vector<std::string> log = lab->Log(1);
  EXPECT_TRUE(LogHas(log, "\"event\":\"shutting_down\""));
  EXPECT_TRUE(LogHas(log, "\"event\":\"stopped\""));
  EXPECT_TRUE(LogHas(log, "StreamFleet", "UNAVAILABLE")) << absl::StrJoin(log, "\n");
  EXPECT_TRUE(lab->Running(2));
}

// Health turns NOT_SERVING on SIGTERM while the process still runs and an
// admitted fleet entry is still being checked; that entry is answered, an
// entry sent after the drain began is not checked (no event), the stream ends
// UNAVAILABLE "server draining", a new stream is refused so at once, a
// CheckDomain still works, and then the process exits 0.
TEST(ReplicasTest, SigtermTurnsHealthNotServingThenDrainsThenExits) {
  auto lab = StartLab(1, 10);
  ASSERT_NE(lab, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", lab->port(0)),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto stub = v1::MtaStsChecker::NewStub(channel);

  grpc::ClientContext watch_context;
  grpc::health::v1::HealthCheckRequest watch_request;
  watch_request.set_service("mtasts.v1.MtaStsChecker");
  auto watch = health->Watch(&watch_context, watch_request);
  grpc::health::v1::HealthCheckResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  ASSERT_EQ(seen.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // An entry whose DNS answers are held (slow.test): admitted and running.
  grpc::ClientContext fleet_context;
  fleet_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  auto stream = stub->StreamFleet(&fleet_context);
  v1::FleetRequest slow;
  slow.set_domain("slow.test");
  slow.set_tag("slow");
  for (const std::string& c : LabChecks()) slow.mutable_options()->add_checks(c);
  ASSERT_TRUE(stream->Write(slow));
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (lab->dns().queries_for("slow.test") == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(lab->dns().queries_for("slow.test"), 0) << "the slow entry never started";

  lab->Signal(0, SIGTERM);
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(lab->Running(0)) << "NOT_SERVING must come before the exit";
  watch_context.TryCancel();
  while (watch->Read(&seen)) {
  }
  (void)watch->Finish();

  // Sent after the drain began: not read, never answered.
  v1::FleetRequest late = slow;
  late.set_domain(ReplicaLab::Domain(0));
  late.set_tag("late");
  (void)stream->Write(late);

  // Still draining (the slow entry holds it): a new stream is refused, a
  // single check is served.
  {
    grpc::ClientContext context;
    auto refused = stub->StreamFleet(&context);
    v1::FleetEvent event;
    EXPECT_FALSE(refused->Read(&event));
    grpc::Status s = refused->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(s.error_message(), HasSubstr("server draining"));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::CheckDomainRequest request;
    request.set_domain(ReplicaLab::Domain(1));
    for (const std::string& c : LabChecks()) request.mutable_options()->add_checks(c);
    v1::DomainReport report;
    grpc::Status s = stub->CheckDomain(&context, request, &report);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(report.state(), v1::MTA_STS_STATE_ENFORCED);
  }
  EXPECT_TRUE(lab->Running(0));

  std::vector<std::string> tags;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    ASSERT_TRUE(event.has_result()) << event.DebugString();
    tags.push_back(event.result().tag());
  }
  grpc::Status s = stream->Finish();
  EXPECT_EQ(tags, std::vector<std::string>{"slow"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("server draining: 1 entries"));

  auto exit = lab->WaitExit(0, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(lab->ExitedCleanly(*exit)) << *exit;
  EXPECT_TRUE(LogHas(lab->Log(0), "\"event\":\"stopped\""));
}

// The CLI, as a user runs it: one --server with three addresses, a domain
// list file; every domain printed once, and a summary saying the fleet was
// spread over the three.
TEST(ReplicasTest, CliSpreadsAFleetOverEveryReplica) {
  constexpr int kListed = 300;
  auto lab = StartLab(3, kListed);
  ASSERT_NE(lab, nullptr);
  const std::string list = absl::StrCat(::testing::TempDir(), "/replicas_list.txt");
  {
    FILE* f = fopen(list.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < kListed; ++i) fprintf(f, "%s c%d\n", ReplicaLab::Domain(i).c_str(), i);
    fclose(f);
  }
  const std::string command =
      absl::StrCat(cli_binary, " --server ", lab->Target(), " --timeout 5m --checks ",
                   absl::StrJoin(LabChecks(), ","), " fleet ", list, " 2>&1");
  FILE* out = popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), out)) > 0) text.append(buffer, n);
  const int status = pclose(out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  // Result lines ("A  100 ENFORCED     d0042.test [c42]"); the summary's
  // slowest domains are indented.
  std::map<std::string, int> printed;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == ' ' || !absl::EndsWith(line, "]")) continue;
    const size_t space = line.rfind(" d");
    if (space != absl::string_view::npos) ++printed[std::string(line.substr(space + 1))];
  }
  ASSERT_EQ(printed.size(), static_cast<size_t>(kListed)) << text;
  for (int i = 0; i < kListed; ++i) {
    EXPECT_EQ(printed[absl::StrCat(ReplicaLab::Domain(i), " [c", i, "]")], 1) << i;
  }
  EXPECT_THAT(text, HasSubstr(absl::StrCat(kListed, " received, ", kListed, " reported, 0 errors")));
  EXPECT_THAT(text, HasSubstr("Spread over 3 backends:"));
  EXPECT_THAT(text, HasSubstr("; 0 entries re-sent"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("ipv4:127.0.0.1:", lab->port(i), " ")));
  }
}

}  // namespace
}  // namespace mtasts::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    fprintf(stderr, "usage: replicas_test <mtasts_server> <mtasts>\n");
    return 2;
  }
  mtasts::testing::server_binary = argv[1];
  mtasts::testing::cli_binary = argv[2];
  return RUN_ALL_TESTS();
}

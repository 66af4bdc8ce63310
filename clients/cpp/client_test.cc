// The C++ client against the real server (tests/integration's TestLab: the
// whole service in-process on loopback, with the fake DNS server).
#include "clients/cpp/client.h"

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/integration/test_lab.h"

namespace mtasts::client {
namespace {

using ::mtasts::testing::LabOptions;
using ::mtasts::testing::TestLab;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kPki[] = "clients/cli/testdata/";

std::string Address(TestLab& lab) { return absl::StrCat("127.0.0.1:", lab.server().port()); }

std::unique_ptr<Client> MakeClient(const std::string& target, RetryOptions retry = {}) {
  ClientOptions options;
  options.target = target;
  options.retry = retry;
  auto client = Client::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

v1::FleetRequest Entry(const std::string& domain, const std::string& tag) {
  v1::FleetRequest entry;
  entry.set_domain(domain);
  entry.set_tag(tag);
  entry.mutable_options()->add_checks("txt");
  return entry;
}

// A Fleet() entry source that hands out `entries` in order, then the end.
Client::EntrySource InOrder(std::vector<v1::FleetRequest> entries) {
  return [entries = std::move(entries),
          next = size_t{0}]() mutable -> absl::StatusOr<std::optional<v1::FleetRequest>> {
    if (next == entries.size()) return std::nullopt;
    return entries[next++];
  };
}

// The fleet tests, run with each kind of stream: the sync API (the
// default) and async calls driven by the calling thread
// (FleetOptions::drive_on_calling_thread, the CLI's for list files).
class FleetTest : public ::testing::TestWithParam<bool> {
 protected:
  FleetOptions WithMode(FleetOptions options) {
    options.drive_on_calling_thread = GetParam();
    return options;
  }

  // Client::Fleet with a timeout: the plain overload for the default.
  absl::Status Fleet(Client& client, const Client::EntrySource& next_entry,
                     const Client::EventSink& on_event, absl::Duration timeout) {
    if (!GetParam()) return client.Fleet(next_entry, on_event, timeout);
    return client.Fleet(next_entry, on_event, WithMode({.timeout = timeout}));
  }
};

INSTANTIATE_TEST_SUITE_P(Streams, FleetTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Driven" : "Sync";
                         });

TEST(ClientTest, CheckReturnsTheReport) {
  auto lab = TestLab::Start({});
  lab->dns().Txt("_mta-sts.example.com", {{"v=STSv1; id=20240101"}});
  auto client = MakeClient(Address(*lab));
  absl::StatusOr<v1::DomainReport> report = client->Check("Example.COM.", {"txt"}, absl::Seconds(20));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->domain(), "example.com");
  EXPECT_EQ(::mtasts::testing::ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
}

TEST(ClientTest, InvalidDomainIsInvalidArgumentWithTheServersMessage) {
  auto lab = TestLab::Start({});
  auto client = MakeClient(Address(*lab));
  absl::StatusOr<v1::DomainReport> report = client->Check("https://example.com/");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(report.status().message(), HasSubstr("example.com"));
  // An unknown check name too.
  EXPECT_EQ(client->Check("example.com", {"no_such_check"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, UnreachableServerIsUnavailableAfterItsRetries) {
  auto client = MakeClient("127.0.0.1:1", {.max_attempts = 3,
                                           .initial_backoff = absl::Milliseconds(10),
                                           .max_backoff = absl::Milliseconds(20)});
  EXPECT_EQ(client->Check("example.com", {}, absl::Seconds(10)).status().code(),
            absl::StatusCode::kUnavailable);
}

// The server holds one domain at a time (--max_inflight=1): a second
// CheckDomain is refused with RESOURCE_EXHAUSTED while the first runs.
class BusyServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = TestLab::Start(LabOptions{.max_inflight = 1});
    lab_->dns().Drop("_mta-sts.slow.example");
    holder_ = std::thread([this] {
      v1::CheckDomainRequest request;
      request.set_domain("slow.example");
      request.mutable_options()->add_checks("txt");
      request.mutable_options()->mutable_timeout()->set_nanos(600'000'000);  // holds the slot 0.6s
      auto client = MakeClient(Address(*lab_), {.max_attempts = 1});
      EXPECT_TRUE(client->Check(request).ok());
    });
    ASSERT_TRUE(::mtasts::testing::WaitUntil(
        [this] { return lab_->server().service().InFlight() == 1; }, absl::Seconds(10),
        "the slow check to hold the slot"));
  }
  void TearDown() override { holder_.join(); }

  std::unique_ptr<TestLab> lab_;
  std::thread holder_;
};

TEST_F(BusyServerTest, WithoutRetryCheckIsResourceExhausted) {
  auto client = MakeClient(Address(*lab_), {.max_attempts = 1});
  absl::StatusOr<v1::DomainReport> report = client->Check("other.example", {"txt"});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(report.status().message(), HasSubstr("limit"));
}

TEST_F(BusyServerTest, CheckIsRetriedWithBackoffUntilTheServerHasRoom) {
  // Backoff up to 2s a retry: four retries land inside the remaining ~0.5s
  // with a chance of about 1 in 10^5.
  auto client = MakeClient(Address(*lab_), {.max_attempts = 5,
                                            .initial_backoff = absl::Seconds(2),
                                            .max_backoff = absl::Seconds(2),
                                            .backoff_multiplier = 1});
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::DomainReport> report = client->Check("other.example", {"txt"},
                                                          absl::Seconds(30));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->domain(), "other.example");
  EXPECT_GT(absl::Now() - start, absl::Milliseconds(50)) << "it was refused first";
}

TEST_P(FleetTest, FleetStreamsEveryEntryThenTheSummary) {
  auto lab = TestLab::Start({});
  auto client = MakeClient(Address(*lab));
  std::vector<v1::FleetRequest> entries = {Entry("a.example", "1"), Entry("b.example", "2"),
                                           Entry("not a domain", "3")};
  std::vector<v1::FleetEvent> events;
  absl::Status status = Fleet(
      *client, InOrder(entries),
      [&](const v1::FleetEvent& event) { events.push_back(event); }, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_THAT(events, SizeIs(4));
  std::set<std::string> tags;
  for (int i = 0; i < 3; ++i) {
    if (events[i].has_result()) {
      tags.insert(events[i].result().tag());
    } else {
      ASSERT_TRUE(events[i].has_error());
      EXPECT_EQ(events[i].error().tag(), "3");
      EXPECT_EQ(events[i].error().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
      tags.insert(events[i].error().tag());
    }
  }
  EXPECT_EQ(tags, (std::set<std::string>{"1", "2", "3"}));
  ASSERT_TRUE(events[3].has_summary());
  EXPECT_EQ(events[3].summary().received(), 3);
  EXPECT_EQ(events[3].summary().errors(), 1);
}

// on_batch_end runs after events were handed over and never before the first
// one: every event is followed by a call before the fleet returns, the
// summary included (the CLI flushes its output there).
TEST_P(FleetTest, FleetCallsOnBatchEndAfterEveryBatchOfEvents) {
  auto lab = TestLab::Start({});
  auto client = MakeClient(Address(*lab));
  std::vector<v1::FleetRequest> entries = {Entry("a.example", "1"), Entry("b.example", "2"),
                                           Entry("c.example", "3")};
  int events = 0;
  int unflushed = 0;  // events since the last on_batch_end
  int batch_ends = 0;
  bool end_without_events = false;
  FleetOptions options = WithMode({.timeout = absl::Seconds(30)});
  options.on_batch_end = [&]() {
    ++batch_ends;
    if (unflushed == 0) end_without_events = true;
    unflushed = 0;
  };
  absl::Status status = client->Fleet(
      InOrder(entries),
      [&](const v1::FleetEvent&) {
        ++events;
        ++unflushed;
      },
      options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(events, 4);
  EXPECT_EQ(unflushed, 0) << "the last events (the summary) were not followed by on_batch_end";
  EXPECT_GE(batch_ends, 2);  // the results, then the summary
  EXPECT_LE(batch_ends, 4);
  EXPECT_FALSE(end_without_events);
}

// Entries are pulled as the server takes them: with domains that never
// finish, an endless source stops being asked (the stream is flow-controlled,
// not buffered) until the call's deadline ends it.
TEST_P(FleetTest, FleetPullsOnlyWhatTheStreamTakes) {
  // No domain finishes within the test: DNS never answers, 5 s a try.
  auto lab = TestLab::Start(LabOptions{.fleet_max_inflight = 2, .dns_timeout = absl::Seconds(5)});
  lab->dns().server().SetDefaultReply(fakes::DnsReply::Drop());
  auto client = MakeClient(Address(*lab));
  std::atomic<int64_t> pulled{0};
  int64_t at_1500ms = 0;
  int64_t at_2800ms = 0;
  std::thread sampler([&] {
    absl::SleepFor(absl::Milliseconds(1500));
    at_1500ms = pulled.load();
    absl::SleepFor(absl::Milliseconds(1300));
    at_2800ms = pulled.load();
  });
  int events = 0;
  const absl::Time start = absl::Now();
  absl::Status status = Fleet(
      *client,
      [&]() -> absl::StatusOr<std::optional<v1::FleetRequest>> {
        if (pulled.load() >= 5'000'000) return absl::InternalError("never flow-controlled");
        ++pulled;
        return Entry(absl::StrCat("d", pulled.load(), ".example"), "t");
      },
      [&](const v1::FleetEvent&) { ++events; }, absl::Seconds(3));
  sampler.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  // Two in flight, the rest in the transport's windows: a source that could
  // give five million entries was asked one at a time as Send() returned,
  // a few tens of thousands in all. (The count creeps up while the server
  // reads nothing, some 15k entries a second here: gRPC's bandwidth probing
  // keeps widening the server's receive window. clients/cli's test pins that
  // window on a fake server and sees the sender stop.)
  EXPECT_GT(at_1500ms, 2);
  EXPECT_LT(pulled.load(), 200'000) << "at 1.5s " << at_1500ms << ", at 2.8s " << at_2800ms;
  EXPECT_LT(events, 50);
}

TEST_P(FleetTest, ASourceErrorCancelsTheFleetWithoutSummary) {
  auto lab = TestLab::Start({});
  auto client = MakeClient(Address(*lab));
  int next = 0;
  std::vector<v1::FleetEvent> events;
  absl::Status status = Fleet(
      *client,
      [&]() -> absl::StatusOr<std::optional<v1::FleetRequest>> {
        if (next == 3) return absl::DataLossError("domain list unreadable at line 4");
        ++next;
        return Entry(absl::StrCat("e", next, ".example"), "t");
      },
      [&](const v1::FleetEvent& event) { events.push_back(event); }, absl::Seconds(30));
  EXPECT_EQ(status, absl::DataLossError("domain list unreadable at line 4"));
  for (const auto& event : events) EXPECT_FALSE(event.has_summary());
}

TEST(ClientTest, ACancelledFleetCallEndsWithCancelled) {
  auto lab = TestLab::Start(LabOptions{.fleet_max_inflight = 2});
  lab->dns().server().SetDefaultReply(fakes::DnsReply::Drop());
  auto client = MakeClient(Address(*lab));
  std::unique_ptr<FleetCall> call = client->StartFleet(absl::Seconds(30));
  ASSERT_TRUE(call->Send(Entry("x.example", "1")));
  ASSERT_TRUE(call->Send(Entry("y.example", "2")));
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));
    call->Cancel();
  });
  const absl::Time start = absl::Now();
  EXPECT_EQ(call->Next(), std::nullopt);  // nothing finishes: DNS never answers
  canceller.join();
  EXPECT_EQ(call->Finish().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(ClientTest, SeveralAddressesAreUsedRoundRobin) {
  auto one = TestLab::Start({});
  auto two = TestLab::Start({});
  auto client = MakeClient(absl::StrCat("ipv4:", Address(*one), ",", Address(*two)));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client->Check("rr.example", {"txt"}, absl::Seconds(20)).ok());
  }
  // pick_first would send all six to the first address.
  EXPECT_GT(one->dns().QueriesFor("_mta-sts.rr.example"), 0);
  EXPECT_GT(two->dns().QueriesFor("_mta-sts.rr.example"), 0);
}

TEST(ClientTest, DnsTargetResolvesAndConnects) {
  auto lab = TestLab::Start({});
  auto client = MakeClient(absl::StrCat("dns:///localhost:", lab->server().port()));
  absl::StatusOr<v1::DomainReport> report = client->Check("example.com", {"txt"}, absl::Seconds(20));
  EXPECT_TRUE(report.ok()) << report.status();
}

// A port nothing listens on: a lab's, after the lab is gone.
int DeadPort() {
  auto lab = TestLab::Start({});
  return lab->server().port();
}

struct FleetRun {
  absl::Status status;
  std::map<std::string, int> answers;  // tag -> events
  std::vector<v1::FleetSummary> summaries;
  FleetStats stats;
};

FleetRun RunFleet(Client& client, int entries, const FleetOptions& options) {
  FleetRun run;
  int next = 0;
  run.status = client.Fleet(
      [&]() -> absl::StatusOr<std::optional<v1::FleetRequest>> {
        if (next == entries) return std::nullopt;
        ++next;
        return Entry(absl::StrCat("d", next, ".example"), absl::StrCat("t", next));
      },
      [&](const v1::FleetEvent& event) {
        if (event.has_summary()) {
          run.summaries.push_back(event.summary());
        } else {
          ++run.answers[event.has_result() ? event.result().tag() : event.error().tag()];
        }
      },
      options, &run.stats);
  return run;
}

TEST_P(FleetTest, FleetIsSpreadOverEveryBackend) {
  auto one = TestLab::Start({});
  auto two = TestLab::Start({});
  // Every answer takes 150 ms (under the lab's 200 ms attempt timeout): one
  // backend alone needs 60 / window 5 x 150 ms = 1.8 s for the list, so the
  // other's stream opens long before the list runs out. Answered at once, a
  // backend slow to connect under load could find no entry left (1 run in 6).
  for (TestLab* lab : {one.get(), two.get()}) {
    for (int i = 1; i <= 60; ++i) {
      const std::string name = absl::StrCat("_mta-sts.d", i, ".example");
      lab->dns().Txt(name, {{"v=STSv1; id=1"}});
      lab->dns().Delay(name, absl::Milliseconds(150));
    }
  }
  auto client = MakeClient(absl::StrCat("ipv4:", Address(*one), ",", Address(*two)));
  FleetRun run = RunFleet(*client, 60, WithMode({.timeout = absl::Seconds(60), .window = 5}));
  ASSERT_TRUE(run.status.ok()) << run.status;
  ASSERT_THAT(run.answers, SizeIs(60));
  for (const auto& [tag, n] : run.answers) EXPECT_EQ(n, 1) << tag;
  ASSERT_THAT(run.summaries, SizeIs(1));
  EXPECT_EQ(run.summaries[0].received(), 60);
  EXPECT_EQ(run.stats.backends, 2);
  EXPECT_EQ(run.stats.resent, 0);
  ASSERT_THAT(run.stats.per_backend, SizeIs(2));
  EXPECT_GT(run.stats.per_backend[0].answered, 0);
  EXPECT_GT(run.stats.per_backend[1].answered, 0);
  EXPECT_EQ(run.stats.per_backend[0].answered + run.stats.per_backend[1].answered, 60);
  // Both servers really checked domains.
  int64_t asked_one = 0, asked_two = 0;
  for (int i = 1; i <= 60; ++i) {
    asked_one += one->dns().QueriesFor(absl::StrCat("_mta-sts.d", i, ".example"));
    asked_two += two->dns().QueriesFor(absl::StrCat("_mta-sts.d", i, ".example"));
  }
  EXPECT_GT(asked_one, 0);
  EXPECT_GT(asked_two, 0);
}

TEST_P(FleetTest, ADeadBackendsEntriesGoToTheOthers) {
  const int dead = DeadPort();
  auto live = TestLab::Start({});
  auto client =
      MakeClient(absl::StrCat("ipv4:127.0.0.1:", dead, ",", Address(*live)));
  FleetRun run = RunFleet(*client, 30,
                          WithMode({.timeout = absl::Seconds(60), .window = 5,
                                    .retry_backoff = absl::Milliseconds(20),
                                    .max_retry_backoff = absl::Milliseconds(40)}));
  ASSERT_TRUE(run.status.ok()) << run.status;
  ASSERT_THAT(run.answers, SizeIs(30));
  for (const auto& [tag, n] : run.answers) EXPECT_EQ(n, 1) << tag;
  ASSERT_THAT(run.summaries, SizeIs(1));
  EXPECT_EQ(run.summaries[0].received(), 30);
  ASSERT_THAT(run.stats.per_backend, SizeIs(2));
  EXPECT_EQ(run.stats.per_backend[0].answered, 0);
  EXPECT_GE(run.stats.per_backend[0].failed_streams, 1);
  EXPECT_THAT(run.stats.per_backend[0].last_error, HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(run.stats.per_backend[1].answered, 30);
  EXPECT_EQ(run.stats.duplicates, 0);
}

TEST_P(FleetTest, AFleetWithEveryBackendDeadIsUnavailableWithoutSummary) {
  auto client = MakeClient(absl::StrCat("ipv4:127.0.0.1:", DeadPort(), ",127.0.0.1:", DeadPort()));
  FleetRun run = RunFleet(*client, 10,
                          WithMode({.timeout = absl::Seconds(60), .max_stream_failures = 3,
                                    .retry_backoff = absl::Milliseconds(10),
                                    .max_retry_backoff = absl::Milliseconds(20)}));
  EXPECT_EQ(run.status.code(), absl::StatusCode::kUnavailable) << run.status;
  EXPECT_THAT(std::string(run.status.message()), HasSubstr("every backend failed"));
  EXPECT_THAT(run.summaries, SizeIs(0));
  EXPECT_THAT(run.answers, SizeIs(0));
  for (const auto& b : run.stats.per_backend) {
    EXPECT_TRUE(b.given_up);
    EXPECT_EQ(b.failed_streams, 3);
  }
}

TEST(ClientTest, BadFleetOptionsAreRefused) {
  auto client = MakeClient("127.0.0.1:1");
  for (FleetOptions bad : {FleetOptions{.window = 0}, FleetOptions{.max_stream_failures = 0},
                           FleetOptions{.retry_backoff = absl::ZeroDuration()},
                           FleetOptions{.retry_backoff = absl::Seconds(2),
                                        .max_retry_backoff = absl::Seconds(1)}}) {
    EXPECT_EQ(RunFleet(*client, 1, bad).status.code(), absl::StatusCode::kInvalidArgument);
  }
  auto bad_target = MakeClient("ipv4:127.0.0.1:0");
  EXPECT_EQ(RunFleet(*bad_target, 1, {}).status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, BadOptionsAreRefused) {
  ClientOptions no_key;
  no_key.tls = TlsOptions{.cert_chain_pem = "x"};
  EXPECT_EQ(Client::Create(no_key).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Client::Create({.target = ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Client::Create({.retry = {.max_attempts = 9}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto missing = TlsOptions::FromFiles("/nonexistent/ca.pem", "", "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/ca.pem"));
}

TEST(ClientTest, ServiceConfigHasRoundRobinAndTheRetryPolicy) {
  EXPECT_EQ(ServiceConfigJson({.max_attempts = 1}),
            R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  EXPECT_THAT(ServiceConfigJson({}),
              HasSubstr(R"("retryableStatusCodes":["RESOURCE_EXHAUSTED","UNAVAILABLE"])"));
  EXPECT_THAT(ServiceConfigJson({}), HasSubstr(R"("method":"CheckDomain")"));
}

// The server with TLS on its gRPC port and client certificates required.
class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = ::mtasts::testing::StartTlsServer(/*require_client_cert=*/true);
    ASSERT_TRUE(started.ok()) << started.status();
    dns_ = std::move(started->dns);
    server_ = std::move(started->server);
  }

  absl::Status CheckWith(std::optional<TlsOptions> tls) {
    ClientOptions options;
    options.target = absl::StrCat("localhost:", server_->port());
    options.tls = std::move(tls);
    options.retry.max_attempts = 1;
    auto client = Client::Create(options);
    if (!client.ok()) return client.status();
    return (*client)->Check("tls.example", {"txt"}, absl::Seconds(10)).status();
  }

  std::unique_ptr<fakes::FakeDnsServer> dns_;
  std::unique_ptr<server::MtaStsServer> server_;
};

TEST_F(MutualTlsTest, ClientCertificateIsAccepted) {
  auto tls = TlsOptions::FromFiles(absl::StrCat(kPki, "ca.pem"), absl::StrCat(kPki, "client.pem"),
                                   absl::StrCat(kPki, "client.key.pem"));
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(CheckWith(*tls).ok());
}

TEST_F(MutualTlsTest, WithoutClientCertificateOrTlsTheCallFails) {
  auto ca_only = TlsOptions::FromFiles(absl::StrCat(kPki, "ca.pem"), "", "");
  ASSERT_TRUE(ca_only.ok());
  EXPECT_EQ(CheckWith(*ca_only).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CheckWith(std::nullopt).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mtasts::client

// The engine on its own, with tiny in-test checks: when checks start (their
// declared inputs ready), the deadline and Cancel() (CHECK_TIMED_OUT,
// CANCELLED once, OnCancel callbacks), fast mode, report annotation before
// scoring, start-up validation and configured weights. The MX lookups go to
// the fake DNS server on loopback, as in production through the run's
// DnsSession.
#include "engine/engine.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/findings/finding.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::engine {
namespace {

using checks::Check;
using checks::CheckContext;
using checks::CheckVerdict;
using checks::Input;
using fakes::DnsRecord;
using fakes::DnsReply;
using fakes::DnsType;
using fakes::FakeDnsServer;

// Generous: a loaded 2-core machine runs several test binaries at once.
constexpr absl::Duration kWait = absl::Seconds(30);
constexpr char kDomain[] = "example.test";

// What a FakeCheck saw and was asked; shared with the test (the engine owns
// the check). Thread-safe.
struct Seen {
  mutable absl::Mutex mu;
  int runs ABSL_GUARDED_BY(mu) = 0;
  int on_cancel_runs ABSL_GUARDED_BY(mu) = 0;
  int annotate_calls ABSL_GUARDED_BY(mu) = 0;
  // At Run: the inputs as the check found them.
  std::optional<checks::MxSet> mx_at_run ABSL_GUARDED_BY(mu);
  std::optional<checks::PolicyFetch> policy_at_run ABSL_GUARDED_BY(mu);
  // At AnnotateReport: the report as the check found it.
  std::optional<v1::DomainReport> report_at_annotate ABSL_GUARDED_BY(mu);
  absl::Notification started;
  absl::Notification cancelled;

  int Runs() const { absl::MutexLock l(&mu); return runs; }
  int OnCancelRuns() const { absl::MutexLock l(&mu); return on_cancel_runs; }
  int AnnotateCalls() const { absl::MutexLock l(&mu); return annotate_calls; }
};

// A check that reports PASS on the next turn of the reactor, or never
// (then it registers an OnCancel callback, as a check with sockets would).
class FakeCheck : public Check {
 public:
  struct Spec {
    std::string name;
    int weight = 10;
    std::vector<Input> inputs;
    bool probes = false;
    bool never_reports = false;
    absl::Status settings_status;
  };
  FakeCheck(Spec spec, std::shared_ptr<Seen> seen) : spec_(std::move(spec)), seen_(std::move(seen)) {}

  std::string_view name() const override { return spec_.name; }
  int default_weight() const override { return spec_.weight; }
  const checks::FindingTable& findings() const override { return checks::EngineFindings(); }
  std::vector<Input> inputs() const override { return spec_.inputs; }
  bool probes_mx_hosts() const override { return spec_.probes; }
  absl::Status ValidateSettings(const checks::ProbeSettings&) const override {
    return spec_.settings_status;
  }
  void AnnotateReport(v1::DomainReport* report) const override {
    absl::MutexLock l(&seen_->mu);
    ++seen_->annotate_calls;
    seen_->report_at_annotate = *report;
  }
  void Run(CheckContext& ctx, DoneCallback done) override {
    {
      absl::MutexLock l(&seen_->mu);
      ++seen_->runs;
      seen_->mx_at_run = ctx.mx_set();
      seen_->policy_at_run = ctx.policy();
    }
    if (!seen_->started.HasBeenNotified()) seen_->started.Notify();
    if (spec_.never_reports) {
      ctx.OnCancel([seen = seen_] {
        {
          absl::MutexLock l(&seen->mu);
          ++seen->on_cancel_runs;
        }
        if (!seen->cancelled.HasBeenNotified()) seen->cancelled.Notify();
      });
      held_ = std::move(done);  // never called
      return;
    }
    ctx.reactor().Post([done = std::move(done)]() mutable {
      CheckVerdict verdict;
      verdict.status = v1::CHECK_STATUS_PASS;
      verdict.fraction = 1;
      verdict.summary = "Fine.";
      done(std::move(verdict));
    });
  }

 private:
  const Spec spec_;
  const std::shared_ptr<Seen> seen_;
  DoneCallback held_;
};

// The report callback's deliveries.
struct Delivery {
  absl::Mutex mu;
  int calls ABSL_GUARDED_BY(mu) = 0;
  std::optional<absl::StatusOr<v1::DomainReport>> result ABSL_GUARDED_BY(mu);
  absl::Notification first;

  Engine::ReportCallback Callback() {
    return [this](absl::StatusOr<v1::DomainReport> r) {
      {
        absl::MutexLock l(&mu);
        ++calls;
        if (!result.has_value()) result = std::move(r);
      }
      if (!first.HasBeenNotified()) first.Notify();
    };
  }
  absl::StatusOr<v1::DomainReport> Wait() {
    EXPECT_TRUE(first.WaitForNotificationWithTimeout(kWait)) << "no report";
    absl::MutexLock l(&mu);
    if (!result.has_value()) return absl::DeadlineExceededError("no report");
    return *result;
  }
  int Calls() {
    absl::MutexLock l(&mu);
    return calls;
  }
};

const v1::CheckResult* ResultOf(const v1::DomainReport& report, const std::string& name) {
  for (const auto& c : report.checks()) {
    if (c.check() == name) return &c;
  }
  ADD_FAILURE() << "no result for " << name;
  return nullptr;
}

bool HasCode(const v1::CheckResult& result, v1::FindingCode code) {
  for (const auto& f : result.findings()) {
    if (f.code() == code) return true;
  }
  return false;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dns = FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    dns_->AddRecord(kDomain, DnsRecord::Mx(10, "mx1.example.test"));
    dns_->AddRecord("mx1.example.test", DnsRecord::A("127.0.0.2"));
  }

  // Adds a fake check to the next engine; returns what it will see.
  std::shared_ptr<Seen> Add(FakeCheck::Spec spec) {
    auto seen = std::make_shared<Seen>();
    pending_.push_back(std::make_unique<FakeCheck>(std::move(spec), seen));
    return seen;
  }

  EngineOptions Options() {
    EngineOptions options;
    options.reactor_threads = 1;
    options.dns.servers = {{"127.0.0.1", dns_->port()}};
    options.dns.attempt_timeout = absl::Seconds(2);
    options.allow_targets = "127.0.0.0/8";  // as --allow_targets in the labs
    options.checks = std::move(pending_);
    pending_.clear();
    return options;
  }

  std::unique_ptr<Engine> Create(EngineOptions options) {
    auto engine = Engine::Create(std::move(options));
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }

  std::shared_ptr<RunHandle> Start(Engine& engine, Delivery& delivery,
                                   v1::CheckOptions options = {},
                                   absl::Duration deadline = absl::Seconds(60)) {
    return engine.Start(kDomain, kDomain, std::move(options), absl::Now() + deadline,
                        delivery.Callback());
  }

  // Runs kDomain on `engine` and waits for the report. The delivery is kept
  // until the test ends, so that a late second call stays harmless.
  absl::StatusOr<v1::DomainReport> RunToReport(Engine& engine, v1::CheckOptions options = {},
                                               absl::Duration deadline = absl::Seconds(60)) {
    deliveries_.push_back(std::make_unique<Delivery>());
    Start(engine, *deliveries_.back(), std::move(options), deadline);
    return deliveries_.back()->Wait();
  }

  // An engine with Options() whose runs `observer` watches.
  std::unique_ptr<Engine> CreateObserved(EngineObserver* observer) {
    EngineOptions options = Options();
    options.observer = observer;
    return Create(std::move(options));
  }

  std::unique_ptr<FakeDnsServer> dns_;
  std::vector<std::unique_ptr<Check>> pending_;
  std::vector<std::unique_ptr<Delivery>> deliveries_;
};

TEST_F(EngineTest, ChecksStartOnlyOnceTheirDeclaredInputsAreReady) {
  // The MX answer comes late: a check without inputs starts before it.
  dns_->SetReply(kDomain, DnsType::kMx,
                 DnsReply::Records({DnsRecord::Mx(10, "mx1.example.test")})
                     .Delayed(absl::Milliseconds(300)));
  auto plain = Add({.name = "plain"});
  auto mx = Add({.name = "mx", .inputs = {Input::kMxSet}});
  auto addresses = Add({.name = "addresses", .inputs = {Input::kMxAddresses}});
  auto policy = Add({.name = "policy", .inputs = {Input::kPolicy}});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  auto report = RunToReport(*engine);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const char* name : {"plain", "mx", "addresses", "policy"}) {
    const v1::CheckResult* r = ResultOf(*report, name);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status(), v1::CHECK_STATUS_PASS) << name;
  }

  absl::MutexLock l1(&plain->mu);
  ASSERT_TRUE(plain->mx_at_run.has_value());
  EXPECT_EQ(plain->mx_at_run->lookup.outcome, net::DnsResult{}.outcome)
      << "no inputs: started before the MX answer";
  EXPECT_TRUE(plain->mx_at_run->hosts.empty());

  absl::MutexLock l2(&mx->mu);
  ASSERT_TRUE(mx->mx_at_run.has_value());
  EXPECT_EQ(mx->mx_at_run->lookup.outcome, net::DnsOutcome::kAnswer);
  ASSERT_EQ(mx->mx_at_run->hosts.size(), 1u);
  EXPECT_EQ(mx->mx_at_run->hosts[0].host, "mx1.example.test");

  absl::MutexLock l3(&addresses->mu);
  ASSERT_TRUE(addresses->mx_at_run.has_value());
  ASSERT_EQ(addresses->mx_at_run->addresses.size(), 1u);
  EXPECT_EQ(addresses->mx_at_run->addresses[0].a.outcome, net::DnsOutcome::kAnswer);
  EXPECT_EQ(addresses->mx_at_run->addresses[0].a.addresses,
            std::vector<std::string>{"127.0.0.2"});

  absl::MutexLock l4(&policy->mu);
  ASSERT_TRUE(policy->policy_at_run.has_value());
  EXPECT_EQ(policy->policy_at_run->host, "mta-sts.example.test");
  EXPECT_EQ(policy->policy_at_run->a_lookup.outcome, net::DnsOutcome::kNxDomain)
      << "the policy fetch had finished (its address lookups answered)";
}

TEST_F(EngineTest, CheckThatNeverReportsTimesOutAndItsOnCancelRuns) {
  auto never = Add({.name = "never", .never_reports = true});
  auto quick = Add({.name = "quick"});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  Delivery delivery;
  Start(*engine, delivery, {}, absl::Seconds(2));
  auto report = delivery.Wait();
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult* timed_out = ResultOf(*report, "never");
  ASSERT_NE(timed_out, nullptr);
  EXPECT_EQ(timed_out->status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(HasCode(*timed_out, v1::CHECK_TIMED_OUT));
  EXPECT_EQ(timed_out->points_possible(), 0) << "left out of the score";
  EXPECT_EQ(ResultOf(*report, "quick")->status(), v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(never->cancelled.HasBeenNotified()) << "OnCancel runs before the report";
  engine.reset();  // joins the reactor: anything late has run
  EXPECT_EQ(never->OnCancelRuns(), 1);
  EXPECT_EQ(delivery.Calls(), 1);
}

TEST_F(EngineTest, CheckWaitingForItsInputTimesOutWithoutStarting) {
  dns_->SetReply(kDomain, DnsType::kMx, DnsReply::Drop());
  auto waiting = Add({.name = "waiting", .inputs = {Input::kMxSet}});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  auto report = RunToReport(*engine, {}, absl::Seconds(1));
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult* r = ResultOf(*report, "waiting");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(HasCode(*r, v1::CHECK_TIMED_OUT));
  // The deadline cut the MX lookup: the run was cut short, which blames
  // nothing on the domain (no domain-wide HIGH MX_LOOKUP_FAILED).
  bool cut_short = false;
  for (const v1::Finding& f : report->domain_findings()) {
    EXPECT_NE(f.code(), v1::MX_LOOKUP_FAILED) << f.detail();
    if (f.code() == v1::CHECK_TIMED_OUT) {
      cut_short = true;
      EXPECT_NE(f.detail().find("cut short"), std::string::npos) << f.detail();
      EXPECT_NE(f.detail().find("MX lookup"), std::string::npos) << f.detail();
    }
  }
  EXPECT_TRUE(cut_short);
  engine.reset();
  EXPECT_EQ(waiting->Runs(), 0);
}

TEST_F(EngineTest, CancelDeliversCancelledOnceAndRunsOnCancel) {
  auto never = Add({.name = "never", .never_reports = true});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  Delivery delivery;
  auto handle = Start(*engine, delivery);
  ASSERT_TRUE(never->started.WaitForNotificationWithTimeout(kWait));
  handle->Cancel();
  auto result = delivery.Wait();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
  EXPECT_TRUE(never->cancelled.HasBeenNotified()) << "OnCancel runs before delivery";
  handle->Cancel();  // a finished run: nothing
  engine.reset();
  EXPECT_EQ(delivery.Calls(), 1);
  EXPECT_EQ(never->OnCancelRuns(), 1);
  EXPECT_EQ(never->AnnotateCalls(), 0);
}

TEST_F(EngineTest, FastModeLeavesOutExactlyTheChecksThatProbeMxHosts) {
  auto probe = Add({.name = "probe", .inputs = {Input::kMxAddresses}, .probes = true});
  auto plain = Add({.name = "plain", .inputs = {Input::kMxAddresses}});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  v1::CheckOptions fast;
  fast.set_skip_mx_probe(true);
  auto report = RunToReport(*engine, fast);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult* skipped = ResultOf(*report, "probe");
  ASSERT_NE(skipped, nullptr);
  EXPECT_EQ(skipped->status(), v1::CHECK_STATUS_NOT_RUN);
  EXPECT_NE(skipped->summary().find("fast mode"), std::string::npos) << skipped->summary();
  EXPECT_EQ(ResultOf(*report, "plain")->status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(probe->Runs(), 0);
  EXPECT_EQ(plain->Runs(), 1);

  // Without fast mode both run.
  auto full_report = RunToReport(*engine);
  ASSERT_TRUE(full_report.ok()) << full_report.status();
  EXPECT_EQ(ResultOf(*full_report, "probe")->status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(probe->Runs(), 1);
}

TEST_F(EngineTest, RequestedChecksOnlyTheOthersAreNotRun) {
  auto a = Add({.name = "a"});
  auto b = Add({.name = "b"});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  v1::CheckOptions options;
  options.add_checks("b");
  auto report = RunToReport(*engine, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "a")->status(), v1::CHECK_STATUS_NOT_RUN);
  EXPECT_EQ(ResultOf(*report, "b")->status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(a->Runs(), 0);
}

TEST_F(EngineTest, EveryCheckAnnotatesOnceAfterAllReportedAndBeforeScoring) {
  auto a = Add({.name = "a", .inputs = {Input::kMxSet}});
  auto b = Add({.name = "b", .inputs = {Input::kPolicy}});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  Delivery delivery;
  Start(*engine, delivery);
  auto report = delivery.Wait();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->score(), 0);
  EXPECT_FALSE(report->summary().empty());
  engine.reset();
  for (const auto& seen : {a, b}) {
    absl::MutexLock l(&seen->mu);
    EXPECT_EQ(seen->annotate_calls, 1);
    ASSERT_TRUE(seen->report_at_annotate.has_value());
    const v1::DomainReport& at = *seen->report_at_annotate;
    ASSERT_EQ(at.checks_size(), 2);
    for (const auto& c : at.checks()) {
      EXPECT_EQ(c.status(), v1::CHECK_STATUS_PASS) << c.check() << ": every check reported";
    }
    EXPECT_EQ(at.score(), 0) << "not scored yet";
    EXPECT_EQ(at.grade(), v1::Grade{}) << "not scored yet";
    EXPECT_TRUE(at.summary().empty()) << "not scored yet";
    EXPECT_EQ(at.evidence().mx_hosts_size(), 1) << "the evidence is complete";
  }
  EXPECT_EQ(delivery.Calls(), 1);
}

TEST_F(EngineTest, SettingACheckRefusesStopsCreate) {
  Add({.name = "fine"});
  Add({.name = "picky",
       .settings_status = absl::InvalidArgumentError("--picky_flag: cannot work with this")});
  auto engine = Engine::Create(Options());
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine.status().message(), "--picky_flag: cannot work with this");
}

TEST_F(EngineTest, BadAllowTargetsStopsCreate) {
  Add({.name = "fine"});
  EngineOptions options = Options();
  options.allow_targets = "not-a-cidr";
  auto engine = Engine::Create(std::move(options));
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine.status().message().rfind("--allow_targets: ", 0), 0u)
      << engine.status().message();
}

TEST_F(EngineTest, ValidateOptionsRefusesUnknownChecksNamingTheKnownOnes) {
  Add({.name = "alpha"});
  Add({.name = "beta"});
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->RegisteredChecks(), (std::vector<std::string>{"alpha", "beta"}));
  v1::CheckOptions ok;
  ok.add_checks("beta");
  EXPECT_TRUE(engine->ValidateOptions(ok).ok());
  EXPECT_TRUE(engine->ValidateOptions(v1::CheckOptions{}).ok());
  v1::CheckOptions bad;
  bad.add_checks("alpha");
  bad.add_checks("gamma");
  absl::Status status = engine->ValidateOptions(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("\"gamma\""), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("alpha, beta"), std::string::npos) << status.message();
}

TEST_F(EngineTest, ConfiguredWeightsOverrideDefaults) {
  Add({.name = "heavy", .weight = 30});
  Add({.name = "light", .weight = 10});
  EngineOptions options = Options();
  options.weights["light"] = 7;
  auto engine = Create(std::move(options));
  ASSERT_NE(engine, nullptr);
  auto report = RunToReport(*engine);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "heavy")->points_possible(), 30);
  EXPECT_EQ(ResultOf(*report, "light")->points_possible(), 7);
  EXPECT_EQ(ResultOf(*report, "light")->points_earned(), 7);
}

TEST_F(EngineTest, WeightForAnUnknownCheckStopsCreate) {
  Add({.name = "known"});
  EngineOptions options = Options();
  options.weights["unknown"] = 5;
  auto engine = Engine::Create(std::move(options));
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("unknown"), std::string::npos)
      << engine.status().message();
}

// What an EngineObserver was told. Thread-safe.
class RecordingObserver : public EngineObserver {
 public:
  void OnRunStarted() override {
    absl::MutexLock l(&mu_);
    ++started_;
  }
  void OnRunFinished(const absl::StatusOr<v1::DomainReport>& result) override {
    absl::MutexLock l(&mu_);
    finished_.push_back(result.ok() ? absl::OkStatus() : result.status());
    if (result.ok()) last_report_ = *result;
  }
  void OnDnsQuery(const DnsQueryEvent& event) override {
    absl::MutexLock l(&mu_);
    dns_.push_back(event);
  }
  std::vector<DnsQueryEvent> Dns() {
    absl::MutexLock l(&mu_);
    return dns_;
  }
  int Started() {
    absl::MutexLock l(&mu_);
    return started_;
  }
  std::vector<absl::Status> Finished() {
    absl::MutexLock l(&mu_);
    return finished_;
  }
  v1::DomainReport LastReport() {
    absl::MutexLock l(&mu_);
    return last_report_;
  }

 private:
  absl::Mutex mu_;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::Status> finished_ ABSL_GUARDED_BY(mu_);
  v1::DomainReport last_report_ ABSL_GUARDED_BY(mu_);
  std::vector<DnsQueryEvent> dns_ ABSL_GUARDED_BY(mu_);
};

TEST_F(EngineTest, ObserverSeesEveryRunStartAndItsDeliveredResult) {
  auto never = Add({.name = "never", .never_reports = true});
  RecordingObserver observer;
  auto engine = CreateObserved(&observer);
  ASSERT_NE(engine, nullptr);

  Delivery timed_out;
  Start(*engine, timed_out, {}, absl::Seconds(1));
  ASSERT_TRUE(timed_out.Wait().ok());
  ASSERT_EQ(observer.Finished().size(), 1u) << "told before the caller";
  EXPECT_TRUE(observer.Finished()[0].ok());
  EXPECT_EQ(observer.LastReport().domain(), kDomain);
  ASSERT_EQ(observer.LastReport().checks_size(), 1);
  EXPECT_EQ(observer.LastReport().checks(0).status(), v1::CHECK_STATUS_INCONCLUSIVE);

  Delivery cancelled;
  auto handle = Start(*engine, cancelled);
  EXPECT_EQ(observer.Started(), 2) << "counted when Start returns";
  handle->Cancel();
  EXPECT_EQ(cancelled.Wait().status().code(), absl::StatusCode::kCancelled);
  engine.reset();
  ASSERT_EQ(observer.Finished().size(), 2u);
  EXPECT_EQ(observer.Finished()[1].code(), absl::StatusCode::kCancelled);
}

// The run's questions reach the observer (the server's mtasts_dns_* metrics):
// the MX set's lookup answered, and its host's address lookups, with outcome
// and tries.
TEST_F(EngineTest, ObserverSeesEveryDnsQuestionOfARun) {
  dns_->SetReply("mx1.example.test", DnsType::kAaaa, DnsReply::ServFail());
  Add({.name = "needs_mx", .inputs = {Input::kMxAddresses}});
  RecordingObserver observer;
  auto engine = CreateObserved(&observer);
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(RunToReport(*engine).ok());
  engine.reset();  // every question the run asked has finished or been dropped

  std::map<v1::DnsOutcome, int> by_outcome;
  for (const DnsQueryEvent& e : observer.Dns()) {
    ++by_outcome[e.outcome];
    EXPECT_EQ(e.attempts, 1) << v1::DnsOutcome_Name(e.outcome);
    EXPECT_EQ(e.attempt_timeouts, 0);
    EXPECT_FALSE(e.used_tcp);
  }
  // MX of example.test and A of mx1 answered; AAAA of mx1 SERVFAIL.
  EXPECT_GE(by_outcome[v1::DNS_OUTCOME_ANSWER], 2);
  EXPECT_EQ(by_outcome[v1::DNS_OUTCOME_SERVFAIL], 1);
  EXPECT_EQ(static_cast<int64_t>(observer.Dns().size()), dns_->total_queries())
      << "one event per question: no retries, CNAMEs or TCP here";
}

// A check with a cache of its own, as mx_tls has.
class CachingCheck : public FakeCheck {
 public:
  CachingCheck(checks::CacheCounters counters, std::shared_ptr<Seen> seen)
      : FakeCheck({.name = "caching"}, std::move(seen)), counters_(counters) {}
  checks::CacheCounters cache_counters() const override { return counters_; }

 private:
  const checks::CacheCounters counters_;
};

TEST_F(EngineTest, ProbeCacheCountersAddUpTheChecksCaches) {
  Add({.name = "plain"});
  pending_.push_back(std::make_unique<CachingCheck>(
      checks::CacheCounters{.hits = 3, .joined = 2, .misses = 5}, std::make_shared<Seen>()));
  auto engine = Create(Options());
  ASSERT_NE(engine, nullptr);
  const ProbeCacheCounters counters = engine->probe_cache_counters();
  EXPECT_EQ(counters.hits, 3);
  EXPECT_EQ(counters.joined, 2);
  EXPECT_EQ(counters.misses, 5);
}

}  // namespace
}  // namespace mtasts::engine

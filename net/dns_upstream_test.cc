#include "net/dns_upstream.h"

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"

namespace mtasts::net {
namespace {

using ::testing::ElementsAre;

TEST(DnsUpstreamTest, OneProbeAnswersEveryoneAndIsReusedForTheWindow) {
  auto reactor = *Reactor::Create("upstream-test");
  DnsUpstream upstream(DnsUpstreamOptions{});
  absl::Mutex mu;
  std::vector<UpstreamHealth> heard;
  auto record = [&](UpstreamHealth h) {
    absl::MutexLock lock(&mu);
    heard.push_back(h);
  };
  UpstreamHealth known = UpstreamHealth::kUnknown;
  EXPECT_EQ(upstream.AskHealth(reactor.get(), record, &known), DnsUpstream::Ask::kProbe);
  EXPECT_EQ(upstream.AskHealth(reactor.get(), record, &known), DnsUpstream::Ask::kWaiting);
  upstream.ProbeDone(UpstreamHealth::kSilent);
  RunSync(reactor.get(), [] {});
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(heard, ElementsAre(UpstreamHealth::kSilent, UpstreamHealth::kSilent));
  }
  EXPECT_EQ(upstream.AskHealth(reactor.get(), record, &known), DnsUpstream::Ask::kKnown);
  EXPECT_EQ(known, UpstreamHealth::kSilent);
  EXPECT_EQ(upstream.probes(), 1);
}

TEST(DnsUpstreamTest, AnAbandonedProbeLetsTheNextAskerProbe) {
  auto reactor = *Reactor::Create("upstream-test");
  DnsUpstream upstream(DnsUpstreamOptions{});
  UpstreamHealth known;
  EXPECT_EQ(upstream.AskHealth(reactor.get(), [](UpstreamHealth) {}, &known),
            DnsUpstream::Ask::kProbe);
  upstream.ProbeDone(UpstreamHealth::kUnknown);
  EXPECT_EQ(upstream.AskHealth(reactor.get(), [](UpstreamHealth) {}, &known),
            DnsUpstream::Ask::kProbe);
  RunSync(reactor.get(), [] {});
}

TEST(DnsUpstreamTest, TimeoutsInManyRunsAtOnceAreOurOverload) {
  DnsUpstreamOptions options;
  options.mass_min_sessions = 3;
  options.mass_timeout_share = 0.2;
  DnsUpstream upstream(options);
  // One dead zone among healthy answers: the domain's, not ours.
  for (int i = 0; i < 5; ++i) upstream.NoteLookup(1, /*timed_out=*/true);
  for (int i = 0; i < 20; ++i) upstream.NoteLookup(100 + i, /*timed_out=*/false);
  EXPECT_EQ(upstream.MassTimeoutSessions(), 0);
  // Timeouts in three unrelated runs, a fifth of all lookups: ours.
  upstream.NoteLookup(2, true);
  upstream.NoteLookup(3, true);
  EXPECT_EQ(upstream.MassTimeoutSessions(), 3);
  // The same timeouts drowned in many answers are not.
  for (int i = 0; i < 100; ++i) upstream.NoteLookup(200 + i, false);
  EXPECT_EQ(upstream.MassTimeoutSessions(), 0);
}

TEST(DnsUpstreamTest, TheWindowForgets) {
  DnsUpstreamOptions options;
  options.mass_min_sessions = 2;
  options.mass_window = absl::Milliseconds(50);
  DnsUpstream upstream(options);
  upstream.NoteLookup(1, true);
  upstream.NoteLookup(2, true);
  EXPECT_EQ(upstream.MassTimeoutSessions(), 2);
  absl::SleepFor(absl::Milliseconds(80));
  EXPECT_EQ(upstream.MassTimeoutSessions(), 0);
}

}  // namespace
}  // namespace mtasts::net

// DnsSession's lifecycle: Cancel, destruction with queries in flight,
// callbacks never inside Query, and sessions sharing c-ares channels.

#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_resolver_test_fixture.h"
#include "net/dns_types.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::DnsRecord;
using ::mtasts::fakes::DnsReply;
using ::mtasts::fakes::DnsType;
using ::testing::ElementsAre;

TEST_F(DnsResolverTest, CancelStopsCallbacksAndRetries) {
  options_.attempt_timeout = absl::Milliseconds(100);
  options_.tries = 3;  // uncancelled: queries at 0, 100 and 300 ms
  dns_->SetReply("void.test", DnsType::kTxt, DnsReply::Drop());
  MakeSession();
  Results results;
  OnReactor([&] { session_->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(dns_->WaitForQueries(1, kWait));
  int in_flight = -1;
  OnReactor([&] {
    session_->Cancel();
    in_flight = session_->InFlight();
    // Queries after Cancel() never call back either.
    session_->Query("other.test", RrType::kA, results.Add());
  });
  EXPECT_EQ(in_flight, 0);
  // Past both retry times: had a retry timer survived Cancel, it would have
  // sent its query by the time this later timer runs.
  WaitForTimersDue(reactor_.get(), absl::Milliseconds(400));
  EXPECT_FALSE(dns_->WaitForQueries(2, absl::Milliseconds(50)));
  EXPECT_EQ(dns_->queries_for("void.test"), 1);
  EXPECT_EQ(dns_->queries_for("other.test"), 0);
  EXPECT_EQ(results.size(), 0u);
}

TEST_F(DnsResolverTest, CancelDropsResultsAlreadyQueued) {
  MakeSession();
  Results results;
  OnReactor([&] {
    // An invalid name completes at once, its result queued on the reactor.
    session_->Query("bad..name", RrType::kA, results.Add());
    session_->Cancel();
  });
  OnReactor([] {});
  EXPECT_EQ(results.size(), 0u);
}

TEST_F(DnsResolverTest, DestroyWithQueriesInFlight) {
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(30)));
  dns_->AddRecord("fast.test", DnsRecord::A("192.0.2.2"));
  MakeSession();
  Results results;
  OnReactor([&] {
    for (const char* name : {"void.test", "slow.test", "fast.test", "bad..name"}) {
      session_->Query(name, RrType::kA, results.Add());
    }
    EXPECT_EQ(session_->InFlight(), 4);
    // Hold the reactor until the answers sit unread in the socket (and the
    // invalid name's result in the reactor queue), then destroy.
    EXPECT_TRUE(dns_->WaitForQueries(3, kWait));
    // slow.test's delayed answer is sent once nothing is outstanding.
    EXPECT_TRUE(WaitUntil([&] { return dns_->outstanding() == 0; }));
    session_.reset();
  });
  OnReactor([] {});  // whatever the session had queued has run (or was dropped)
  EXPECT_EQ(results.size(), 0u);

  // Again with a TCP connection open and its answer pending.
  dns_->SetReply("tcp.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.3")})
                     .TruncatedOverUdp()
                     .Delayed(absl::Milliseconds(100)));
  MakeSession();
  OnReactor([&] { session_->Query("tcp.test", RrType::kA, results.Add()); });
  ASSERT_TRUE(WaitUntil([&] { return dns_->tcp_queries() > 0; }));
  ASSERT_EQ(dns_->tcp_queries(), 1);
  OnReactor([&] { session_.reset(); });
  // The delayed TCP answer goes out to a closed connection; nothing calls back.
  EXPECT_TRUE(WaitUntil([&] { return dns_->outstanding() == 0; }));
  OnReactor([] {});
  EXPECT_EQ(results.size(), 0u);

  // The reactor is still healthy.
  MakeSession();
  EXPECT_THAT(Resolve("fast.test", RrType::kA), HasOutcome(DnsOutcome::kAnswer));
}

TEST_F(DnsResolverTest, DestroyFromOwnCallback) {
  dns_->AddRecord("fast.test", DnsRecord::A("192.0.2.2"));
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  MakeSession();
  absl::Notification done;
  std::atomic<int> calls{0};
  OnReactor([&] {
    session_->Query("void.test", RrType::kA, [&](DnsResult) { ++calls; });
    session_->Query("fast.test", RrType::kA, [&](DnsResult r) {
      ++calls;
      EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
      session_.reset();
      done.Notify();
    });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  OnReactor([] {});  // results queued before the reset have had their turn
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(DnsResolverTest, CallbackNeverRunsInsideQuery) {
  dns_->AddRecord("fast.test", DnsRecord::A("192.0.2.2"));
  MakeSession();
  Results results;
  std::atomic<bool> inside{false};
  std::atomic<bool> ran_inside{false};
  auto check = [&](DnsSession::Callback inner) {
    return [&, inner = std::move(inner)](DnsResult r) mutable {
      if (inside) ran_inside = true;
      inner(std::move(r));
    };
  };
  OnReactor([&] {
    inside = true;
    session_->Query("bad..name", RrType::kA, check(results.Add()));
    session_->Query(std::string(64, 'x') + ".test", RrType::kA, check(results.Add()));
    session_->Query("", RrType::kA, check(results.Add()));
    session_->Query("fast.test", RrType::kA, check(results.Add()));
    inside = false;
  });
  ASSERT_TRUE(results.WaitFor(4));
  EXPECT_FALSE(ran_inside);
  std::vector<DnsResult> got = results.Get();
  int errors = 0;
  for (const DnsResult& r : got) {
    if (r.name == "fast.test") {
      EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
    } else {
      EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
      ++errors;
    }
  }
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(dns_->total_queries(), 1);  // invalid names never hit the wire
}

TEST_F(DnsResolverTest, InFlightCountsUntilDelivered) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(50)));
  MakeSession();
  Results results;
  int in_flight = -1;
  OnReactor([&] {
    for (int i = 0; i < 3; ++i) session_->Query("slow.test", RrType::kA, results.Add());
    in_flight = session_->InFlight();
  });
  EXPECT_EQ(in_flight, 3);
  ASSERT_TRUE(results.WaitFor(3));
  OnReactor([&] { in_flight = session_->InFlight(); });
  EXPECT_EQ(in_flight, 0);
}

TEST_F(DnsResolverTest, ManyConcurrentQueriesInOneSession) {
  dns_->SetHandler([](const fakes::DnsQuery& q) {
    const int n = std::stoi(q.name.substr(1, q.name.find('.') - 1));
    return DnsReply::Records({DnsRecord::Txt({absl::StrCat("v=STSv1; id=", n)})})
        .Delayed(absl::Milliseconds(n % 40));
  });
  constexpr int kQueries = 300;
  options_.tries = 3;  // a reply lost to a full socket buffer is retried
  MakeSession();
  Results results;
  OnReactor([&] {
    for (int i = 0; i < kQueries; ++i) {
      session_->Query(absl::StrCat("d", i, ".fleet.test"), RrType::kTxt, results.Add());
    }
  });
  ASSERT_TRUE(results.WaitFor(kQueries));
  for (const DnsResult& r : results.Get()) {
    ASSERT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
    const std::string n = r.name.substr(1, r.name.find('.') - 1);
    EXPECT_THAT(r.txt, ElementsAre(absl::StrCat("v=STSv1; id=", n)));
  }
  EXPECT_EQ(dns_->total_queries(), kQueries);
}

// --- Sessions on one reactor share c-ares channels (AresChannel).

// Sockets this process has open (the fake server's and the reactor's included).
int OpenSockets() {
  int n = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    char link[64];
    const std::string path = absl::StrCat("/proc/self/fd/", fd);
    const ssize_t len = readlink(path.c_str(), link, sizeof(link) - 1);
    if (len > 0 && absl::StartsWith(absl::string_view(link, len), "socket:")) ++n;
  }
  return n;
}

TEST_F(PacedDnsTest, RunsInFlightShareAFewChannels) {
  // One c-ares channel per run cost about 74 KiB and a socket each; runs on
  // one reactor now share a channel, a fresh one per 64 sessions (so the
  // source port still changes).
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  options_.attempt_timeout = absl::Seconds(5);
  const int before = OpenSockets();
  constexpr int kSessions = 130;
  Results results;
  for (int i = 0; i < kSessions; ++i) {
    DnsSession* session = NewSession();
    OnReactor([&] { session->Query("void.test", RrType::kA, results.Add()); });
  }
  ASSERT_TRUE(dns_->WaitForQueries(kSessions, kWait));
  const int opened = OpenSockets() - before;
  EXPECT_EQ(opened, 3) << "130 sessions, 64 per channel: three UDP sockets";
  OnReactor([&] { sessions_.clear(); });
  EXPECT_EQ(OpenSockets(), before) << "the last session closes its channel";
  EXPECT_EQ(results.size(), 0u);
}

TEST_F(PacedDnsTest, CancelOfOneRunLeavesTheSameQuestionOfAnother) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(50)));
  DnsSession* cancelled = NewSession();
  DnsSession* kept = NewSession();
  Results dropped, answered;
  OnReactor([&] {
    cancelled->Query("slow.test", RrType::kA, dropped.Add());
    kept->Query("slow.test", RrType::kA, answered.Add());
    cancelled->Cancel();
  });
  ASSERT_TRUE(answered.WaitFor(1));
  EXPECT_THAT(answered.Get()[0], HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(answered.Get()[0].addresses, ElementsAre("192.0.2.1"));
  OnReactor([] {});
  EXPECT_EQ(dropped.size(), 0u);
}

TEST_F(PacedDnsTest, CancelledRetriesStayUnsentOnASharedChannel) {
  options_.attempt_timeout = absl::Milliseconds(100);
  options_.tries = 3;  // queries at 0, 100 and 300 ms
  dns_->SetReply("void.test", DnsType::kTxt, DnsReply::Drop());
  dns_->SetReply("busy.test", DnsType::kTxt, DnsReply::Drop());
  DnsSession* cancelled = NewSession();
  DnsSession* other = NewSession();  // keeps the channel and its retries going
  Results results;
  OnReactor([&] {
    cancelled->Query("void.test", RrType::kTxt, results.Add());
    other->Query("busy.test", RrType::kTxt, results.Add());
  });
  ASSERT_TRUE(dns_->WaitForQueries(2, kWait));
  OnReactor([&] { cancelled->Cancel(); });
  // The other run's three tries go out; the cancelled one's retries do not.
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(results.Get()[0].name, "busy.test");
  EXPECT_THAT(results.Get()[0], HasOutcome(DnsOutcome::kTimeout));
  EXPECT_EQ(dns_->queries_for("busy.test"), 3);
  EXPECT_EQ(dns_->queries_for("void.test"), 1);
  OnReactor([] {});
  EXPECT_EQ(results.size(), 1u);
}


}  // namespace
}  // namespace mtasts::net

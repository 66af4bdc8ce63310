#include "net/dns_resolver.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_types.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::net {

// Readable failure messages (found by ADL, so outside the unnamed namespace).
void PrintTo(const DnsResult& r, std::ostream* os) {
  *os << "{" << r.name << " " << RrTypeName(r.type) << " " << DnsOutcomeName(r.outcome)
      << " detail=\"" << r.detail << "\" chain=[" << absl::StrJoin(r.cname_chain, ",")
      << "] txt=[" << absl::StrJoin(r.txt, "|") << "] addresses=["
      << absl::StrJoin(r.addresses, ",") << "] mx=" << r.mx.size()
      << " used_tcp=" << r.used_tcp << " ttl=" << r.ttl << "}";
}

namespace {

using ::mtasts::fakes::DnsRecord;
using ::mtasts::fakes::DnsReply;
using ::mtasts::fakes::DnsType;
using ::mtasts::fakes::FakeDnsServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(5);

MATCHER_P(HasOutcome, expected, "") {
  if (arg.outcome == expected) return true;
  *result_listener << "outcome " << DnsOutcomeName(arg.outcome) << " (detail \""
                   << arg.detail << "\"), expected " << DnsOutcomeName(expected);
  return false;
}

MATCHER_P2(HasStatus, code, substring, "") {
  if (arg.code() == code && absl::StrContains(arg.message(), substring)) return true;
  *result_listener << "status " << arg;
  return false;
}

// Polls `done` (a fake server's counter) until it holds; false after kWait.
bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWait;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Collects callback results from the reactor thread.
class Results {
 public:
  DnsSession::Callback Add() {
    return [this](DnsResult r) {
      absl::MutexLock lock(&mu_);
      results_.push_back(std::move(r));
    };
  }
  bool WaitFor(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return results_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  std::vector<DnsResult> Get() {
    absl::MutexLock lock(&mu_);
    return results_;
  }
  size_t size() {
    absl::MutexLock lock(&mu_);
    return results_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<DnsResult> results_;
};

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeDnsServer>> dns = FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    absl::StatusOr<std::unique_ptr<Reactor>> reactor = Reactor::Create("dns-test");
    ASSERT_TRUE(reactor.ok()) << reactor.status();
    reactor_ = *std::move(reactor);
    options_.servers = {DnsServer{"127.0.0.1", dns_->port()}};
    options_.attempt_timeout = absl::Milliseconds(200);
    options_.tries = 1;
  }

  void TearDown() override {
    if (reactor_ != nullptr) OnReactor([&] { session_.reset(); });
    reactor_.reset();
  }

  // Runs `fn` on the reactor thread and waits for it.
  void OnReactor(absl::AnyInvocable<void()> fn) { RunSync(reactor_.get(), std::move(fn)); }

  void MakeSession() {
    OnReactor([&] {
      absl::StatusOr<std::unique_ptr<DnsSession>> session =
          DnsSession::Create(reactor_.get(), options_);
      ASSERT_TRUE(session.ok()) << session.status();
      session_ = *std::move(session);
    });
  }

  DnsResult Resolve(const std::string& name, RrType type) {
    if (session_ == nullptr) MakeSession();
    Results results;
    OnReactor([&] { session_->Query(name, type, results.Add()); });
    EXPECT_TRUE(results.WaitFor(1)) << "no result for " << name;
    std::vector<DnsResult> got = results.Get();
    return got.empty() ? DnsResult() : got[0];
  }

  std::unique_ptr<FakeDnsServer> dns_;
  std::unique_ptr<Reactor> reactor_;
  DnsOptions options_;
  std::unique_ptr<DnsSession> session_;  // reactor thread only
};

TEST_F(DnsResolverTest, ARecords) {
  dns_->AddRecord("mx1.example.test", DnsRecord::A("192.0.2.10", 120));
  dns_->AddRecord("mx1.example.test", DnsRecord::A("192.0.2.11", 60));
  DnsResult r = Resolve("MX1.Example.TEST.", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_EQ(r.name, "mx1.example.test");
  EXPECT_EQ(r.type, RrType::kA);
  EXPECT_THAT(r.addresses, ElementsAre("192.0.2.10", "192.0.2.11"));
  EXPECT_EQ(r.ttl, 60u);
  EXPECT_THAT(r.cname_chain, IsEmpty());
  EXPECT_FALSE(r.used_tcp);
  EXPECT_EQ(r.detail, "");
}

TEST_F(DnsResolverTest, AaaaRecords) {
  dns_->AddRecord("v6.test", DnsRecord::Aaaa("2001:db8::25", 300));
  DnsResult r = Resolve("v6.test", RrType::kAaaa);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.addresses, ElementsAre("2001:db8::25"));
  EXPECT_EQ(r.ttl, 300u);
}

TEST_F(DnsResolverTest, MxRecordsIncludingNullMx) {
  dns_->AddRecord("example.test", DnsRecord::Mx(10, "MX1.Example.Test."));
  dns_->AddRecord("example.test", DnsRecord::Mx(20, "mx2.example.test"));
  dns_->AddRecord("nullmx.test", DnsRecord::Mx(0, "."));
  DnsResult r = Resolve("example.test", RrType::kMx);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.mx, ElementsAre(MxRecord{10, "mx1.example.test"},
                                MxRecord{20, "mx2.example.test"}));
  DnsResult null_mx = Resolve("nullmx.test", RrType::kMx);
  EXPECT_THAT(null_mx, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(null_mx.mx, ElementsAre(MxRecord{0, ""}));
}

TEST_F(DnsResolverTest, TxtStringsJoinedWithoutSeparator) {
  dns_->AddRecord("_mta-sts.example.test", DnsRecord::Txt({"v=STSv1; ", "id=2024", "0101"}));
  DnsResult r = Resolve("_mta-sts.example.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.txt, ElementsAre("v=STSv1; id=20240101"));
}

TEST_F(DnsResolverTest, MultipleTxtRecordsStaySeparate) {
  dns_->AddRecord("multi.test", DnsRecord::Txt({"v=STSv1; id=1"}));
  dns_->AddRecord("multi.test", DnsRecord::Txt({"v=spf1 ", "-all"}));
  dns_->AddRecord("multi.test", DnsRecord::Txt({""}));
  DnsResult r = Resolve("multi.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.txt, ElementsAre("v=STSv1; id=1", "v=spf1 -all", ""));
}

TEST_F(DnsResolverTest, NxDomain) {
  DnsResult r = Resolve("nowhere.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kNxDomain));
  EXPECT_THAT(r.txt, IsEmpty());
  EXPECT_EQ(r.ttl, 0u);
}

TEST_F(DnsResolverTest, NoData) {
  dns_->AddRecord("only-a.test", DnsRecord::A("192.0.2.1"));
  EXPECT_THAT(Resolve("only-a.test", RrType::kTxt), HasOutcome(DnsOutcome::kNoData));
  // NOERROR with records of another type only is NODATA too.
  dns_->SetReply("odd.test", DnsType::kMx, DnsReply::Records({DnsRecord::A("192.0.2.2")}));
  EXPECT_THAT(Resolve("odd.test", RrType::kMx), HasOutcome(DnsOutcome::kNoData));
}

TEST_F(DnsResolverTest, ServFailIsReportedOnFirstAnswer) {
  options_.tries = 2;
  dns_->SetReply("broken.test", DnsType::kTxt, DnsReply::ServFail());
  DnsResult r = Resolve("broken.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kServFail));
  EXPECT_THAT(r.detail, HasSubstr("SERVFAIL"));
  EXPECT_EQ(dns_->queries_for("broken.test"), 1);
}

TEST_F(DnsResolverTest, Refused) {
  dns_->SetReply("closed.test", DnsType::kMx, DnsReply::Refused());
  EXPECT_THAT(Resolve("closed.test", RrType::kMx), HasOutcome(DnsOutcome::kRefused));
}

TEST_F(DnsResolverTest, OtherRcodeIsError) {
  dns_->SetReply("notimp.test", DnsType::kA, DnsReply::WithRcode(fakes::DnsRcode::kNotImp));
  DnsResult r = Resolve("notimp.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
  EXPECT_FALSE(r.detail.empty());
}

TEST_F(DnsResolverTest, TimeoutAfterTries) {
  options_.attempt_timeout = absl::Milliseconds(100);
  options_.tries = 1;
  dns_->SetReply("void.test", DnsType::kTxt, DnsReply::Drop());
  const absl::Time start = absl::Now();
  DnsResult r = Resolve("void.test", RrType::kTxt);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kTimeout));
  EXPECT_GE(elapsed, absl::Milliseconds(100));
  EXPECT_LT(elapsed, absl::Seconds(1));
  EXPECT_EQ(dns_->queries_for("void.test"), 1);
}

TEST_F(DnsResolverTest, TimeoutRetriesThenGivesUp) {
  // c-ares doubles the timeout each round: 60 + 120 ms.
  options_.attempt_timeout = absl::Milliseconds(60);
  options_.tries = 2;
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  EXPECT_THAT(Resolve("void.test", RrType::kA), HasOutcome(DnsOutcome::kTimeout));
  EXPECT_EQ(dns_->queries_for("void.test"), 2);
}

TEST_F(DnsResolverTest, SlowAnswerWithinTimeout) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.5")}).Delayed(absl::Milliseconds(50)));
  DnsResult r = Resolve("slow.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.addresses, ElementsAre("192.0.2.5"));
}

TEST_F(DnsResolverTest, UnreachableServerIsUnreachableNotADomainFailure) {
  // A loopback UDP port nobody listens on: ICMP port unreachable.
  const int probe = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(probe);
  options_.servers = {DnsServer{"127.0.0.1", ntohs(addr.sin_port)}};
  DnsResult r = Resolve("example.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kUnreachable));
  EXPECT_FALSE(r.detail.empty());
}

// --- Who answered (DnsResult::answered_by, DnsSession::AnsweredBy).

// Each lookup is attributed to the server whose answer ended it, not to the
// first configured one: A answers one name and drops the other, which B,
// next in the list, then answers.
TEST_F(DnsResolverTest, AnsweredByNamesTheServerOfEachAnswer) {
  auto second = FakeDnsServer::Start();
  ASSERT_TRUE(second.ok()) << second.status();
  dns_->AddRecord("early.test", DnsRecord::A("192.0.2.1"));
  dns_->SetReply("late.test", DnsType::kA, DnsReply::Drop());
  (*second)->AddRecord("late.test", DnsRecord::A("192.0.2.2"));
  options_.servers = {DnsServer{"127.0.0.1", dns_->port()},
                      DnsServer{"127.0.0.1", (*second)->port()}};
  const std::string a = absl::StrCat("127.0.0.1:", dns_->port());
  const std::string b = absl::StrCat("127.0.0.1:", (*second)->port());

  DnsResult early = Resolve("early.test", RrType::kA);
  EXPECT_THAT(early, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_EQ(early.answered_by, a);
  DnsResult late = Resolve("late.test", RrType::kA);
  EXPECT_THAT(late, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(late.addresses, ElementsAre("192.0.2.2"));
  EXPECT_EQ(late.answered_by, b);
  EXPECT_EQ(dns_->queries_for("late.test"), 1);  // A was asked and stayed silent
  // Again from A: each server once, in the order of their first answer.
  EXPECT_EQ(Resolve("early.test", RrType::kA).answered_by, a);
  std::vector<std::string> by;
  OnReactor([&] { by = session_->AnsweredBy(); });
  EXPECT_THAT(by, ElementsAre(a, b));
}

// A first server nobody listens on (ICMP port unreachable): the report's
// resolver is the second, and the dead one is never named.
TEST_F(DnsResolverTest, AnsweredBySkipsAnUnreachableFirstServer) {
  const int probe = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(probe);
  dns_->AddRecord("x.test", DnsRecord::A("192.0.2.3"));
  options_.servers = {DnsServer{"127.0.0.1", ntohs(addr.sin_port)},
                      DnsServer{"127.0.0.1", dns_->port()}};
  DnsResult r = Resolve("x.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_EQ(r.answered_by, absl::StrCat("127.0.0.1:", dns_->port()));
  std::vector<std::string> by;
  OnReactor([&] { by = session_->AnsweredBy(); });
  EXPECT_THAT(by, ElementsAre(absl::StrCat("127.0.0.1:", dns_->port())));
}

// Nobody answered: nobody is named (a timeout is not an answer).
TEST_F(DnsResolverTest, AnsweredByIsEmptyWithoutAnAnswer) {
  options_.attempt_timeout = absl::Milliseconds(50);
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  DnsResult r = Resolve("void.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kTimeout));
  EXPECT_EQ(r.answered_by, "");
  std::vector<std::string> by;
  OnReactor([&] { by = session_->AnsweredBy(); });
  EXPECT_THAT(by, IsEmpty());
}

// NXDOMAIN and SERVFAIL are answers too: the server that gave them is named.
TEST_F(DnsResolverTest, AnsweredByCountsNegativeAnswers) {
  dns_->SetReply("gone.test", DnsType::kA, DnsReply::NxDomain());
  dns_->SetReply("broken.test", DnsType::kA, DnsReply::ServFail());
  const std::string a = absl::StrCat("127.0.0.1:", dns_->port());
  EXPECT_EQ(Resolve("gone.test", RrType::kA).answered_by, a);
  EXPECT_EQ(Resolve("broken.test", RrType::kA).answered_by, a);
}

// Behind a relay, answer_origin is asked (with our socket's port and the
// answer as read); its "" means unknown, never the relay's own address.
// The list is bounded at kMaxAnsweredBy.
TEST_F(DnsResolverTest, AnswerOriginNamesTheResolverBehindARelayAndIsBounded) {
  absl::Mutex mu;
  int calls = 0;
  std::vector<uint16_t> ports;
  options_.answer_origin = [&](uint16_t port, const unsigned char* answer, size_t len) {
    absl::MutexLock lock(&mu);
    ports.push_back(port);
    EXPECT_GE(len, 12u);  // a whole DNS header at least
    (void)answer;
    ++calls;
    return calls == 1 ? std::string() : absl::StrCat("relay-", calls);
  };
  const int kLookups = static_cast<int>(DnsSession::kMaxAnsweredBy) + 3;
  for (int i = 0; i < kLookups; ++i) {
    dns_->AddRecord(absl::StrCat("n", i, ".test"), DnsRecord::A("192.0.2.4"));
    DnsResult r = Resolve(absl::StrCat("n", i, ".test"), RrType::kA);
    EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
    EXPECT_EQ(r.answered_by, i == 0 ? "" : absl::StrCat("relay-", i + 1));
  }
  std::vector<std::string> by;
  OnReactor([&] { by = session_->AnsweredBy(); });
  ASSERT_EQ(by.size(), DnsSession::kMaxAnsweredBy);
  EXPECT_EQ(by.front(), "relay-2");
  EXPECT_EQ(by.back(), absl::StrCat("relay-", DnsSession::kMaxAnsweredBy + 1));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(calls, kLookups);
  for (uint16_t port : ports) EXPECT_NE(port, 0);
}

TEST_F(DnsResolverTest, TruncatedAnswerRetriedOverTcp) {
  dns_->SetReply("big.test", DnsType::kTxt,
                 DnsReply::Records({DnsRecord::Txt({"v=STSv1; id=1"})}).TruncatedOverUdp());
  dns_->AddRecord("small.test", DnsRecord::Txt({"v=STSv1; id=2"}));
  MakeSession();
  Results results;
  OnReactor([&] {
    session_->Query("big.test", RrType::kTxt, results.Add());
    session_->Query("small.test", RrType::kTxt, results.Add());
  });
  ASSERT_TRUE(results.WaitFor(2));
  for (const DnsResult& r : results.Get()) {
    EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
    // Over TCP as over UDP, the answer is the server's.
    EXPECT_EQ(r.answered_by, absl::StrCat("127.0.0.1:", dns_->port()));
    if (r.name == "big.test") {
      EXPECT_TRUE(r.used_tcp);
      EXPECT_THAT(r.txt, ElementsAre("v=STSv1; id=1"));
    } else {
      EXPECT_FALSE(r.used_tcp);  // same session, not truncated
    }
  }
  EXPECT_EQ(dns_->tcp_queries(), 1);
  EXPECT_EQ(dns_->queries_for("big.test"), 2);  // UDP, then TCP
}

// What a session tells on_question_finished (the server's DNS metrics): one
// event per finished question with its tries, timeouts and TCP fallback;
// nothing for a cancelled one.
TEST_F(DnsResolverTest, FinishedQuestionsAreToldWithTheirTries) {
  struct Told {
    absl::Mutex mu;
    std::vector<DnsQueryStats> stats ABSL_GUARDED_BY(mu);
  };
  auto told = std::make_shared<Told>();
  options_.on_question_finished = [told](const DnsQueryStats& s) {
    absl::MutexLock l(&told->mu);
    told->stats.push_back(s);
  };
  options_.attempt_timeout = absl::Milliseconds(60);
  options_.tries = 2;
  dns_->AddRecord("ok.test", DnsRecord::A("192.0.2.5"));
  dns_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  dns_->SetReply("big.test", DnsType::kTxt,
                 DnsReply::Records({DnsRecord::Txt({"v=STSv1; id=1"})}).TruncatedOverUdp());
  EXPECT_THAT(Resolve("ok.test", RrType::kA), HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(Resolve("void.test", RrType::kA), HasOutcome(DnsOutcome::kTimeout));
  EXPECT_THAT(Resolve("big.test", RrType::kTxt), HasOutcome(DnsOutcome::kAnswer));
  // Cancelled before its answer: not finished, not told.
  dns_->SetReply("late.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.6")}).Delayed(absl::Milliseconds(30)));
  Results never;
  OnReactor([&] {
    session_->Query("late.test", RrType::kA, never.Add());
    session_->Cancel();
  });
  // UDP+TCP for big.test: 6 queries; then the late reply goes out and is read.
  ASSERT_TRUE(dns_->WaitForQueries(6, absl::Seconds(10)));
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (dns_->outstanding() > 0 && absl::Now() < until) OnReactor([] {});
  ASSERT_EQ(dns_->outstanding(), 0);
  OnReactor([] {});
  OnReactor([] {});

  absl::MutexLock l(&told->mu);
  ASSERT_EQ(told->stats.size(), 3u);
  EXPECT_EQ(told->stats[0].outcome, DnsOutcome::kAnswer);
  EXPECT_EQ(told->stats[0].attempts, 1);
  EXPECT_EQ(told->stats[0].attempt_timeouts, 0);
  EXPECT_FALSE(told->stats[0].used_tcp);
  EXPECT_EQ(told->stats[1].outcome, DnsOutcome::kTimeout);
  EXPECT_EQ(told->stats[1].attempts, 2);
  EXPECT_EQ(told->stats[1].attempt_timeouts, 2);
  EXPECT_EQ(told->stats[2].outcome, DnsOutcome::kAnswer);
  EXPECT_EQ(told->stats[2].attempts, 1);
  EXPECT_TRUE(told->stats[2].used_tcp);
}

TEST_F(DnsResolverTest, OversizedAnswerComesOverTcp) {
  std::vector<DnsRecord> records;
  for (int i = 0; i < 20; ++i) {
    records.push_back(DnsRecord::Txt({std::string(100, static_cast<char>('a' + i))}));
  }
  dns_->SetReply("large.test", DnsType::kTxt, DnsReply::Records(records));
  DnsResult r = Resolve("large.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_EQ(r.txt.size(), 20u);
  EXPECT_TRUE(r.used_tcp);
}

TEST_F(DnsResolverTest, CnameChainReturnedByServer) {
  dns_->SetReply("www.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::Cname("Web.Test.", 30),
                                    DnsRecord::Cname("cdn.test", 600).WithOwner("web.test"),
                                    DnsRecord::A("192.0.2.80", 120).WithOwner("cdn.test")}));
  DnsResult r = Resolve("www.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.cname_chain, ElementsAre("web.test", "cdn.test"));
  EXPECT_THAT(r.addresses, ElementsAre("192.0.2.80"));
  EXPECT_EQ(r.ttl, 30u);  // the shortest link
  EXPECT_EQ(dns_->total_queries(), 1);
}

TEST_F(DnsResolverTest, CnameChasedWhenServerReturnsOnlyTheAlias) {
  dns_->AddRecord("_mta-sts.alias.test", DnsRecord::Cname("_mta-sts.Target.Test."));
  dns_->AddRecord("_mta-sts.target.test", DnsRecord::Cname("final.test"));
  dns_->AddRecord("final.test", DnsRecord::Txt({"v=STSv1; id=7"}));
  DnsResult r = Resolve("_mta-sts.alias.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.cname_chain, ElementsAre("_mta-sts.target.test", "final.test"));
  EXPECT_THAT(r.txt, ElementsAre("v=STSv1; id=7"));
  EXPECT_EQ(r.name, "_mta-sts.alias.test");
  EXPECT_EQ(dns_->queries_for("_mta-sts.target.test", DnsType::kTxt), 1);
  EXPECT_EQ(dns_->queries_for("final.test", DnsType::kTxt), 1);
}

TEST_F(DnsResolverTest, CnameToMissingNameIsNxDomain) {
  dns_->AddRecord("dangling.test", DnsRecord::Cname("missing.test"));
  DnsResult r = Resolve("dangling.test", RrType::kMx);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kNxDomain));
  EXPECT_THAT(r.cname_chain, ElementsAre("missing.test"));
  EXPECT_THAT(r.detail, HasSubstr("missing.test"));
}

TEST_F(DnsResolverTest, CnameTargetServFail) {
  dns_->AddRecord("alias.test", DnsRecord::Cname("sick.test"));
  dns_->SetReply("sick.test", DnsType::kA, DnsReply::ServFail());
  DnsResult r = Resolve("alias.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kServFail));
  EXPECT_THAT(r.detail, HasSubstr("sick.test"));
}

TEST_F(DnsResolverTest, AskingForCnameItself) {
  dns_->AddRecord("alias.test", DnsRecord::Cname("target.test", 90));
  DnsResult r = Resolve("alias.test", RrType::kCname);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.cname_chain, ElementsAre("target.test"));
  EXPECT_EQ(r.ttl, 90u);
  EXPECT_EQ(dns_->total_queries(), 1);
}

TEST_F(DnsResolverTest, CnameLoopAcrossQueries) {
  dns_->AddRecord("a.loop.test", DnsRecord::Cname("b.loop.test"));
  dns_->AddRecord("b.loop.test", DnsRecord::Cname("a.loop.test"));
  DnsResult r = Resolve("a.loop.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
  EXPECT_THAT(r.detail, HasSubstr("CNAME loop"));
  EXPECT_EQ(dns_->total_queries(), 2);
}

TEST_F(DnsResolverTest, CnameLoopInOneAnswer) {
  dns_->SetReply("x.loop.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::Cname("y.loop.test"),
                                    DnsRecord::Cname("x.loop.test").WithOwner("y.loop.test")}));
  DnsResult r = Resolve("x.loop.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
  EXPECT_THAT(r.detail, HasSubstr("CNAME loop"));
  EXPECT_EQ(dns_->total_queries(), 1);
}

TEST_F(DnsResolverTest, CnameChainTooLong) {
  options_.max_cname_depth = 2;
  // c0 -> c1 -> c2 -> c3 (3 hops), chased one query at a time.
  for (int i = 0; i < 3; ++i) {
    dns_->AddRecord(absl::StrCat("c", i, ".test"), DnsRecord::Cname(absl::StrCat("c", i + 1, ".test")));
  }
  dns_->AddRecord("c3.test", DnsRecord::A("192.0.2.3"));
  DnsResult r = Resolve("c0.test", RrType::kA);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
  EXPECT_THAT(r.detail, HasSubstr("CNAME chain longer than 2"));
  EXPECT_EQ(dns_->queries_for("c3.test"), 0);  // stopped before the third hop

  // Two hops are within the limit.
  DnsResult ok = Resolve("c1.test", RrType::kA);
  EXPECT_THAT(ok, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(ok.cname_chain, ElementsAre("c2.test", "c3.test"));

  // The same chain in one answer is bounded the same way.
  dns_->SetReply("d0.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::Cname("d1.test"),
                                    DnsRecord::Cname("d2.test").WithOwner("d1.test"),
                                    DnsRecord::Cname("d3.test").WithOwner("d2.test"),
                                    DnsRecord::A("192.0.2.3").WithOwner("d3.test")}));
  EXPECT_THAT(Resolve("d0.test", RrType::kA).detail, HasSubstr("CNAME chain longer than 2"));
}

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

TEST_F(DnsResolverTest, MaxRecordsBound) {
  options_.max_records = 3;
  for (int i = 1; i <= 5; ++i) dns_->AddRecord("many.test", DnsRecord::A(absl::StrCat("192.0.2.", i)));
  for (int i = 1; i <= 4; ++i) dns_->AddRecord("many.test", DnsRecord::Mx(i, absl::StrCat("mx", i, ".test")));
  DnsResult a = Resolve("many.test", RrType::kA);
  EXPECT_THAT(a, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(a.addresses, ElementsAre("192.0.2.1", "192.0.2.2", "192.0.2.3"));
  EXPECT_THAT(a.detail, HasSubstr("3 of 5 records (max_records)"));
  DnsResult mx = Resolve("many.test", RrType::kMx);
  EXPECT_EQ(mx.mx.size(), 3u);
  EXPECT_THAT(mx.detail, HasSubstr("3 of 4"));
}

TEST_F(DnsResolverTest, OverlongTxtRecordsDropped) {
  options_.max_txt_record_bytes = 50;
  dns_->AddRecord("txt.test", DnsRecord::Txt({std::string(30, 'a'), std::string(30, 'b')}));
  dns_->AddRecord("txt.test", DnsRecord::Txt({"v=STSv1; id=1"}));
  DnsResult r = Resolve("txt.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_THAT(r.txt, ElementsAre("v=STSv1; id=1"));
  EXPECT_THAT(r.detail, HasSubstr("dropped 1 TXT record(s) longer than 50 bytes"));
}

TEST_F(DnsResolverTest, MalformedRecordIsError) {
  // A character-string claiming 5 bytes with 2 present.
  dns_->SetReply("junk.test", DnsType::kTxt,
                 DnsReply::Records({DnsRecord::Raw(16, std::string("\x05" "ab", 3))}));
  DnsResult r = Resolve("junk.test", RrType::kTxt);
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kError));
  EXPECT_THAT(r.detail, HasSubstr("TXT"));
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

// --- Pacing and the overload verdict (DnsOptions::upstream).

class PacedDnsTest : public DnsResolverTest {
 protected:
  void SetUp() override {
    DnsResolverTest::SetUp();
    options_.overload_backoff = absl::Milliseconds(20);
  }
  void TearDown() override {
    if (reactor_ != nullptr) OnReactor([&] { sessions_.clear(); });
    DnsResolverTest::TearDown();
  }
  void UseUpstream(int max_outstanding) {
    DnsUpstreamOptions upstream;
    upstream.max_outstanding = max_outstanding;
    upstream_ = std::make_shared<DnsUpstream>(upstream);
    options_.upstream = upstream_;
  }
  // A new session (reactor thread), kept until the test ends.
  DnsSession* NewSession(absl::Time deadline = absl::InfiniteFuture()) {
    DnsSession* made = nullptr;
    OnReactor([&] {
      auto session = DnsSession::Create(reactor_.get(), options_, deadline);
      ASSERT_TRUE(session.ok()) << session.status();
      made = session->get();
      sessions_.push_back(*std::move(session));
    });
    return made;
  }
  std::shared_ptr<DnsUpstream> upstream_;
  std::vector<std::unique_ptr<DnsSession>> sessions_;  // reactor thread only
};

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

TEST_F(PacedDnsTest, SessionsTogetherNeverExceedTheBound) {
  // A resolver that takes 4 queries at a time and drops the rest.
  dns_->SetCapacity(4);
  dns_->SetHandler([](const fakes::DnsQuery& q) {
    return DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(15));
  });
  UseUpstream(4);
  std::vector<DnsSession*> sessions = {NewSession(), NewSession(), NewSession()};
  Results results;
  constexpr int kPerSession = 40;
  OnReactor([&] {
    for (int i = 0; i < kPerSession; ++i) {
      for (size_t s = 0; s < sessions.size(); ++s) {
        sessions[s]->Query(absl::StrCat("h", i, ".s", s, ".test"), RrType::kA, results.Add());
      }
    }
  });
  ASSERT_TRUE(results.WaitFor(3 * kPerSession, absl::Seconds(20)));
  for (const DnsResult& r : results.Get()) EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_LE(dns_->max_outstanding(), 4);
  EXPECT_EQ(dns_->dropped(), 0);
  EXPECT_EQ(upstream_->pacer().max_seen(), 4);
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, WithoutPacingTheSameLoadOverflowsTheResolver) {
  // The control for the test above: the fake's limit really bites.
  dns_->SetCapacity(4);
  dns_->SetHandler([](const fakes::DnsQuery& q) {
    return DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(15));
  });
  MakeSession();
  Results results;
  OnReactor([&] {
    for (int i = 0; i < 40; ++i) session_->Query(absl::StrCat("h", i, ".test"), RrType::kA, results.Add());
  });
  ASSERT_TRUE(results.WaitFor(40));
  EXPECT_GT(dns_->dropped(), 0);
}

TEST_F(PacedDnsTest, SilentResolverIsOverloadedNotATimeout) {
  dns_->SetDefaultReply(DnsReply::Drop());  // nothing answers, not even ". NS"
  options_.overload_retries = 1;
  UseUpstream(8);
  NewSession();
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  const DnsResult r = results.Get()[0];
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_THAT(r.detail, HasSubstr("root's NS records"));
  EXPECT_THAT(r.detail, HasSubstr("sent 2 times"));
  // Sent again once after the backoff; probed for ". NS".
  EXPECT_EQ(dns_->queries_for("void.test"), 2);
  EXPECT_GE(dns_->queries_for(""), 1);
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, DomainTimeoutWhileResolverAnswersStaysATimeout) {
  dns_->SetReply("void.test", DnsType::kTxt, DnsReply::Drop());
  dns_->SetReply("void2.test", DnsType::kTxt, DnsReply::Drop());
  UseUpstream(8);
  NewSession();
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  OnReactor([&] { sessions_[0]->Query("void2.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(2));
  for (const DnsResult& r : results.Get()) {
    EXPECT_THAT(r, HasOutcome(DnsOutcome::kTimeout));
    EXPECT_THAT(r.detail, Not(HasSubstr("root")));
  }
  EXPECT_EQ(dns_->queries_for("void.test"), 1);  // no resend: the domain's fault
  // One probe served both: its verdict is reused for a while.
  EXPECT_EQ(upstream_->probes(), 1);
  EXPECT_EQ(dns_->queries_for(""), 1);
}

TEST_F(PacedDnsTest, OverloadResendsStayInsideTheDeadline) {
  dns_->SetDefaultReply(DnsReply::Drop());
  options_.overload_retries = 3;
  options_.overload_backoff = absl::Milliseconds(100);
  UseUpstream(8);
  // A round is 200 ms: after the first, 100 ms backoff + 200 ms do not fit.
  NewSession(absl::Now() + absl::Milliseconds(400));
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_THAT(results.Get()[0], HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_EQ(dns_->queries_for("void.test"), 1);
}

TEST_F(PacedDnsTest, CancelTakesWaitingQueriesOutOfTheLine) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(300)));
  dns_->SetHandler([](const fakes::DnsQuery&) {
    return DnsReply::Records({DnsRecord::A("192.0.2.2")});
  });
  options_.attempt_timeout = absl::Seconds(2);  // the slow answer is in time
  UseUpstream(1);
  DnsSession* holder = NewSession();
  DnsSession* cancelled = NewSession();
  Results held, dropped;
  OnReactor([&] {
    holder->Query("slow.test", RrType::kA, held.Add());
    for (int i = 0; i < 3; ++i) cancelled->Query(absl::StrCat("q", i, ".test"), RrType::kA, dropped.Add());
  });
  EXPECT_EQ(upstream_->pacer().waiting(), 3);
  OnReactor([&] { cancelled->Cancel(); });
  EXPECT_EQ(upstream_->pacer().waiting(), 0);
  ASSERT_TRUE(held.WaitFor(1));
  OnReactor([] {});
  EXPECT_EQ(dropped.size(), 0u);
  EXPECT_EQ(dns_->total_queries(), 1);  // the cancelled ones never went out
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, WaitingPastTheDeadlineIsOurOverload) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(150)));
  UseUpstream(1);
  DnsSession* holder = NewSession();
  DnsSession* late = NewSession(absl::Now() + absl::Milliseconds(30));
  Results held, waited;
  OnReactor([&] {
    holder->Query("slow.test", RrType::kA, held.Add());
    late->Query("queued.test", RrType::kA, waited.Add());
  });
  ASSERT_TRUE(waited.WaitFor(1));
  EXPECT_THAT(waited.Get()[0], HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_THAT(waited.Get()[0].detail, HasSubstr("queue"));
  EXPECT_EQ(dns_->queries_for("queued.test"), 0);
  ASSERT_TRUE(held.WaitFor(1));
}

TEST_F(DnsResolverTest, CreateValidatesOptionsAndThread) {
  OnReactor([&] {
    DnsOptions bad = options_;
    bad.tries = 0;
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "tries"));
    bad = options_;
    bad.servers = {DnsServer{"dns.example", 53}};
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "dns.example"));
    bad = options_;
    bad.servers = {DnsServer{"127.0.0.1", 0}};
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "port"));
    bad = options_;
    bad.attempt_timeout = absl::ZeroDuration();
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "attempt_timeout"));
    // No servers: the system configuration (not queried here).
    DnsOptions system = options_;
    system.servers.clear();
    EXPECT_TRUE(DnsSession::Create(reactor_.get(), system).ok());
    // IPv6 server literals are accepted.
    DnsOptions v6 = options_;
    v6.servers = {DnsServer{"::1", 5353}, DnsServer{"127.0.0.1", 53}};
    EXPECT_TRUE(DnsSession::Create(reactor_.get(), v6).ok());
  });
  EXPECT_THAT(DnsSession::Create(reactor_.get(), options_).status(),
              HasStatus(absl::StatusCode::kFailedPrecondition, "reactor thread"));
  EXPECT_THAT(DnsSession::Create(nullptr, options_).status(),
              HasStatus(absl::StatusCode::kInvalidArgument, "reactor"));
}

TEST(ParseDnsServersTest, ParsesAllForms) {
  absl::StatusOr<std::vector<DnsServer>> servers =
      ParseDnsServers(" 1.2.3.4, 127.0.0.1:5353,[::1]:53 ,[2001:db8::1],::2");
  ASSERT_TRUE(servers.ok()) << servers.status();
  ASSERT_EQ(servers->size(), 5u);
  EXPECT_EQ((*servers)[0].host, "1.2.3.4");
  EXPECT_EQ((*servers)[0].port, 53);
  EXPECT_EQ((*servers)[1].host, "127.0.0.1");
  EXPECT_EQ((*servers)[1].port, 5353);
  EXPECT_EQ((*servers)[2].host, "::1");
  EXPECT_EQ((*servers)[2].port, 53);
  EXPECT_EQ((*servers)[3].host, "2001:db8::1");
  EXPECT_EQ((*servers)[3].port, 53);
  EXPECT_EQ((*servers)[4].host, "::2");
  EXPECT_EQ((*servers)[4].port, 53);
}

TEST(ParseDnsServersTest, EmptyInputIsEmptyList) {
  EXPECT_THAT(*ParseDnsServers(""), IsEmpty());
  EXPECT_THAT(*ParseDnsServers("  "), IsEmpty());
}

TEST(ParseDnsServersTest, RejectsBadEntries) {
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ParseDnsServers("1.2.3.4,,5.6.7.8").status(), HasStatus(kInvalid, "empty entry"));
  EXPECT_THAT(ParseDnsServers("dns.google").status(), HasStatus(kInvalid, "dns.google"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:0").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:65536").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:+53").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.256").status(), HasStatus(kInvalid, "1.2.3.256"));
  EXPECT_THAT(ParseDnsServers("[::1").status(), HasStatus(kInvalid, "']'"));
  EXPECT_THAT(ParseDnsServers("[::1]53").status(), HasStatus(kInvalid, ":port"));
  EXPECT_THAT(ParseDnsServers("[1.2.3.4]:53").status(), HasStatus(kInvalid, "IPv6"));
  EXPECT_THAT(ParseDnsServers("::1:53:x").status(), HasStatus(kInvalid, "IPv6"));
}

}  // namespace
}  // namespace mtasts::net

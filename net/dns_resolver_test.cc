// DnsSession end to end against a FakeDnsServer: records, rcodes, timeouts,
// who answered, TCP fallback, CNAME chains and the bounds on remote input.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_resolver_test_fixture.h"
#include "net/dns_types.h"
#include "net/reactor.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::DnsRecord;
using ::mtasts::fakes::DnsReply;
using ::mtasts::fakes::DnsType;
using ::mtasts::fakes::FakeDnsServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A loopback UDP port bound and closed again: nobody listens there, so a
// query to it gets ICMP port unreachable.
void DeadUdpPort(int* port) {
  const int probe = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(probe);
  *port = ntohs(addr.sin_port);
}

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
  int dead_port = 0;
  ASSERT_NO_FATAL_FAILURE(DeadUdpPort(&dead_port));
  options_.servers = {DnsServer{"127.0.0.1", dead_port}};
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
  int dead_port = 0;
  ASSERT_NO_FATAL_FAILURE(DeadUdpPort(&dead_port));
  dns_->AddRecord("x.test", DnsRecord::A("192.0.2.3"));
  options_.servers = {DnsServer{"127.0.0.1", dead_port},
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


}  // namespace
}  // namespace mtasts::net

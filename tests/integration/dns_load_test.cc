// The checker's own DNS load never becomes a finding about a domain (issue 10
// §1): the server paces its queries to the resolver (limits.dns_max_outstanding),
// and a resolver that does not answer at all makes checks INCONCLUSIVE with
// RESOLVER_OVERLOADED, while one domain's silent name servers stay that
// domain's finding.
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::DnsRecord;
using fakes::DnsReply;
using ::testing::Contains;
using ::testing::Not;

const char* const kPolicyChecks[] = {"txt", "policy_fetch", "policy_content", "mx_match",
                                     "tls_rpt"};

v1::CheckOptions PolicyChecks() {
  v1::CheckOptions options;
  for (const char* check : kPolicyChecks) options.add_checks(check);
  return options;
}

// Every finding code of the report, checks and domain.
std::set<v1::FindingCode> AllCodes(const v1::DomainReport& report) {
  std::set<v1::FindingCode> codes = DomainCodeSet(report);
  for (const auto& check : report.checks()) {
    for (const auto& finding : check.findings()) codes.insert(finding.code());
  }
  return codes;
}

const v1::FindingCode kBlamesTheDomain[] = {v1::TXT_LOOKUP_FAILED, v1::TLSRPT_LOOKUP_FAILED,
                                            v1::POLICY_HOST_LOOKUP_FAILED, v1::MX_LOOKUP_FAILED};

TEST(DnsLoadTest, SilentResolverIsInconclusiveNeverBroken) {
  // One try per server, so the resends our side makes fit well inside the
  // deadline.
  auto lab = TestLab::Start(LabOptions{.check_timeout = absl::Seconds(8), .dns_tries = 1});
  ASSERT_NE(lab, nullptr);
  // Nothing answers, not even the root's NS records the server probes with.
  lab->dns().server().SetDefaultReply(DnsReply::Drop());
  auto report = lab->Check("silent.example", PolicyChecks());
  ASSERT_TRUE(report.ok()) << report.status();
  for (const char* name : {"txt", "tls_rpt", "policy_fetch", "policy_content", "mx_match"}) {
    EXPECT_EQ(ResultOf(*report, name).status(), v1::CHECK_STATUS_INCONCLUSIVE) << name;
  }
  for (const char* name : {"txt", "tls_rpt", "policy_fetch"}) {
    EXPECT_THAT(CodeSet(ResultOf(*report, name)), Contains(v1::RESOLVER_OVERLOADED)) << name;
  }
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::RESOLVER_OVERLOADED));
  for (v1::FindingCode code : kBlamesTheDomain) {
    EXPECT_THAT(AllCodes(*report), Not(Contains(code))) << v1::FindingCode_Name(code);
  }
  EXPECT_NE(report->state(), v1::MTA_STS_STATE_BROKEN);
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_UNDETERMINED);
  bool saw = false;
  for (const auto& lookup : report->evidence().dns_lookups()) {
    if (lookup.name() == "_mta-sts.silent.example") {
      saw = lookup.outcome() == v1::DNS_OUTCOME_RESOLVER_OVERLOADED;
      EXPECT_THAT(lookup.detail(), ::testing::HasSubstr("root's NS records")) << lookup.detail();
    }
  }
  EXPECT_TRUE(saw);
  // The server probed its resolver (". NS") rather than blaming the domain.
  EXPECT_GE(lab->dns().QueriesFor(""), 1);
}

TEST(DnsLoadTest, OneDomainsSilentServersStayThatDomainsFinding) {
  auto lab = TestLab::Start(LabOptions{.check_timeout = absl::Seconds(8), .dns_tries = 1});
  ASSERT_NE(lab, nullptr);
  for (const std::string domain : {"dead.example", "alive.example"}) {
    lab->dns().Mx(domain, {{10, "mx." + domain}});
    lab->dns().A("mx." + domain, {"192.0.2.1"});
    lab->dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=1;"}});
    lab->dns().Txt("_smtp._tls." + domain, {{"v=TLSRPTv1; rua=mailto:r@" + domain}});
    lab->PublishPolicy(domain,
                       "version: STSv1\nmode: enforce\nmx: mx." + domain + "\nmax_age: 604800\n");
  }
  // dead.example's name servers answer nothing of its TXT records; the
  // resolver itself answers (". NS" gets NXDOMAIN from the fake: an answer).
  lab->dns().Drop("_mta-sts.dead.example");
  lab->dns().Drop("_smtp._tls.dead.example");
  std::map<std::string, v1::DomainReport> reports;
  std::vector<std::thread> threads;
  absl::Mutex mu;
  for (const std::string domain : {"dead.example", "alive.example"}) {
    threads.emplace_back([&, domain] {
      auto report = lab->Check(domain, PolicyChecks());
      ASSERT_TRUE(report.ok()) << report.status();
      absl::MutexLock lock(&mu);
      reports[domain] = *report;
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(reports.size(), 2u);
  const v1::DomainReport& dead = reports["dead.example"];
  EXPECT_EQ(ResultOf(dead, "txt").status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(ResultOf(dead, "txt")), Contains(v1::TXT_LOOKUP_FAILED));
  EXPECT_THAT(CodeSet(ResultOf(dead, "tls_rpt")), Contains(v1::TLSRPT_LOOKUP_FAILED));
  EXPECT_THAT(AllCodes(dead), Not(Contains(v1::RESOLVER_OVERLOADED)));
  const v1::DomainReport& alive = reports["alive.example"];
  EXPECT_EQ(alive.state(), v1::MTA_STS_STATE_ENFORCED);
  EXPECT_GE(lab->dns().QueriesFor(""), 1) << "the timeout was not checked against the resolver";
}

// A zone of `domains` healthy domains d<i>.load.example, every reply
// delayed so it stays outstanding at the fake resolver for a while.
fakes::FakeDnsServer::Handler LoadZone(absl::Duration delay) {
  return [delay](const fakes::DnsQuery& q) {
    using fakes::DnsType;
    auto is = [&](DnsType t) { return q.type == static_cast<uint16_t>(t); };
    DnsReply reply = DnsReply::NoData();
    if (is(DnsType::kTxt) && absl::StartsWith(q.name, "_mta-sts.")) {
      reply = DnsReply::Records({DnsRecord::Txt({"v=STSv1; id=load1;"})});
    } else if (is(DnsType::kTxt) && absl::StartsWith(q.name, "_smtp._tls.")) {
      reply = DnsReply::Records({DnsRecord::Txt({"v=TLSRPTv1; rua=mailto:r@load.example"})});
    } else if (is(DnsType::kMx) && absl::EndsWith(q.name, ".load.example") &&
               q.name != "mx.load.example") {
      reply = DnsReply::Records({DnsRecord::Mx(10, "mx.load.example")});
    } else if (is(DnsType::kA) && absl::StartsWith(q.name, "mta-sts.")) {
      reply = DnsReply::Records({DnsRecord::A("127.0.0.1")});
    } else if (is(DnsType::kA) && q.name == "mx.load.example") {
      reply = DnsReply::Records({DnsRecord::A("192.0.2.1")});
    }
    return reply.Delayed(delay);
  };
}

// Sends d0..d<n-1>.load.example through one fleet stream; their reports.
std::vector<v1::DomainReport> RunFleet(TestLab& lab, int n) {
  for (int i = 0; i < n; ++i) {
    fakes::FakeHttpResponse policy = fakes::FakeHttpResponse::Text(
        "version: STSv1\nmode: enforce\nmx: mx.load.example\nmax_age: 604800\n");
    policy.headers = {{"Content-Type", "text/plain"}};
    lab.ServePolicy(absl::StrCat("d", i, ".load.example"), std::move(policy));
  }
  grpc::ClientContext context;
  auto stream = lab.stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < n; ++i) {
      v1::FleetRequest request;
      request.set_domain(absl::StrCat("d", i, ".load.example"));
      *request.mutable_options() = PolicyChecks();
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::vector<v1::DomainReport> reports;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) reports.push_back(event.result().report());
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  return reports;
}

TEST(DnsLoadTest, ManyDomainsInFlightNeverExceedTheBoundAndAllComeOutRight) {
  constexpr int kDomains = 200;
  constexpr int kBound = 8;
  // One try per server: a dropped query is a timeout, as under real load.
  auto lab = TestLab::Start(LabOptions{.fleet_max_inflight = kDomains,
                                       .check_timeout = absl::Seconds(30),
                                       .dns_tries = 1,
                                       .dns_max_outstanding = kBound});
  ASSERT_NE(lab, nullptr);
  // A resolver that takes twice the bound at a time and drops the rest, as an
  // overloaded one does: above the bound, so the bound is what is measured.
  lab->dns().server().SetCapacity(2 * kBound);
  lab->dns().server().SetHandler(LoadZone(absl::Milliseconds(5)));
  const std::vector<v1::DomainReport> reports = RunFleet(*lab, kDomains);
  EXPECT_EQ(reports.size(), static_cast<size_t>(kDomains));
  for (const v1::DomainReport& report : reports) {
    EXPECT_EQ(report.state(), v1::MTA_STS_STATE_ENFORCED)
        << report.domain() << ": " << report.summary();
  }
  EXPECT_LE(lab->dns().server().max_outstanding(), kBound);
  EXPECT_EQ(lab->dns().server().dropped(), 0);
  // Enough load that the bound was reached, so the test means something.
  EXPECT_EQ(lab->dns().server().max_outstanding(), kBound);
}

TEST(DnsLoadTest, ABoundTooHighForTheResolverGivesInconclusiveNeverBroken) {
  // The operator set the bound above what the resolver takes: it drops
  // queries, yet still answers some (the ". NS" probe among them). Timeouts
  // across many domains at once are then read as our overload.
  constexpr int kDomains = 200;
  auto lab = TestLab::Start(LabOptions{.fleet_max_inflight = kDomains,
                                       .check_timeout = absl::Seconds(30),
                                       .dns_tries = 1,
                                       .dns_max_outstanding = 256});
  ASSERT_NE(lab, nullptr);
  lab->dns().server().SetCapacity(16);
  lab->dns().server().SetHandler(LoadZone(absl::Milliseconds(5)));
  const std::vector<v1::DomainReport> reports = RunFleet(*lab, kDomains);
  EXPECT_EQ(reports.size(), static_cast<size_t>(kDomains));
  int enforced = 0, inconclusive = 0;
  for (const v1::DomainReport& report : reports) {
    EXPECT_NE(report.state(), v1::MTA_STS_STATE_BROKEN) << report.domain() << ": " << report.summary();
    for (v1::FindingCode code : kBlamesTheDomain) {
      EXPECT_THAT(AllCodes(report), Not(Contains(code)))
          << report.domain() << ": " << v1::FindingCode_Name(code);
    }
    if (report.state() == v1::MTA_STS_STATE_ENFORCED) {
      ++enforced;
    } else if (AllCodes(report).count(v1::RESOLVER_OVERLOADED) > 0) {
      ++inconclusive;
    }
  }
  EXPECT_EQ(enforced + inconclusive, kDomains);
  EXPECT_GT(lab->dns().server().dropped(), 0) << "the resolver was never overloaded";
}

}  // namespace
}  // namespace mtasts::testing

// Shared by the plugins' *_check_test files: assertions about verdicts
// (findings from the check's own table), scripted inputs as the run's
// resolvers leave them (MX set, policy fetch), and waiting for the fake DNS
// server to go quiet.
#ifndef MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_
#define MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/common/policy.h"
#include "checks/inputs/run_inputs.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::checks::testing {

// Generous: a loaded 2-core machine runs several test binaries at once.
inline constexpr absl::Duration kWait = absl::Seconds(30);

inline bool HasFinding(const CheckVerdict& verdict, v1::FindingCode code) {
  return std::any_of(verdict.findings.begin(), verdict.findings.end(),
                     [code](const v1::Finding& f) { return f.code() == code; });
}

inline const FindingInfo* RowOf(const FindingTable& table, v1::FindingCode code) {
  for (const FindingInfo& info : table.rows()) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

// Every finding in `verdict` has a row in the check's own table, which names
// the check (docs/findings.md is rendered from those tables), or is one of
// the engine's shared codes (an input's lookup that never reached our
// resolver).
inline void ExpectFindingsFromOwnTable(const Check& check, const CheckVerdict& verdict) {
  for (const v1::Finding& finding : verdict.findings) {
    const std::string code = v1::FindingCode_Name(finding.code());
    if (const FindingInfo* row = RowOf(check.findings(), finding.code())) {
      EXPECT_EQ(std::string(row->check), check.name()) << code;
      continue;
    }
    const FindingInfo* row = RowOf(EngineFindings(), finding.code());
    ASSERT_NE(row, nullptr) << code << " is in neither " << check.name()
                            << "'s findings() nor the engine's";
    EXPECT_EQ(std::string(row->check), "engine") << code;
  }
}

// What the registry and the engine read from a check before running it.
struct CheckMetadata {
  std::string name;
  int default_weight;
  std::vector<Input> inputs;
  bool probes_mx_hosts;
};
inline void ExpectMetadata(const Check& check, const CheckMetadata& want) {
  EXPECT_EQ(check.name(), want.name);
  EXPECT_EQ(check.default_weight(), want.default_weight) << want.name;
  EXPECT_EQ(check.inputs(), want.inputs) << want.name;
  EXPECT_EQ(check.probes_mx_hosts(), want.probes_mx_hosts) << want.name;
}

// A valid policy in enforce mode naming one MX host.
inline constexpr char kEnforcePolicyBody[] =
    "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 604800\n";

// Input::kPolicy as the run's fetcher leaves it when mta-sts.<domain> did not
// resolve: its A and AAAA lookups ended with `a` and `aaaa`, nothing fetched.
inline PolicyFetch UnresolvedPolicyFetch(const std::string& domain, net::DnsOutcome a,
                                         net::DnsOutcome aaaa) {
  PolicyFetch fetch;
  fetch.host = "mta-sts." + domain;
  fetch.url = "https://" + fetch.host + "/.well-known/mta-sts.txt";
  fetch.a_lookup.name = fetch.host;
  fetch.a_lookup.outcome = a;
  fetch.aaaa_lookup.name = fetch.host;
  fetch.aaaa_lookup.outcome = aaaa;
  return fetch;
}

// Input::kPolicy as the run's fetcher leaves it when the one address of
// mta-sts.<domain> (192.0.2.1) answered `status` with `body` over a valid
// certificate.
inline PolicyFetch ScriptedPolicyFetch(const std::string& domain, int status,
                                       const std::string& body) {
  PolicyFetch fetch;
  fetch.host = "mta-sts." + domain;
  fetch.url = "https://" + fetch.host + "/.well-known/mta-sts.txt";
  fetch.a_lookup.name = fetch.host;
  fetch.a_lookup.type = net::RrType::kA;
  fetch.a_lookup.outcome = net::DnsOutcome::kAnswer;
  fetch.a_lookup.addresses = {"192.0.2.1"};
  fetch.aaaa_lookup.name = fetch.host;
  fetch.aaaa_lookup.type = net::RrType::kAaaa;
  fetch.aaaa_lookup.outcome = net::DnsOutcome::kNoData;
  PolicyFetchAttempt attempt;
  attempt.address = "192.0.2.1";
  attempt.guard.allowed = true;
  attempt.result.address = "192.0.2.1";
  attempt.result.port = 443;
  attempt.result.host = fetch.host;
  attempt.result.path = "/.well-known/mta-sts.txt";
  attempt.result.status_code = status;
  attempt.result.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  attempt.result.body = body;
  attempt.result.body_bytes_received = body.size();
  attempt.result.tls.version = "TLSv1.3";
  net::CertificateInfo leaf;
  leaf.subject = "CN=" + fetch.host;
  leaf.dns_names = {fetch.host};
  leaf.days_to_expiry = 60;
  leaf.not_after = absl::Now() + absl::Hours(24 * 60);
  attempt.result.tls.chain = {leaf};
  fetch.attempts.push_back(std::move(attempt));
  if (status == 200) {
    fetch.chosen = 0;
    fetch.parsed = ParsePolicy(body);
  }
  return fetch;
}

// Input::kMxSet with `hosts` (preference 10, 20, ...) answered.
inline MxSet ScriptedMxSet(const std::string& domain, const std::vector<std::string>& hosts) {
  MxSet mx;
  mx.lookup.name = domain;
  mx.lookup.type = net::RrType::kMx;
  mx.lookup.outcome = hosts.empty() ? net::DnsOutcome::kNoData : net::DnsOutcome::kAnswer;
  uint16_t preference = 10;
  for (const std::string& host : hosts) {
    net::MxRecord record;
    record.preference = preference;
    record.host = host;
    preference += 10;
    mx.hosts.push_back(record);
  }
  return mx;
}

// The evidence's mx_hosts as the MX set resolver leaves them (one per host).
inline void AddMxHostsToEvidence(const MxSet& mx, v1::Evidence* evidence) {
  for (const net::MxRecord& record : mx.hosts) {
    v1::MxHost* host = evidence->add_mx_hosts();
    host->set_name(record.host);
    host->set_preference(record.preference);
  }
}

// Waits until the fake DNS server has answered everything it holds and the
// context's reactor has handled what that delivered, so a late `done` would
// have been seen.
inline void SettleDns(const fakes::FakeDnsServer& dns, FakeCheckContext& ctx) {
  const absl::Time until = absl::Now() + kWait;
  while (dns.outstanding() > 0 && absl::Now() < until) {
    ctx.RunOnReactor([] {});
  }
  ASSERT_EQ(dns.outstanding(), 0);
  // The replies are in the sockets' buffers: two turns of the loop read them.
  ctx.RunOnReactor([] {});
  ctx.RunOnReactor([] {});
}

// A fixture for a check that only reads the run's inputs: a context for
// example.test with no DNS server, and RunCheck() for a verdict that must be
// local (one `done`, no DNS, no OnCancel) and made from the check's own rows.
template <typename CheckT>
class LocalCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ctx = FakeCheckContext::Create("example.test");
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = *std::move(ctx);
  }

  CheckVerdict RunCheck() {
    ctx_->Start(check_);
    auto verdict = ctx_->WaitForDone(kWait);
    EXPECT_TRUE(verdict.has_value());
    ctx_->RunOnReactor([] {});
    EXPECT_EQ(ctx_->done_calls(), 1);
    EXPECT_EQ(ctx_->dns_uses(), 0);
    EXPECT_EQ(ctx_->on_cancel_registered(), 0);
    if (verdict.has_value()) ExpectFindingsFromOwnTable(check_, *verdict);
    return verdict.value_or(CheckVerdict{});
  }

  CheckT check_;  // outlives the context's reactor
  std::unique_ptr<FakeCheckContext> ctx_;
};

// A fixture for a check that queries DNS: the fake DNS server on loopback
// and a context for example.test resolving through it.
template <typename CheckT>
class DnsCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dns = fakes::FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    auto ctx = FakeCheckContext::Create("example.test", {{"127.0.0.1", dns_->port()}});
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = *std::move(ctx);
  }

  // Runs the check once and waits for its verdict, made from its own rows.
  std::optional<CheckVerdict> RunOnce() {
    ctx_->Start(check_);
    auto verdict = ctx_->WaitForDone(kWait);
    if (verdict.has_value()) ExpectFindingsFromOwnTable(check_, *verdict);
    return verdict;
  }

  // For a check judging one TXT lookup (txt, tls_rpt): `name` holding the
  // valid `record` passes with `code`, after exactly one TXT query and one
  // recorded lookup of that name, in one `done` on the reactor thread. The
  // evidence it wrote is returned for the caller's own part.
  v1::Evidence ExpectValidRecordPasses(const std::string& name, const std::string& record,
                                       v1::FindingCode code) {
    dns_->AddRecord(name, fakes::DnsRecord::Txt({record}));
    auto verdict = RunOnce();
    EXPECT_TRUE(verdict.has_value());
    if (!verdict.has_value()) return {};
    EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
    EXPECT_TRUE(HasFinding(*verdict, code));
    EXPECT_EQ(dns_->queries_for(name, fakes::DnsType::kTxt), 1);
    auto lookups = ctx_->recorded_lookups();
    EXPECT_EQ(lookups.size(), 1u);
    if (!lookups.empty()) {
      EXPECT_EQ(lookups[0].name, name);
      EXPECT_EQ(lookups[0].type, net::RrType::kTxt);
    }
    SettleDns(*dns_, *ctx_);
    EXPECT_EQ(ctx_->done_calls(), 1);
    EXPECT_EQ(ctx_->off_thread_calls(), 0);
    return ctx_->EvidenceCopy();
  }

  // For a check judging one TXT lookup (txt, tls_rpt): `name` answered with
  // `reply` gives `status` with `code`, in one `done`, after one recorded
  // lookup.
  void ExpectFailedLookupJudged(const std::string& name, const fakes::DnsReply& reply,
                                v1::CheckStatus status, v1::FindingCode code) {
    dns_->SetReply(name, fakes::DnsType::kTxt, reply);
    auto verdict = RunOnce();
    ASSERT_TRUE(verdict.has_value());
    EXPECT_EQ(verdict->status, status);
    EXPECT_TRUE(HasFinding(*verdict, code));
    EXPECT_EQ(ctx_->recorded_lookups().size(), 1u);
    EXPECT_EQ(ctx_->done_calls(), 1);
  }

  // A run cancelled while `name`'s answer (`record`) is on its way: the
  // answer arrives, nobody acts on it: no `done`, no lookup recorded, no
  // evidence written.
  void ExpectCancelledRunNeverReports(const std::string& name, const std::string& record) {
    dns_->SetReply(name, fakes::DnsType::kTxt,
                   fakes::DnsReply::Records({fakes::DnsRecord::Txt({record})})
                       .Delayed(absl::Milliseconds(200)));
    ctx_->Start(check_);
    ASSERT_TRUE(dns_->WaitForQueries(1, kWait));
    ctx_->CancelRun();
    SettleDns(*dns_, *ctx_);
    EXPECT_EQ(ctx_->done_calls(), 0);
    EXPECT_TRUE(ctx_->recorded_lookups().empty());
    EXPECT_EQ(ctx_->EvidenceCopy().ByteSizeLong(), 0u);
  }

  CheckT check_;  // outlives the context's reactor
  std::unique_ptr<fakes::FakeDnsServer> dns_;
  std::unique_ptr<FakeCheckContext> ctx_;
};

}  // namespace mtasts::checks::testing

#endif  // MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_

// CPU cost of the pure per-domain work: input validation, the TXT judges, the
// policy fetch, content and MX match judges, and the aggregator. docs/design.md §9
// budgets 0.25 ms of our CPU per domain for the whole TXT + policy path;
// BM_PerDomainTotal is the judging share of it (the TLS handshake is not
// here: it is measured with the fleet load generator).
//
//   bazel run -c opt //bench:judges_benchmark
#include <string>
#include <tuple>
#include <vector>

#include "benchmark/benchmark.h"
#include "checks/check.h"
#include "checks/common/mx_pattern.h"
#include "checks/mx_match/mx_match_judge.h"
#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"
#include "checks/policy_fetch/policy_fetch_judge.h"
#include "checks/scoring/aggregator.h"
#include "checks/tls_rpt/tlsrpt_record.h"
#include "checks/txt/sts_record.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "server/domain_name.h"

namespace mtasts {
namespace {

net::DnsResult TxtAnswer(std::string name, std::vector<std::string> records) {
  net::DnsResult r;
  r.name = std::move(name);
  r.type = net::RrType::kTxt;
  r.outcome = net::DnsOutcome::kAnswer;
  r.txt = std::move(records);
  return r;
}

const net::DnsResult& StsLookup() {
  static const net::DnsResult r = TxtAnswer(
      "_mta-sts.example.com", {"v=spf1 include:_spf.example.net -all",
                               "v=STSv1; id=20240131T120000Z; ext.name=value;"});
  return r;
}

const net::DnsResult& TlsRptLookup() {
  static const net::DnsResult r = TxtAnswer(
      "_smtp._tls.example.com",
      {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com, https://reports.example.net/v1/tlsrpt"});
  return r;
}

constexpr char kPolicyBody[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mail.example.net\r\n"
    "max_age: 604800\r\n";

// A fetch as the run hands it over: two addresses, both serving the policy.
const checks::PolicyFetch& Fetch() {
  static const checks::PolicyFetch f = [] {
    checks::PolicyFetch fetch;
    fetch.host = "mta-sts.example.com";
    fetch.url = "https://mta-sts.example.com/.well-known/mta-sts.txt";
    fetch.a_lookup.outcome = net::DnsOutcome::kAnswer;
    fetch.aaaa_lookup.outcome = net::DnsOutcome::kAnswer;
    for (const char* address : {"192.0.2.1", "2001:db8::1"}) {
      checks::PolicyFetchAttempt a;
      a.address = address;
      a.guard.allowed = true;
      a.result.status_code = 200;
      a.result.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
      a.result.body = kPolicyBody;
      a.result.tls.version = "TLSv1.3";
      net::CertificateInfo leaf;
      leaf.subject = "CN=mta-sts.example.com";
      leaf.issuer = "CN=R3,O=Let's Encrypt,C=US";
      leaf.dns_names = {"mta-sts.example.com"};
      leaf.days_to_expiry = 60;
      a.result.tls.chain = {leaf};
      fetch.attempts.push_back(a);
    }
    fetch.chosen = 0;
    return fetch;
  }();
  return f;
}

const checks::MxHostSet& MxHosts() {
  static const checks::MxHostSet mx{
      "example.com", {{10, "mx1.example.com"}, {20, "a.mail.example.net"}}, false};
  return mx;
}

void BM_JudgePolicyFetch(benchmark::State& state) {
  for (auto _ : state) {
    v1::PolicyEvidence evidence;
    benchmark::DoNotOptimize(checks::JudgePolicyFetch(Fetch(), &evidence));
  }
}
BENCHMARK(BM_JudgePolicyFetch);

void BM_JudgePolicyContent(benchmark::State& state) {
  for (auto _ : state) {
    v1::PolicyEvidence evidence;
    benchmark::DoNotOptimize(
        checks::JudgePolicyContent(kPolicyBody, Fetch().url, &evidence));
  }
}
BENCHMARK(BM_JudgePolicyContent);

void BM_JudgeMxMatch(benchmark::State& state) {
  const checks::ParsedPolicy policy = checks::ParsePolicy(kPolicyBody);
  for (auto _ : state) {
    v1::Evidence evidence;
    benchmark::DoNotOptimize(
        checks::JudgeMxMatch(policy.mx, policy.mode, MxHosts(), &evidence));
  }
}
BENCHMARK(BM_JudgeMxMatch);

void BM_NormalizeDomain(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::NormalizeDomain("Mail.Example.COM."));
  }
}
BENCHMARK(BM_NormalizeDomain);

void BM_NormalizeIdnDomain(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::NormalizeDomain("bücher.example"));
  }
}
BENCHMARK(BM_NormalizeIdnDomain);

void BM_JudgeStsLookup(benchmark::State& state) {
  for (auto _ : state) {
    v1::Evidence evidence;
    benchmark::DoNotOptimize(checks::JudgeStsLookup(StsLookup(), &evidence));
  }
}
BENCHMARK(BM_JudgeStsLookup);

void BM_JudgeTlsRptLookup(benchmark::State& state) {
  for (auto _ : state) {
    v1::TlsRptEvidence evidence;
    benchmark::DoNotOptimize(checks::JudgeTlsRptLookup(TlsRptLookup(), &evidence));
  }
}
BENCHMARK(BM_JudgeTlsRptLookup);

// Everything pure that one domain costs in this version, end to end.
void BM_PerDomainTotal(benchmark::State& state) {
  for (auto _ : state) {
    auto name = server::NormalizeDomain("example.com");
    v1::DomainReport report;
    report.set_domain(name->ascii);
    report.mutable_checked_at()->set_seconds(1700000000);
    checks::CheckVerdict txt = checks::JudgeStsLookup(StsLookup(), report.mutable_evidence());
    checks::CheckVerdict rpt =
        checks::JudgeTlsRptLookup(TlsRptLookup(), report.mutable_evidence()->mutable_tls_rpt());
    v1::PolicyEvidence* policy_ev = report.mutable_evidence()->mutable_policy();
    checks::CheckVerdict fetch = checks::JudgePolicyFetch(Fetch(), policy_ev);
    // Parsed once per run, as the fetcher does, for every check that needs it.
    const checks::ParsedPolicy parsed = checks::ParsePolicy(Fetch().attempts[0].result.body);
    checks::CheckVerdict content = checks::JudgePolicyContent(
        parsed, Fetch().attempts[0].result.body, Fetch().url, policy_ev);
    checks::CheckVerdict match =
        checks::JudgeMxMatch(parsed.mx, parsed.mode, MxHosts(), report.mutable_evidence());
    for (auto [verdict, check, points] :
         {std::tuple{&txt, "txt", 15.0}, std::tuple{&rpt, "tls_rpt", 10.0},
          std::tuple{&fetch, "policy_fetch", 15.0}, std::tuple{&content, "policy_content", 35.0},
          std::tuple{&match, "mx_match", 10.0}}) {
      v1::CheckResult* result = report.add_checks();
      result->set_check(check);
      result->set_status(verdict->status);
      result->set_points_possible(points);
      result->set_points_earned(points * verdict->fraction);
      for (const auto& f : verdict->findings) *result->add_findings() = f;
    }
    checks::scoring::Aggregate(&report, {"txt", "policy_fetch", "policy_content", "mx_match",
                                          "mx_tls", "tls_rpt", "dnssec"});
    benchmark::DoNotOptimize(report.score());
  }
}
BENCHMARK(BM_PerDomainTotal);

}  // namespace
}  // namespace mtasts


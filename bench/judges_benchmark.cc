// CPU cost of the pure per-domain work: input validation, the two TXT judges
// and the aggregator. DESIGN.md §7 budgets 0.25 ms of our CPU per domain for
// the whole TXT + policy path; BM_PerDomainTotal is this share of it.
//
//   bazel run -c opt //bench:judges_benchmark
#include <string>
#include <tuple>
#include <vector>

#include "benchmark/benchmark.h"
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
    for (auto [verdict, check, points] :
         {std::tuple{&txt, "txt", 15.0}, std::tuple{&rpt, "tls_rpt", 10.0}}) {
      v1::CheckResult* result = report.add_checks();
      result->set_check(check);
      result->set_status(verdict->status);
      result->set_points_possible(points);
      result->set_points_earned(points * verdict->fraction);
      for (const auto& f : verdict->findings) *result->add_findings() = f;
    }
    checks::scoring::Aggregate(&report);
    benchmark::DoNotOptimize(report.score());
  }
}
BENCHMARK(BM_PerDomainTotal);

}  // namespace
}  // namespace mtasts


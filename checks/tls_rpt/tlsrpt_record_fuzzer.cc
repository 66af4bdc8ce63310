// Fuzz target for JudgeTlsRptLookup: the input is the TXT answer at
// _smtp._tls.<domain>, one record per line ('\n' separates records; a record
// may hold any other byte). Beyond not crashing, every verdict must be well
// formed: a known status with its fraction, a one-sentence summary, findings
// from the table about the lookup's name, rua URIs only when valid (each
// mailto: or https:, no "," "!" ";" or whitespace, no duplicates), and a
// report that survives a proto3 round trip (valid UTF-8 everywhere). Each
// rua URI then goes through ParseRuaDestination (rua_reachability.h), which
// must give a lower-case host without a trailing dot, an https: path starting
// with "/" and a cache key of its scheme, or say why it cannot.
//
// In `bazel test` this file is linked with //tools:fuzz_driver, which runs
// the seeds in testdata/fuzz_seeds and deterministic mutations of them. The
// real coverage-guided fuzzer is built with clang outside Bazel:
//   tools/build_fuzzers.sh            # builds bazel-fuzz/tlsrpt_record_fuzzer
//   bazel-fuzz/tlsrpt_record_fuzzer -max_total_time=60
//   checks/tls_rpt/testdata/fuzz_seeds
// (clang++ -fsanitize=fuzzer,address,undefined over this file,
// the sources Bazel lists as its dependencies; see tools/build_fuzzers.sh.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "checks/tls_rpt/rua_reachability.h"
#include "checks/tls_rpt/tlsrpt_record.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "tools/fuzz_txt_lookup.h"

namespace {

using mtasts::fuzz::Require;
namespace v1 = mtasts::v1;
namespace net = mtasts::net;

// tls_rpt codes only.
constexpr mtasts::fuzz::JudgeCodes kTlsRptCodes = {300, 400, v1::TLSRPT_VALID};

void CheckWellFormed(const net::DnsResult& lookup,
                     const mtasts::checks::CheckVerdict& verdict,
                     const v1::TlsRptEvidence& evidence) {
  const bool valid =
      mtasts::fuzz::RequireWellFormedVerdict(lookup, verdict, kTlsRptCodes);
  Require(valid == evidence.valid());
  Require(valid == (evidence.rua_size() > 0));
  std::set<std::string> seen;
  for (const std::string& uri : evidence.rua()) {
    const std::string lower = absl::AsciiStrToLower(uri);
    Require(absl::StartsWith(lower, "mailto:") ||
            absl::StartsWith(lower, "https://"));
    for (char c : uri) {
      Require(c > 0x20 && c < 0x7f && c != ',' && c != '!' && c != ';');
    }
    Require(seen.insert(uri).second);
    std::string why;
    const auto d = mtasts::checks::ParseRuaDestination(uri, &why);
    if (!d.has_value()) {
      Require(!why.empty());
      continue;
    }
    Require(!d->host.empty() && d->host.back() != '.');
    Require(d->host == absl::AsciiStrToLower(d->host));
    const std::string key = d->CacheKey();
    if (d->kind == mtasts::checks::RuaDestination::Kind::kHttps) {
      Require(!d->path.empty() && d->path[0] == '/' && d->port != 0);
      Require(absl::StartsWith(key, "https://"));
    } else {
      Require(key == "mailto:" + d->host);
    }
  }
  Require(evidence.records_size() ==
          static_cast<int>(std::min(
              lookup.txt.size(), mtasts::checks::kMaxTlsRptRecordsExamined)));

  v1::Evidence report_evidence;
  *report_evidence.mutable_tls_rpt() = evidence;
  mtasts::fuzz::RequireReportRoundTrip(verdict, report_evidence);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const net::DnsResult lookup = mtasts::fuzz::TxtLookupFromFuzzInput(
      "_smtp._tls.fuzz.example", data, size);
  v1::TlsRptEvidence evidence;
  const mtasts::checks::CheckVerdict verdict =
      mtasts::checks::JudgeTlsRptLookup(lookup, &evidence);
  CheckWellFormed(lookup, verdict, evidence);
  return 0;
}

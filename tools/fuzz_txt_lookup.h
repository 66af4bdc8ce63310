// The harness shared by the fuzz targets of the TXT-record judges
// (checks/txt/sts_record_fuzzer.cc, checks/tls_rpt/tlsrpt_record_fuzzer.cc):
// the input as a TXT answer, the checks every verdict must pass, and the
// proto3 round trip (tools/fuzz_verdict.h). Each target adds the checks of
// its own evidence.
//
//   net::DnsResult lookup = TxtLookupFromFuzzInput("_mta-sts.fuzz.example",
//                                                  data, size);
//   CheckVerdict verdict = JudgeStsLookup(lookup, &evidence);
//   const bool valid = RequireWellFormedVerdict(lookup, verdict, kTxtCodes);
//   Require(valid == !evidence.sts_id().empty());
//   RequireReportRoundTrip(verdict, evidence);
//
// Failures abort, which libFuzzer and //tools:fuzz_driver report as crashes.
#ifndef MTASTS_TOOLS_FUZZ_TXT_LOOKUP_H_
#define MTASTS_TOOLS_FUZZ_TXT_LOOKUP_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "tools/fuzz_verdict.h"

namespace mtasts::fuzz {

// The ANSWER of a TXT lookup of `name` whose records are the input's lines
// ('\n' separates records; a record may hold any other byte). An empty input
// is an answer without records.
inline net::DnsResult TxtLookupFromFuzzInput(std::string name,
                                             const uint8_t* data,
                                             size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  net::DnsResult lookup;
  lookup.name = std::move(name);
  lookup.type = net::RrType::kTxt;
  lookup.outcome = net::DnsOutcome::kAnswer;
  if (!input.empty()) {
    lookup.txt = absl::StrSplit(input, '\n');
  }
  return lookup;
}

// The finding codes one judge may emit: [first, end), and its VALID code.
struct JudgeCodes {
  int first;
  int end;
  v1::FindingCode valid;
};

// Requires what every verdict of a TXT judge must be: PASS with fraction 1,
// WARN between 0 and 1 or FAIL with 0; a one-sentence summary; findings
// from the table, within `codes`, about the lookup's name, most severe first;
// the VALID finding exactly when the status is not FAIL. Returns whether the
// verdict found a valid record (status not FAIL).
inline bool RequireWellFormedVerdict(const net::DnsResult& lookup,
                                     const checks::CheckVerdict& verdict,
                                     const JudgeCodes& codes) {
  switch (verdict.status) {
    case v1::CHECK_STATUS_PASS:
      Require(verdict.fraction == 1);
      break;
    case v1::CHECK_STATUS_WARN:
      Require(verdict.fraction > 0 && verdict.fraction < 1);
      break;
    case v1::CHECK_STATUS_FAIL:
      Require(verdict.fraction == 0);
      break;
    default:
      std::abort();
  }
  Require(!verdict.summary.empty() && verdict.summary.back() == '.');
  Require(!verdict.findings.empty());
  RequireWellFormedFindings(verdict.findings, codes.first, codes.end);
  bool valid_seen = false;
  for (const v1::Finding& f : verdict.findings) {
    Require(f.code() != v1::FINDING_CODE_UNSPECIFIED);
    Require(f.subject() == lookup.name);
    if (f.code() == codes.valid) valid_seen = true;
  }
  const bool valid = verdict.status != v1::CHECK_STATUS_FAIL;
  Require(valid == valid_seen);
  return valid;
}

}  // namespace mtasts::fuzz

#endif  // MTASTS_TOOLS_FUZZ_TXT_LOOKUP_H_

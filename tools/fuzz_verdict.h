// What every check's fuzz target requires of a verdict, whatever the judge:
// well-formed findings and a report that survives the proto3 round trip.
// Shared by the judges' fuzz targets (checks/*/*_fuzzer.cc, and through
// tools/fuzz_txt_lookup.h the TXT-record ones).
//
//   mtasts::fuzz::RequireWellFormedFindings(verdict.findings, 500, 600);
//   mtasts::fuzz::RequireReportRoundTrip(verdict, evidence);
//
// Failures abort, which libFuzzer and //tools:fuzz_driver report as crashes.
#ifndef MTASTS_TOOLS_FUZZ_VERDICT_H_
#define MTASTS_TOOLS_FUZZ_VERDICT_H_

#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

#include "checks/verdict.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::fuzz {

// Aborts unless `condition` holds.
inline void Require(bool condition) {
  if (!condition) std::abort();
}

// Requires of each finding a known code in [first, end), a severity, a title
// and a detail; and the findings most severe first.
inline void RequireWellFormedFindings(const std::vector<v1::Finding>& findings, int first,
                                      int end) {
  for (size_t i = 0; i < findings.size(); ++i) {
    const v1::Finding& f = findings[i];
    Require(v1::FindingCode_IsValid(f.code()));
    Require(f.code() >= first && f.code() < end);
    Require(f.severity() != v1::SEVERITY_UNSPECIFIED);
    Require(!f.title().empty() && !f.detail().empty());
    if (i > 0) Require(findings[i - 1].severity() >= f.severity());
  }
}

// Requires that a report holding `verdict` and `evidence` survives a proto3
// round trip: proto3 rejects invalid UTF-8 on parse.
inline void RequireReportRoundTrip(const checks::CheckVerdict& verdict,
                                   const v1::Evidence& evidence) {
  v1::CheckResult result;
  result.set_status(verdict.status);
  result.set_summary(verdict.summary);
  for (const v1::Finding& f : verdict.findings) *result.add_findings() = f;
  v1::DomainReport report;
  *report.add_checks() = result;
  *report.mutable_evidence() = evidence;
  std::string wire;
  Require(report.SerializeToString(&wire));
  v1::DomainReport back;
  Require(back.ParseFromString(wire));
}

}  // namespace mtasts::fuzz

#endif  // MTASTS_TOOLS_FUZZ_VERDICT_H_

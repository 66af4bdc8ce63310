// Fuzz target for JudgeStsLookup: the input is the TXT answer at
// _mta-sts.<domain>, one record per line ('\n' separates records; a record
// may hold any other byte). Beyond not crashing, every verdict must be
// well formed: a known status with its fraction, a one-sentence summary,
// findings from the table about the lookup's name, an id only when valid,
// and a report that survives a proto3 round trip (valid UTF-8 everywhere).
//
// In `bazel test` this file is linked with //tools:fuzz_driver, which runs
// the seeds in testdata/fuzz_seeds and deterministic mutations of them. The
// real coverage-guided fuzzer is built with clang outside Bazel:
//   tools/build_fuzzers.sh            # builds bazel-fuzz/sts_record_fuzzer
//   bazel-fuzz/sts_record_fuzzer -max_total_time=60
//   checks/txt/testdata/fuzz_seeds
// (clang++ -fsanitize=fuzzer,address,undefined over this file,
// sts_record.cc, findings_table.cc and the generated .pb.cc files.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/txt/sts_record.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace {

using mtasts::checks::CheckVerdict;
namespace v1 = mtasts::v1;
namespace net = mtasts::net;

void Require(bool condition) {
  if (!condition) std::abort();
}

bool IsAlnumId(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

void CheckWellFormed(const net::DnsResult& lookup, const CheckVerdict& verdict,
                     const v1::Evidence& evidence) {
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
  bool valid_seen = false;
  for (size_t i = 0; i < verdict.findings.size(); ++i) {
    const v1::Finding& f = verdict.findings[i];
    Require(f.code() != v1::FINDING_CODE_UNSPECIFIED &&
            v1::FindingCode_IsValid(f.code()));
    Require(f.code() >= 200 && f.code() < 300);  // txt codes only
    Require(f.severity() != v1::SEVERITY_UNSPECIFIED);
    Require(!f.title().empty() && !f.detail().empty());
    Require(f.subject() == lookup.name);
    if (i > 0) Require(verdict.findings[i - 1].severity() >= f.severity());
    if (f.code() == v1::TXT_VALID) valid_seen = true;
  }
  const bool valid = verdict.status != v1::CHECK_STATUS_FAIL;
  Require(valid == valid_seen);
  Require(valid == !evidence.sts_id().empty());
  if (valid) Require(IsAlnumId(evidence.sts_id()));
  Require(evidence.sts_records_size() ==
          static_cast<int>(std::min(lookup.txt.size(),
                                    mtasts::checks::kMaxStsRecordsExamined)));

  // proto3 rejects invalid UTF-8 on parse: the report must round-trip.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  net::DnsResult lookup;
  lookup.name = "_mta-sts.fuzz.example";
  lookup.type = net::RrType::kTxt;
  lookup.outcome = net::DnsOutcome::kAnswer;
  if (!input.empty()) {
    lookup.txt = absl::StrSplit(input, '\n');
  }
  v1::Evidence evidence;
  CheckVerdict verdict = mtasts::checks::JudgeStsLookup(lookup, &evidence);
  CheckWellFormed(lookup, verdict, evidence);
  return 0;
}

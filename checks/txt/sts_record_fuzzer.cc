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
// the sources Bazel lists as its dependencies; see tools/build_fuzzers.sh.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "checks/txt/sts_record.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "tools/fuzz_txt_lookup.h"

namespace {

using mtasts::fuzz::Require;
namespace v1 = mtasts::v1;
namespace net = mtasts::net;

// txt codes only.
constexpr mtasts::fuzz::JudgeCodes kTxtCodes = {200, 300, v1::TXT_VALID};

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

void CheckWellFormed(const net::DnsResult& lookup,
                     const mtasts::checks::CheckVerdict& verdict,
                     const v1::Evidence& evidence) {
  const bool valid =
      mtasts::fuzz::RequireWellFormedVerdict(lookup, verdict, kTxtCodes);
  Require(valid == !evidence.sts_id().empty());
  if (valid) Require(IsAlnumId(evidence.sts_id()));
  Require(evidence.sts_records_size() ==
          static_cast<int>(std::min(lookup.txt.size(),
                                    mtasts::checks::kMaxStsRecordsExamined)));
  mtasts::fuzz::RequireReportRoundTrip(verdict, evidence);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const net::DnsResult lookup =
      mtasts::fuzz::TxtLookupFromFuzzInput("_mta-sts.fuzz.example", data, size);
  v1::Evidence evidence;
  const mtasts::checks::CheckVerdict verdict =
      mtasts::checks::JudgeStsLookup(lookup, &evidence);
  CheckWellFormed(lookup, verdict, evidence);
  return 0;
}

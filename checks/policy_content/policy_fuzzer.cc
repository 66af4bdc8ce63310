// Fuzz target for ParsePolicy and JudgePolicyContent: the input is a policy
// body, any bytes. Beyond not crashing, every result must be well formed and
// agree with an independent reading of the rules:
//  - a known status whose fraction is the docs/design.md §5.3 share of 35 points;
//    FAIL exactly when invalid; POLICY_VALID exactly when valid;
//  - findings from the table (policy_content codes only), about the URL,
//    most severe first, bounded in number; a one-sentence summary;
//  - a valid policy has every line in `name ":" value` form (checked here
//    by a second, simpler reader), version STSv1, a mode, a max_age within
//    [0, 31557600], mx lines unless the mode is none, grammatical patterns,
//    and survives a round trip through its canonical text;
//  - the evidence mirrors the parse and the report survives a proto3 round
//    trip (valid UTF-8 everywhere); parsing is deterministic.
//
// In `bazel test` this file is linked with //tools:fuzz_driver, which runs
// the seeds in testdata/fuzz_seeds and deterministic mutations of them. The
// real coverage-guided fuzzer is built with clang outside Bazel:
//   tools/build_fuzzers.sh            # builds bazel-fuzz/policy_fuzzer
//   bazel-fuzz/policy_fuzzer -max_total_time=60
//       -dict=checks/policy_content/testdata/policy_fuzz.dict
//       checks/policy_content/testdata/fuzz_seeds
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "checks/common/mx_pattern.h"
#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"
#include "tools/fuzz_verdict.h"

namespace {

namespace v1 = mtasts::v1;
using mtasts::checks::CheckVerdict;
using mtasts::checks::ParsedPolicy;
using mtasts::fuzz::Require;

constexpr char kUrl[] = "https://mta-sts.fuzz.example/.well-known/mta-sts.txt";

// Every non-blank line is `name ":" *WSP value *WSP` with a valid field name,
// nothing before it, no whitespace before ":", no control characters but tab.
bool EveryLineIsAField(absl::string_view body) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == absl::string_view::npos) nl = body.size();
    absl::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == absl::string_view::npos) continue;
    for (char c : line) {
      const unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0 || colon > 32) {
      return false;
    }
    const absl::string_view name = line.substr(0, colon);
    const auto alnum = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9');
    };
    if (!alnum(name.front())) return false;
    for (char c : name) {
      if (!alnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
  }
  return true;
}

double ExpectedFraction(const ParsedPolicy& p) {
  if (!p.valid) return 0;
  switch (p.mode) {
    case v1::POLICY_MODE_ENFORCE:
      return (30.0 + (p.max_age >= 86400 ? 5.0 : 0.0)) / 35.0;
    case v1::POLICY_MODE_TESTING:
      return 15.0 / 35.0;
    default:
      return 0;
  }
}

const char* ModeText(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return "enforce";
    case v1::POLICY_MODE_TESTING:
      return "testing";
    default:
      return "none";
  }
}

void CheckValidPolicy(absl::string_view body, const ParsedPolicy& p) {
  Require(body.size() <= mtasts::checks::kMaxPolicyBodyBytes);
  Require(!absl::StartsWith(body, "\xEF\xBB\xBF"));
  Require(EveryLineIsAField(body));
  Require(p.mode != v1::POLICY_MODE_UNSPECIFIED);
  Require(p.max_age >= 0 && p.max_age <= mtasts::checks::kMaxPolicyMaxAge);
  Require(p.mode == v1::POLICY_MODE_NONE || !p.mx.empty());
  for (const std::string& mx : p.mx) {
    Require(mtasts::checks::CheckMxPattern(mx).grammatical);
  }
  // The canonical text of the parsed policy parses to the same policy.
  std::string canonical =
      absl::StrCat("version: STSv1\nmode: ", ModeText(p.mode), "\n");
  for (const std::string& mx : p.mx)
    absl::StrAppend(&canonical, "mx: ", mx, "\n");
  absl::StrAppend(&canonical, "max_age: ", p.max_age, "\n");
  if (canonical.size() <= mtasts::checks::kMaxPolicyBodyBytes) {
    const ParsedPolicy again = mtasts::checks::ParsePolicy(canonical);
    Require(again.valid);
    Require(again.mode == p.mode);
    Require(again.max_age == p.max_age);
    Require(again.mx == p.mx);
  }
}

void CheckVerdictShape(const ParsedPolicy& p, const CheckVerdict& v) {
  switch (v.status) {
    case v1::CHECK_STATUS_PASS:
      Require(p.valid && v.fraction == 1);
      break;
    case v1::CHECK_STATUS_WARN:
      Require(p.valid);
      break;
    case v1::CHECK_STATUS_FAIL:
      Require(!p.valid);
      break;
    default:
      std::abort();
  }
  Require(v.fraction == ExpectedFraction(p));
  Require(!v.summary.empty() && v.summary.back() == '.');
  Require(v.summary.find(". ") == std::string::npos);
  Require(v.findings.size() == p.findings.size());
  Require(!v.findings.empty());
  Require(v.findings.size() <= 24);
  mtasts::fuzz::RequireWellFormedFindings(v.findings, 400, 500);
  bool valid_seen = false;
  for (const v1::Finding& f : v.findings) {
    Require(f.subject() == kUrl);
    if (f.code() == v1::POLICY_VALID) valid_seen = true;
  }
  Require(valid_seen == p.valid);
}

void CheckEvidence(absl::string_view body, const ParsedPolicy& p,
                   const v1::PolicyEvidence& evidence) {
  Require(evidence.valid() == p.valid);
  Require(evidence.mode() == p.mode);
  Require(evidence.max_age() == std::max<int64_t>(p.max_age, 0));
  Require(evidence.mx_size() == static_cast<int>(p.mx.size()));
  Require(evidence.url() == "kept");
  // Escaping only grows the body, by at most 4 bytes per byte.
  const size_t kept =
      std::min(body.size(), mtasts::checks::kMaxPolicyBodyBytes);
  Require(evidence.body().size() >= kept && evidence.body().size() <= 4 * kept);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  const ParsedPolicy p = mtasts::checks::ParsePolicy(body);
  if (size > mtasts::checks::kMaxPolicyBodyBytes) {
    Require(!p.valid && p.mx.empty() && p.findings.size() == 1 &&
            p.findings[0].code() == v1::POLICY_TOO_LARGE);
  }
  if (p.valid) CheckValidPolicy(body, p);

  v1::PolicyEvidence evidence;
  evidence.set_url("kept");
  evidence.add_mx("stale");
  const CheckVerdict v =
      mtasts::checks::JudgePolicyContent(p, body, kUrl, &evidence);
  CheckVerdictShape(p, v);
  CheckEvidence(body, p, evidence);
  v1::Evidence report_evidence;
  *report_evidence.mutable_policy() = evidence;
  mtasts::fuzz::RequireReportRoundTrip(v, report_evidence);

  // Deterministic.
  const ParsedPolicy again = mtasts::checks::ParsePolicy(body);
  Require(again.valid == p.valid && again.mode == p.mode &&
          again.max_age == p.max_age && again.mx == p.mx &&
          again.unknown_fields == p.unknown_fields &&
          again.findings.size() == p.findings.size());
  for (size_t i = 0; i < p.findings.size(); ++i) {
    Require(again.findings[i].SerializeAsString() ==
            p.findings[i].SerializeAsString());
  }
  return 0;
}

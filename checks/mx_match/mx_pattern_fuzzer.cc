// Fuzz target for MxPatternMatches, CheckMxPattern and JudgeMxMatch. The
// input's first byte picks the mode (its low two bits: unspecified, enforce,
// testing, none) and whether a null MX is published (bit 2); the rest is
// lines ('\n'): mx patterns up to the first empty line, MX host names after
// it. Beyond not crashing:
//  - MxPatternMatches agrees with an independent label-by-label reading of
//    RFC 8461 §4.1, is case-insensitive and ignores one trailing dot;
//  - CheckMxPattern names a problem exactly when it finds a defect, and a
//    pattern it passes is ASCII with "*" only as a leading "*.";
//  - the verdict is well formed: status allowed for the mode, fraction the
//    share of hosts covered, findings from the mx_match codes, most severe
//    first, bounded; evidence has one entry per host whose matched_pattern
//    really matches it; the report survives a proto3 round trip.
//
// In `bazel test` this file is linked with //tools:fuzz_driver, which runs
// the seeds in testdata/fuzz_seeds and deterministic mutations of them. The
// real coverage-guided fuzzer is built with clang outside Bazel:
//   tools/build_fuzzers.sh            # builds bazel-fuzz/mx_pattern_fuzzer
//   bazel-fuzz/mx_pattern_fuzzer -max_total_time=60
//       -dict=checks/mx_match/testdata/mx_fuzz.dict
//       checks/mx_match/testdata/fuzz_seeds
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/common/mx_pattern.h"
#include "checks/mx_match/mx_match_judge.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "tools/fuzz_verdict.h"

namespace {

namespace v1 = mtasts::v1;
using mtasts::checks::CheckMxPattern;
using mtasts::checks::MxPatternDefect;
using mtasts::checks::MxPatternMatches;
using mtasts::fuzz::Require;

// Bounds so one input stays cheap: matching is patterns x hosts.
constexpr size_t kMaxItems = 64;

std::string Normalize(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(name);
}

// RFC 8461 §4.1 read label by label: equal label counts, a leading "*" label
// over a non-empty parent stands for one non-empty label, every other label
// equal ignoring ASCII case; "*" nowhere else.
bool ReferenceMatch(absl::string_view pattern, absl::string_view host) {
  const std::string p = Normalize(pattern);
  const std::string h = Normalize(host);
  if (p.empty() || h.empty()) return false;
  std::vector<absl::string_view> pl = absl::StrSplit(p, '.');
  std::vector<absl::string_view> hl = absl::StrSplit(h, '.');
  const bool wildcard = pl.size() > 1 && pl[0] == "*";
  // "*." needs a name under it: "*." alone (or "*.." once normalised) is not
  // a wildcard over the root.
  if (wildcard && p.size() == 2) return false;
  for (size_t i = wildcard ? 1 : 0; i < pl.size(); ++i) {
    if (pl[i].find('*') != absl::string_view::npos) return false;
  }
  if (!wildcard && pl[0].find('*') != absl::string_view::npos) return false;
  if (pl.size() != hl.size()) return false;
  for (size_t i = 0; i < pl.size(); ++i) {
    if (i == 0 && wildcard) {
      if (hl[0].empty()) return false;
      continue;
    }
    if (pl[i] != hl[i]) return false;
  }
  return true;
}

void CheckMatching(const std::string& pattern, const std::string& host) {
  const bool m = MxPatternMatches(pattern, host);
  Require(m == ReferenceMatch(pattern, host));
  Require(m == MxPatternMatches(absl::AsciiStrToUpper(pattern),
                                absl::AsciiStrToLower(host)));
  if (!absl::EndsWith(pattern, ".")) {
    Require(m == MxPatternMatches(pattern + ".", host));
  }
  if (!absl::EndsWith(host, ".")) {
    Require(m == MxPatternMatches(pattern, host + "."));
  }
  // Never the bare parent.
  if (absl::StartsWith(pattern, "*.")) {
    Require(!MxPatternMatches(pattern, pattern.substr(2)));
  }
}

void CheckSyntax(const std::string& pattern) {
  const mtasts::checks::MxPatternCheck c = CheckMxPattern(pattern);
  Require(c.problem.empty() == (c.defect == MxPatternDefect::kNone));
  if (c.defect == MxPatternDefect::kNone) {
    Require(c.grammatical);
    Require(!pattern.empty() && pattern.back() != '.');
    for (size_t i = 0; i < pattern.size(); ++i) {
      const unsigned char u = static_cast<unsigned char>(pattern[i]);
      Require(u < 0x80);
      if (pattern[i] == '*')
        Require(i == 0 && pattern.size() > 2 && pattern[1] == '.');
    }
    // A valid pattern matches some host: itself, or one label under it.
    const std::string host =
        absl::StartsWith(pattern, "*.") ? "x" + pattern.substr(1) : pattern;
    Require(MxPatternMatches(pattern, host));
  } else if (c.defect != MxPatternDefect::kIpLiteral) {
    Require(!c.grammatical);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  std::vector<std::string> patterns;
  std::vector<mtasts::net::MxRecord> hosts;
  bool in_hosts = false;
  for (absl::string_view line : absl::StrSplit(rest, '\n')) {
    if (!in_hosts && line.empty()) {
      in_hosts = true;
      continue;
    }
    if (in_hosts) {
      if (hosts.size() < kMaxItems) {
        hosts.push_back(
            {static_cast<uint16_t>(hosts.size() * 10), std::string(line)});
      }
    } else if (patterns.size() < kMaxItems) {
      patterns.emplace_back(line);
    }
  }

  for (const std::string& p : patterns) {
    CheckSyntax(p);
    for (const auto& h : hosts) CheckMatching(p, h.host);
  }

  static constexpr v1::PolicyMode kModes[] = {
      v1::POLICY_MODE_UNSPECIFIED, v1::POLICY_MODE_ENFORCE,
      v1::POLICY_MODE_TESTING, v1::POLICY_MODE_NONE};
  const v1::PolicyMode mode = kModes[selector & 3];
  mtasts::checks::MxHostSet mx;
  mx.domain = "fuzz.example";
  mx.hosts = hosts;
  mx.null_mx = (selector & 4) != 0;
  v1::Evidence evidence;
  const mtasts::checks::CheckVerdict v =
      mtasts::checks::JudgeMxMatch(patterns, mode, mx, &evidence);

  // The distinct hosts, as the judge counts them.
  absl::flat_hash_set<std::string> distinct;
  for (const auto& h : hosts) {
    const std::string n = Normalize(h.host);
    if (!n.empty()) distinct.insert(n);
  }
  size_t covered = 0;
  for (const std::string& n : distinct) {
    if (std::any_of(
            patterns.begin(), patterns.end(),
            [&n](const std::string& p) { return MxPatternMatches(p, n); })) {
      ++covered;
    }
  }

  switch (v.status) {
    case v1::CHECK_STATUS_SKIPPED:
      Require(v.fraction == 0);
      Require(mode == v1::POLICY_MODE_UNSPECIFIED || distinct.empty() ||
              (mode == v1::POLICY_MODE_NONE && patterns.empty()));
      break;
    case v1::CHECK_STATUS_PASS:
      Require(v.fraction == 1);
      break;
    case v1::CHECK_STATUS_FAIL:
      Require(mode == v1::POLICY_MODE_ENFORCE && v.fraction < 1);
      break;
    case v1::CHECK_STATUS_WARN:
      Require(v.fraction >= 0 && v.fraction <= 1);
      break;
    default:
      std::abort();
  }
  if (v.status != v1::CHECK_STATUS_SKIPPED && !distinct.empty()) {
    Require(v.fraction == static_cast<double>(covered) /
                              static_cast<double>(distinct.size()));
  }
  Require(!v.summary.empty() && v.summary.back() == '.');
  Require(v.findings.size() <= mtasts::checks::kMaxUnmatchedHostFindings + 4);
  mtasts::fuzz::RequireWellFormedFindings(v.findings, 500, 600);

  // Evidence: one entry per distinct host unless a null MX stood alone.
  if (!(distinct.empty())) {
    Require(evidence.mx_hosts_size() == static_cast<int>(distinct.size()));
  }
  for (const v1::MxHost& h : evidence.mx_hosts()) {
    if (!h.matched_pattern().empty()) {
      Require(v.status != v1::CHECK_STATUS_SKIPPED);
      // Names are sanitised for the report; plain ones compare directly.
      const auto plain = [](const std::string& text) {
        return std::all_of(text.begin(), text.end(), [](char c) {
          return c > 0x20 && c < 0x7f && c != '\\';
        });
      };
      if (plain(h.name()) && plain(h.matched_pattern())) {
        Require(MxPatternMatches(h.matched_pattern(), h.name()));
      }
    }
  }

  mtasts::fuzz::RequireReportRoundTrip(v, evidence);
  return 0;
}

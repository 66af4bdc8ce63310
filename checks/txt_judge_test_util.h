// Scaffolding shared by the tests of the TXT-record judges
// (checks/txt/sts_record_test.cc, checks/tls_rpt/tlsrpt_record_test.cc):
// records as the resolver receives them, the lookup a test case stands for,
// and verdicts in words for failure messages.
//
//   net::DnsResult lookup = MakeTxtLookup("_mta-sts.example.com",
//                                         DnsOutcome::kAnswer,
//                                         {Strings({"v=STS", "v1; id=1;"})});
//   CheckVerdict v = JudgeStsLookup(lookup, nullptr);
//   EXPECT_EQ(FindingWith(v, v1::TXT_VALID).severity(), v1::SEVERITY_INFO)
//       << Describe(v);
#ifndef MTASTS_CHECKS_TXT_JUDGE_TEST_UTIL_H_
#define MTASTS_CHECKS_TXT_JUDGE_TEST_UTIL_H_

#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/testing/finding_names.h"
#include "checks/verdict.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks::test_util {

// One TXT record as the resolver receives it: one or more character-strings,
// which it joins without spaces (RFC 8461 §3.1, RFC 8460 §3) before the
// judge sees them.
struct Txt {
  Txt(const char* s) : strings{s} {}             // NOLINT: implicit on purpose
  Txt(std::string s) : strings{std::move(s)} {}  // NOLINT
  std::vector<std::string> strings;
  std::string Joined() const { return absl::StrJoin(strings, ""); }
};
inline Txt Strings(std::initializer_list<const char*> parts) {
  Txt txt("");
  txt.strings.assign(parts.begin(), parts.end());
  return txt;
}

// The TXT lookup of `name` with `outcome`, the records joined.
inline net::DnsResult MakeTxtLookup(
    std::string name, net::DnsOutcome outcome, const std::vector<Txt>& records,
    const std::vector<std::string>& cname_chain = {}) {
  net::DnsResult lookup;
  lookup.name = std::move(name);
  lookup.type = net::RrType::kTxt;
  lookup.outcome = outcome;
  lookup.cname_chain = cname_chain;
  for (const Txt& txt : records) lookup.txt.push_back(txt.Joined());
  return lookup;
}

// One case of a judge's table: the TXT records (or the lookup's outcome and
// CNAME chain) and what the judge must make of them. `Expected` is what the
// evidence must keep: the id for _mta-sts, the usable rua URIs for
// _smtp._tls.
template <typename Expected>
struct TxtCase {
  std::string name;
  std::vector<Txt> records;
  v1::CheckStatus status;
  std::set<v1::FindingCode> codes;
  Expected expected;
  net::DnsOutcome outcome = net::DnsOutcome::kAnswer;
  std::vector<std::string> cname_chain = {};

  // The lookup of `name` this case stands for.
  net::DnsResult Lookup(std::string name) const {
    return MakeTxtLookup(std::move(name), outcome, records, cname_chain);
  }
};
template <typename Expected>
void PrintTo(const TxtCase<Expected>& c, std::ostream* os) {
  *os << c.name;
}
// Names each case of INSTANTIATE_TEST_SUITE_P by its name.
struct CaseName {
  template <typename Expected>
  std::string operator()(const ::testing::TestParamInfo<TxtCase<Expected>>& info) const {
    return info.param.name;
  }
};

// Code names, so that a mismatch prints names rather than numbers.
using ::mtasts::checks::testing::CodeNames;
inline std::set<std::string> CodeNames(const CheckVerdict& verdict) {
  return CodeNames(verdict.findings);
}

// The summary and every finding, one a line, for failure messages.
inline std::string Describe(const CheckVerdict& verdict) {
  std::string out = absl::StrCat("summary: ", verdict.summary, "\n");
  for (const v1::Finding& f : verdict.findings) {
    absl::StrAppend(&out, "  ", v1::FindingCode_Name(f.code()), " (",
                    v1::Severity_Name(f.severity()), "): ", f.detail(), "\n");
  }
  return out;
}

// Printable ASCII and tab only.
inline bool PrintableAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 0x20 && c < 0x7f) || c == '\t';
  });
}

// What every verdict of a TXT-record judge promises, whatever the records:
// the fraction follows the status (1 for PASS, between 0 and 1 for WARN, 0
// otherwise); the summary is one sentence naming `subject`; each finding is
// about `subject`, has a title and a printable detail (ASCII, or "§"), and
// findings come most severe first.
inline void ExpectVerdictShape(const CheckVerdict& verdict, const std::string& subject) {
  switch (verdict.status) {
    case v1::CHECK_STATUS_PASS:
      EXPECT_EQ(verdict.fraction, 1);
      break;
    case v1::CHECK_STATUS_WARN:
      EXPECT_GT(verdict.fraction, 0);
      EXPECT_LT(verdict.fraction, 1);
      break;
    default:
      EXPECT_EQ(verdict.fraction, 0);
  }
  ASSERT_FALSE(verdict.summary.empty());
  EXPECT_EQ(verdict.summary.back(), '.');
  EXPECT_EQ(verdict.summary.find(". "), std::string::npos) << verdict.summary;
  EXPECT_NE(verdict.summary.find(subject), std::string::npos) << verdict.summary;
  for (size_t i = 0; i < verdict.findings.size(); ++i) {
    const v1::Finding& f = verdict.findings[i];
    EXPECT_EQ(f.subject(), subject);
    EXPECT_FALSE(f.title().empty());
    EXPECT_FALSE(f.detail().empty());
    EXPECT_TRUE(PrintableAscii(f.detail()) ||
                f.detail().find("\xc2\xa7") != std::string::npos)  // "§"
        << f.detail();
    if (i > 0) {
      EXPECT_GE(verdict.findings[i - 1].severity(), f.severity());
    }
  }
}

// What a case asks of every verdict: its status and codes (by name, with the
// verdict in words on a mismatch), and the shape above about `subject`.
template <typename Expected>
void ExpectCaseVerdict(const TxtCase<Expected>& c, const CheckVerdict& verdict,
                       const std::string& subject) {
  EXPECT_EQ(v1::CheckStatus_Name(verdict.status), v1::CheckStatus_Name(c.status))
      << Describe(verdict);
  EXPECT_EQ(CodeNames(verdict), CodeNames(c.codes)) << Describe(verdict);
  ExpectVerdictShape(verdict, subject);
}

// The evidence's copy of the records of a lookup that ended with `outcome`:
// with an answer, the first `max_examined` of `records`, each as joined
// (compared when printable and at most `max_bytes` long: longer or odd ones
// are kept escaped or cut); with no answer, none.
template <typename Kept>
void ExpectRecordsKept(const std::vector<Txt>& records, net::DnsOutcome outcome,
                       const Kept& kept, size_t max_examined, size_t max_bytes) {
  if (outcome != net::DnsOutcome::kAnswer) {
    EXPECT_EQ(kept.size(), 0);
    return;
  }
  const size_t count = std::min(records.size(), max_examined);
  ASSERT_EQ(kept.size(), static_cast<int>(count));
  for (size_t i = 0; i < count; ++i) {
    const std::string joined = records[i].Joined();
    if (PrintableAscii(joined) && joined.size() <= max_bytes) {
      EXPECT_EQ(kept[static_cast<int>(i)], joined);
    }
  }
}

// The first finding of `verdict` with `code`; a test failure (and an empty
// finding) when there is none.
inline const v1::Finding& FindingWith(const CheckVerdict& verdict,
                                      v1::FindingCode code) {
  for (const v1::Finding& f : verdict.findings) {
    if (f.code() == code) return f;
  }
  ADD_FAILURE() << "no " << v1::FindingCode_Name(code) << "\n"
                << Describe(verdict);
  static const v1::Finding kNone;
  return kNone;
}

// A domain of 245-253 octets has no room for `prefix` ("_mta-sts.",
// "_smtp._tls."): the name cannot exist, whatever the resolver answered, so
// `judge` gives `code` (MEDIUM, FAIL), not a lookup failure; a 253-octet name
// with the prefix is judged as usual.
template <typename Judge>
void ExpectOverlongNameIsItsOwnFinding(const std::string& prefix, Judge judge,
                                       v1::FindingCode code) {
  const std::string domain = absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'),
                                          ".", std::string(63, 'c'), ".", std::string(54, 'd'),
                                          ".com");  // 250 octets
  ASSERT_EQ(domain.size(), 250u);
  for (net::DnsOutcome outcome : {net::DnsOutcome::kError, net::DnsOutcome::kNxDomain}) {
    net::DnsResult lookup;
    lookup.name = prefix + domain;
    lookup.type = net::RrType::kTxt;
    lookup.outcome = outcome;
    const CheckVerdict v = judge(lookup);
    EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
    ASSERT_EQ(v.findings.size(), 1u);
    EXPECT_EQ(v.findings[0].code(), code);
    EXPECT_EQ(v.findings[0].severity(), v1::SEVERITY_MEDIUM);
    EXPECT_NE(v.findings[0].detail().find("over the 253"), std::string::npos)
        << v.findings[0].detail();
    EXPECT_NE(v.summary.find("no record can exist"), std::string::npos) << v.summary;
  }
  net::DnsResult fits;
  fits.name = prefix + domain.substr(domain.size() - (253 - prefix.size()));
  ASSERT_EQ(fits.name.size(), 253u);
  fits.type = net::RrType::kTxt;
  fits.outcome = net::DnsOutcome::kNxDomain;
  const CheckVerdict v = judge(fits);
  for (const v1::Finding& f : v.findings) EXPECT_NE(f.code(), code);
}

}  // namespace mtasts::checks::test_util

#endif  // MTASTS_CHECKS_TXT_JUDGE_TEST_UTIL_H_

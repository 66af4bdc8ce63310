#include "checks/common/mx_pattern.h"
#include "checks/mx_match/mx_match_judge.h"

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checks/testing/finding_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// --- MxPatternMatches: RFC 8461 §4.1 ---

struct MatchCase {
  std::string name;
  std::string pattern;
  std::string host;
  bool matches;
};

void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << c.name << ": \"" << c.pattern << "\" vs \"" << c.host << "\"";
}

const MatchCase kMatchCases[] = {
    // Exact patterns.
    {"Exact", "mail.example.com", "mail.example.com", true},
    {"ExactOtherHost", "mail.example.com", "mx.example.com", false},
    {"ExactPatternUpperCase", "MAIL.EXAMPLE.COM", "mail.example.com", true},
    {"ExactHostUpperCase", "mail.example.com", "MAIL.EXAMPLE.COM", true},
    {"ExactMixedCase", "Mail.Example.Com", "mAIL.eXAMPLE.cOM", true},
    {"TrailingDotOnHost", "mail.example.com", "mail.example.com.", true},
    {"TrailingDotOnPattern", "mail.example.com.", "mail.example.com", true},
    {"TrailingDotOnBoth", "mail.example.com.", "mail.example.com.", true},
    {"TwoTrailingDotsOnHost", "mail.example.com", "mail.example.com..", false},
    {"ExactDoesNotCoverSubdomain", "mail.example.com", "a.mail.example.com",
     false},
    {"ExactDoesNotCoverParent", "mail.example.com", "example.com", false},
    {"ExactIsNotASuffixMatch", "example.com", "mail.example.com", false},
    {"HostIsPrefixOfPattern", "mail.example.com", "mail.example", false},
    {"SingleLabel", "localhost", "localhost", true},
    {"WhitespaceIsNotTrimmed", " mail.example.com", "mail.example.com", false},

    // "*." wildcard: exactly one leftmost label.
    {"WildcardOneLabel", "*.example.com", "mx1.example.com", true},
    {"WildcardHostUpperCase", "*.example.com", "MX1.EXAMPLE.COM", true},
    {"WildcardPatternUpperCase", "*.EXAMPLE.COM", "mx1.example.com", true},
    {"WildcardTrailingDotOnHost", "*.example.com", "mx1.example.com.", true},
    {"WildcardTrailingDotOnPattern", "*.example.com.", "mx1.example.com", true},
    {"WildcardHyphenatedLabel", "*.example.com", "mx-1.example.com", true},
    {"WildcardNumericLabel", "*.example.com", "25.example.com", true},
    {"WildcardNeverTheParent", "*.example.com", "example.com", false},
    {"WildcardNeverTheParentWithDot", "*.example.com", "example.com.", false},
    {"WildcardNeverTwoLabels", "*.example.com", "a.b.example.com", false},
    {"WildcardNeverThreeLabels", "*.example.com", "a.b.c.example.com", false},
    {"WildcardOtherDomain", "*.example.com", "mx.example.net", false},
    {"WildcardLabelBoundary", "*.example.com", "mxexample.com", false},
    {"WildcardSuffixTrick", "*.example.com", "mx.badexample.com", false},
    {"WildcardEmptyLabel", "*.example.com", ".example.com", false},
    {"WildcardOverSingleLabelParent", "*.com", "example.com", true},
    {"WildcardTwoLabelHostUnderTld", "*.com", "mx.example.com", false},

    // "*" anywhere else matches nothing.
    {"BareStar", "*", "example.com", false},
    {"BareStarSingleLabelHost", "*", "localhost", false},
    {"StarDot", "*.", "example.com", false},
    {"StarJoinedToName", "*example.com", "mail.example.com", false},
    {"StarJoinedToNameVsParent", "*example.com", "example.com", false},
    {"StarJoinedLiteralHost", "*example.com", "*example.com", false},
    {"StarInsideFirstLabel", "mx*.example.com", "mx1.example.com", false},
    {"WildcardInMiddle", "mail.*.example.com", "mail.x.example.com", false},
    {"WildcardInMiddleLiteralHost", "mail.*.example.com", "mail.*.example.com",
     false},
    {"TwoWildcards", "*.*.example.com", "a.b.example.com", false},
    {"TwoWildcardsOneLabel", "*.*.example.com", "a.example.com", false},
    {"WildcardLastLabel", "mail.example.*", "mail.example.com", false},

    // IDN: A-labels compare as ASCII; U-labels are not converted.
    {"IdnALabelExact", "xn--bcher-kva.example", "xn--bcher-kva.example", true},
    {"IdnALabelCase", "XN--BCHER-KVA.example", "xn--bcher-kva.EXAMPLE", true},
    {"IdnALabelWildcard", "*.xn--bcher-kva.example", "mx.xn--bcher-kva.example",
     true},
    {"IdnALabelHostUnderWildcard", "*.example.com", "xn--mx-xja.example.com",
     true},
    {"ULabelPatternVsALabelHost",
     "b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example", false},
    {"ULabelCaseNotFolded",
     "B\xc3\x9c"
     "CHER.example",
     "b\xc3\xbc"
     "cher.example",
     false},

    // Degenerate inputs.
    {"EmptyPattern", "", "mail.example.com", false},
    {"EmptyHost", "mail.example.com", "", false},
    {"BothEmpty", "", "", false},
    {"OnlyDots", ".", ".", false},
    {"IpLiteralComparedAsText", "192.0.2.25", "192.0.2.25", true},
};

class MxPatternMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(MxPatternMatchTest, Matches) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(MxPatternMatches(c.pattern, c.host), c.matches);
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, MxPatternMatchTest,
                         ::testing::ValuesIn(kMatchCases),
                         [](const ::testing::TestParamInfo<MatchCase>& info) {
                           return info.param.name;
                         });

// --- CheckMxPattern: RFC 8461 §3.2 syntax ---

struct SyntaxCase {
  std::string name;
  std::string pattern;
  MxPatternDefect defect;
  bool grammatical;
};

void PrintTo(const SyntaxCase& c, std::ostream* os) { *os << c.name; }

using D = MxPatternDefect;
const SyntaxCase kSyntaxCases[] = {
    {"HostName", "mail.example.com", D::kNone, true},
    {"Wildcard", "*.example.com", D::kNone, true},
    {"ALabel", "xn--bcher-kva.example", D::kNone, true},
    {"UpperCase", "MAIL.EXAMPLE.COM", D::kNone, true},
    {"SingleLabel", "localhost", D::kNone, true},
    {"DigitsAndHyphens", "mx-01.a1.example", D::kNone, true},
    {"Label63", std::string(63, 'a') + ".example", D::kNone, true},
    {"Empty", "", D::kEmpty, false},
    {"ULabel",
     "b\xc3\xbc"
     "cher.example",
     D::kNonAscii, false},
    {"Ipv4", "192.0.2.25", D::kIpLiteral, true},
    {"Ipv4TrailingDot", "192.0.2.25.", D::kIpLiteral, false},
    {"Ipv4Bracketed", "[192.0.2.25]", D::kIpLiteral, false},
    {"Ipv6", "2001:db8::25", D::kIpLiteral, false},
    {"Ipv6Bracketed", "[2001:db8::25]", D::kIpLiteral, false},
    {"NotAQuad", "192.0.2", D::kNone, true},
    {"BareStar", "*", D::kWildcard, false},
    {"StarDot", "*.", D::kWildcard, false},
    {"StarJoined", "*example.com", D::kWildcard, false},
    {"StarInFirstLabel", "mx*.example.com", D::kWildcard, false},
    {"StarInMiddle", "mail.*.example.com", D::kWildcard, false},
    {"TwoStars", "*.*.example.com", D::kWildcard, false},
    {"TrailingDot", "mail.example.com.", D::kTrailingDot, false},
    {"WildcardTrailingDot", "*.example.com.", D::kTrailingDot, false},
    {"OnlyDot", ".", D::kSyntax, false},
    {"LeadingDot", ".example.com", D::kSyntax, false},
    {"EmptyLabel", "mail..example.com", D::kSyntax, false},
    {"Underscore", "mx_1.example.com", D::kSyntax, false},
    {"LeadingHyphen", "-mx.example.com", D::kSyntax, false},
    {"TrailingHyphen", "mx-.example.com", D::kSyntax, false},
    {"Label64", std::string(64, 'a') + ".example", D::kSyntax, false},
    {"Name254",
     std::string(250, 'a')
             .replace(60, 1, ".")
             .replace(120, 1, ".")
             .replace(180, 1, ".") +
         ".com",
     D::kSyntax, false},
    {"SpaceSeparated", "mx1.example.com mx2.example.com", D::kSyntax, false},
    {"CommaSeparated", "mx1.example.com,mx2.example.com", D::kSyntax, false},
    {"Url", "https://mail.example.com", D::kSyntax, false},
    {"HostAndPort", "mail.example.com:25", D::kSyntax, false},
};

class MxPatternSyntaxTest : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(MxPatternSyntaxTest, Checks) {
  const SyntaxCase& c = GetParam();
  const MxPatternCheck check = CheckMxPattern(c.pattern);
  EXPECT_EQ(static_cast<int>(check.defect), static_cast<int>(c.defect))
      << check.problem;
  EXPECT_EQ(check.grammatical, c.grammatical);
  EXPECT_EQ(check.problem.empty(), c.defect == D::kNone) << check.problem;
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, MxPatternSyntaxTest,
                         ::testing::ValuesIn(kSyntaxCases),
                         [](const ::testing::TestParamInfo<SyntaxCase>& info) {
                           return info.param.name;
                         });

TEST(MxPatternSyntaxDetailTest, ProblemsNameThePlace) {
  EXPECT_THAT(CheckMxPattern("mail.*.example.com").problem,
              HasSubstr("in its second label"));
  EXPECT_THAT(CheckMxPattern("a.b.c.d.e.f.g.h.i.*.example").problem,
              HasSubstr("in label 10"));
  EXPECT_THAT(CheckMxPattern("mx_1.example.com").problem,
              HasSubstr("an underscore"));
  EXPECT_THAT(CheckMxPattern("mx-.example.com").problem,
              HasSubstr("its first label begins or ends with a hyphen"));
}

// --- JudgeMxMatch ---

constexpr v1::PolicyMode kEnforce = v1::POLICY_MODE_ENFORCE;
constexpr v1::PolicyMode kTesting = v1::POLICY_MODE_TESTING;
constexpr v1::PolicyMode kNone = v1::POLICY_MODE_NONE;
using Codes = std::set<v1::FindingCode>;

struct JudgeCase {
  std::string name;
  std::vector<std::string> patterns;
  v1::PolicyMode mode;
  std::vector<net::MxRecord> hosts;
  bool null_mx;
  v1::CheckStatus status;
  double fraction;
  Codes codes;
  // Evidence: host -> matched pattern ("" when none), for every host.
  std::map<std::string, std::string> matched;
};

void PrintTo(const JudgeCase& c, std::ostream* os) { *os << c.name; }

std::vector<net::MxRecord> Hosts(int n, const std::string& parent) {
  std::vector<net::MxRecord> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        {static_cast<uint16_t>(10 * i), absl::StrCat("mx", i, ".", parent)});
  }
  return out;
}
std::map<std::string, std::string> Unmatched(int n, const std::string& parent) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < n; ++i) out[absl::StrCat("mx", i, ".", parent)] = "";
  return out;
}

const JudgeCase kJudgeCases[] = {
    {"AllCoveredExactly",
     {"mx1.example.com", "mx2.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "mx2.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"},
      {"mx2.example.com", "mx2.example.com"}}},
    {"AllCoveredByWildcard",
     {"*.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "mx2.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "*.example.com"},
      {"mx2.example.com", "*.example.com"}}},
    {"ExactPatternPreferredOverWildcard",
     {"*.example.com", "mx1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "mx2.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"},
      {"mx2.example.com", "*.example.com"}}},
    {"HostCaseAndTrailingDotIgnored",
     {"MX1.example.com."},
     kEnforce,
     {{10, "mx1.EXAMPLE.com."}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "MX1.example.com."}}},
    {"RepeatedHostCountsOnce",
     {"mx1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "MX1.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"OneOfTwoUnmatchedUnderEnforce",
     {"mx1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "backup.example.net"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0.5,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx1.example.com", "mx1.example.com"}, {"backup.example.net", ""}}},
    {"OneOfFourUnmatchedUnderEnforce",
     {"*.example.com"},
     kEnforce,
     {{10, "mx0.example.com"},
      {10, "mx1.example.com"},
      {20, "mx2.example.com"},
      {30, "mx.other.example"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0.75,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx0.example.com", "*.example.com"},
      {"mx1.example.com", "*.example.com"},
      {"mx2.example.com", "*.example.com"},
      {"mx.other.example", ""}}},
    {"NoneMatchedUnderEnforce",
     {"mail.example.com"},
     kEnforce,
     {{10, "mx1.provider.example"}, {20, "mx2.provider.example"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0,
     {v1::MX_MATCH_HOST_UNMATCHED, v1::MX_MATCH_STALE_PATTERN},
     {{"mx1.provider.example", ""}, {"mx2.provider.example", ""}}},
    {"UnmatchedUnderTesting",
     {"mx1.example.com"},
     kTesting,
     {{10, "mx1.example.com"}, {20, "mx2.example.com"}},
     false,
     v1::CHECK_STATUS_WARN,
     0.5,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx1.example.com", "mx1.example.com"}, {"mx2.example.com", ""}}},
    {"NoneMatchedUnderTesting",
     {"old.example.com"},
     kTesting,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_WARN,
     0,
     {v1::MX_MATCH_HOST_UNMATCHED, v1::MX_MATCH_STALE_PATTERN},
     {{"mx1.example.com", ""}}},
    {"UnmatchedUnderNone",
     {"mx1.example.com"},
     kNone,
     {{10, "mx1.example.com"}, {20, "mx2.example.com"}},
     false,
     v1::CHECK_STATUS_WARN,
     0.5,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx1.example.com", "mx1.example.com"}, {"mx2.example.com", ""}}},
    {"AllCoveredUnderNone",
     {"*.example.com"},
     kNone,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "*.example.com"}}},
    {"AllCoveredUnderTesting",
     {"mx1.example.com"},
     kTesting,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"StalePatternBesideFullCoverage",
     {"mx1.example.com", "old-mx.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_WARN,
     1,
     {v1::MX_MATCH_ALL_COVERED, v1::MX_MATCH_STALE_PATTERN},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"RepeatedPatternIsNotStale",
     {"mx1.example.com", "MX1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"WildcardDoesNotCoverParent",
     {"*.example.com"},
     kEnforce,
     {{10, "example.com"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0,
     {v1::MX_MATCH_HOST_UNMATCHED, v1::MX_MATCH_STALE_PATTERN},
     {{"example.com", ""}}},
    {"WildcardDoesNotCoverTwoLabels",
     {"*.example.com", "mx1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}, {20, "a.b.example.com"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0.5,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx1.example.com", "mx1.example.com"}, {"a.b.example.com", ""}}},
    {"InvalidPatternMatchesNothing",
     {"mail.*.example.com", "mx1.example.com"},
     kEnforce,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_WARN,
     1,
     {v1::MX_MATCH_ALL_COVERED, v1::MX_MATCH_STALE_PATTERN},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"EnforceWithoutPatterns",
     {},
     kEnforce,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_FAIL,
     0,
     {v1::MX_MATCH_HOST_UNMATCHED},
     {{"mx1.example.com", ""}}},
    {"NullMx",
     {"mail.example.com"},
     kEnforce,
     {},
     true,
     v1::CHECK_STATUS_SKIPPED,
     0,
     {v1::MX_MATCH_NULL_MX},
     {}},
    {"NullMxGivenAsEmptyHost",
     {},
     kNone,
     {{0, ""}},
     false,
     v1::CHECK_STATUS_SKIPPED,
     0,
     {v1::MX_MATCH_NULL_MX},
     {}},
    {"NullMxMixedWithHosts",
     {"mx1.example.com"},
     kEnforce,
     {{0, ""}, {10, "mx1.example.com"}},
     true,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_ALL_COVERED},
     {{"mx1.example.com", "mx1.example.com"}}},
    {"NoMxDomainItselfMatched",
     {"example.com"},
     kEnforce,
     {},
     false,
     v1::CHECK_STATUS_PASS,
     1,
     {v1::MX_MATCH_IMPLICIT_MX, v1::MX_MATCH_ALL_COVERED},
     {}},
    {"NoMxDomainItselfUnmatched",
     {"mail.example.com"},
     kEnforce,
     {},
     false,
     v1::CHECK_STATUS_FAIL,
     0,
     {v1::MX_MATCH_IMPLICIT_MX, v1::MX_MATCH_HOST_UNMATCHED,
      v1::MX_MATCH_STALE_PATTERN},
     {}},
    {"NoMxWildcardDoesNotCoverDomain",
     {"*.example.com"},
     kTesting,
     {},
     false,
     v1::CHECK_STATUS_WARN,
     0,
     {v1::MX_MATCH_IMPLICIT_MX, v1::MX_MATCH_HOST_UNMATCHED,
      v1::MX_MATCH_STALE_PATTERN},
     {}},
    {"NoValidPolicy",
     {"mx1.example.com"},
     v1::POLICY_MODE_UNSPECIFIED,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_SKIPPED,
     0,
     {},
     {{"mx1.example.com", ""}}},
    {"ModeNoneWithoutPatterns",
     {},
     kNone,
     {{10, "mx1.example.com"}},
     false,
     v1::CHECK_STATUS_SKIPPED,
     0,
     {v1::MX_MATCH_NO_PATTERNS},
     {{"mx1.example.com", ""}}},
    {"ManyUnmatchedHosts",
     {"mail.example.com"},
     kEnforce,
     Hosts(20, "provider.example"),
     false,
     v1::CHECK_STATUS_FAIL,
     0,
     {v1::MX_MATCH_HOST_UNMATCHED, v1::MX_MATCH_STALE_PATTERN},
     Unmatched(20, "provider.example")},
};

std::string Describe(const CheckVerdict& v) {
  std::string out = absl::StrCat("summary: ", v.summary, "\n");
  for (const v1::Finding& f : v.findings) {
    absl::StrAppend(&out, "  ", v1::FindingCode_Name(f.code()), " (",
                    v1::Severity_Name(f.severity()), ", ", f.subject(),
                    "): ", f.detail(), "\n");
  }
  return out;
}
std::vector<const v1::Finding*> AllWith(const CheckVerdict& v,
                                        v1::FindingCode code) {
  std::vector<const v1::Finding*> out;
  for (const v1::Finding& f : v.findings) {
    if (f.code() == code) out.push_back(&f);
  }
  return out;
}

class MxMatchJudgeTest : public ::testing::TestWithParam<JudgeCase> {};

TEST_P(MxMatchJudgeTest, Judges) {
  const JudgeCase& c = GetParam();
  MxHostSet mx;
  mx.domain = "example.com";
  mx.hosts = c.hosts;
  mx.null_mx = c.null_mx;
  v1::Evidence evidence;
  const CheckVerdict v = JudgeMxMatch(c.patterns, c.mode, mx, &evidence);

  EXPECT_EQ(v1::CheckStatus_Name(v.status), v1::CheckStatus_Name(c.status))
      << Describe(v);
  EXPECT_DOUBLE_EQ(v.fraction, c.fraction);
  EXPECT_EQ(testing::CodeNames(v.findings), testing::CodeNames(c.codes)) << Describe(v);

  // Evidence: one entry per MX host, with its pattern.
  std::map<std::string, std::string> matched;
  for (const v1::MxHost& h : evidence.mx_hosts()) {
    EXPECT_TRUE(matched.emplace(h.name(), h.matched_pattern()).second);
  }
  EXPECT_EQ(matched, c.matched);

  // Unmatched hosts: one finding each (bounded), about the host, severity by
  // mode.
  const v1::Severity expected_severity =
      c.mode == kEnforce   ? v1::SEVERITY_CRITICAL
      : c.mode == kTesting ? v1::SEVERITY_HIGH
                           : v1::SEVERITY_LOW;
  for (const v1::Finding* f : AllWith(v, v1::MX_MATCH_HOST_UNMATCHED)) {
    EXPECT_EQ(f->severity(), expected_severity);
    EXPECT_FALSE(f->subject().empty());
  }
  EXPECT_LE(AllWith(v, v1::MX_MATCH_HOST_UNMATCHED).size(),
            kMaxUnmatchedHostFindings + 1);

  for (size_t i = 0; i < v.findings.size(); ++i) {
    EXPECT_FALSE(v.findings[i].title().empty());
    EXPECT_FALSE(v.findings[i].detail().empty());
    if (i > 0) {
      EXPECT_GE(v.findings[i - 1].severity(), v.findings[i].severity());
    }
  }
  ASSERT_FALSE(v.summary.empty());
  EXPECT_EQ(v.summary.back(), '.');
  EXPECT_EQ(v.summary.find(". "), std::string::npos) << v.summary;
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, MxMatchJudgeTest,
                         ::testing::ValuesIn(kJudgeCases),
                         [](const ::testing::TestParamInfo<JudgeCase>& info) {
                           return info.param.name;
                         });

// --- Evidence and details ---

TEST(MxMatchEvidenceTest, UpdatesExistingEntriesByNameAndKeepsTheirFields) {
  v1::Evidence evidence;
  v1::MxHost* existing = evidence.add_mx_hosts();
  existing->set_name("MX1.example.com.");
  existing->set_preference(10);
  existing->add_addresses("192.0.2.1");
  existing->set_matched_pattern("stale");
  MxHostSet mx{
      "example.com", {{10, "mx1.example.com"}, {20, "mx2.example.com"}}, false};
  JudgeMxMatch({"mx2.example.com"}, kEnforce, mx, &evidence);
  ASSERT_EQ(evidence.mx_hosts_size(), 2);
  EXPECT_EQ(evidence.mx_hosts(0).name(), "MX1.example.com.");
  EXPECT_EQ(evidence.mx_hosts(0).matched_pattern(), "");
  EXPECT_EQ(evidence.mx_hosts(0).addresses(0), "192.0.2.1");
  EXPECT_EQ(evidence.mx_hosts(1).name(), "mx2.example.com");
  EXPECT_EQ(evidence.mx_hosts(1).preference(), 20u);
  EXPECT_EQ(evidence.mx_hosts(1).matched_pattern(), "mx2.example.com");
}

TEST(MxMatchEvidenceTest, NullEvidenceIsAllowed) {
  MxHostSet mx{"example.com", {{10, "mx1.example.com"}}, false};
  EXPECT_EQ(JudgeMxMatch({"mx1.example.com"}, kEnforce, mx, nullptr).status,
            v1::CHECK_STATUS_PASS);
}

CheckVerdict Judge(std::vector<std::string> patterns, v1::PolicyMode mode,
                   std::vector<net::MxRecord> hosts, bool null_mx = false) {
  MxHostSet mx{"example.com", std::move(hosts), null_mx};
  return JudgeMxMatch(patterns, mode, mx, nullptr);
}

TEST(MxMatchDetailTest, UnmatchedHostSaysWhatSendersDo) {
  const CheckVerdict some =
      Judge({"mx1.example.com"}, kEnforce,
            {{10, "mx1.example.com"}, {20, "mx2.example.com"}});
  const v1::Finding& f = *AllWith(some, v1::MX_MATCH_HOST_UNMATCHED)[0];
  EXPECT_EQ(f.subject(), "mx2.example.com");
  EXPECT_EQ(f.tlsrpt_result_type(), "validation-failure");
  EXPECT_THAT(f.detail(),
              AllOf(HasSubstr("mx2.example.com (preference 20)"),
                    HasSubstr("the policy's patterns are \"mx1.example.com\""),
                    HasSubstr("skip it and deliver only to the MX hosts that "
                              "match")));
  EXPECT_EQ(some.summary,
            "1 of the 2 MX hosts of example.com matches no mx pattern, so "
            "under mode enforce compliant senders will not deliver to it.");

  const CheckVerdict all =
      Judge({"old.example.com"}, kEnforce, {{10, "mx1.example.com"}});
  EXPECT_THAT(AllWith(all, v1::MX_MATCH_HOST_UNMATCHED)[0]->detail(),
              HasSubstr("deliver no mail to the domain"));
  EXPECT_EQ(all.summary,
            "The one MX host of example.com matches no mx pattern, so under "
            "mode enforce compliant senders will not deliver the domain's "
            "mail.");

  const CheckVerdict testing =
      Judge({"old.example.com"}, kTesting, {{10, "mx1.example.com"}});
  EXPECT_THAT(AllWith(testing, v1::MX_MATCH_HOST_UNMATCHED)[0]->detail(),
              HasSubstr("still deliver to it but report a failure"));
}

TEST(MxMatchDetailTest, NearMissesAreExplained) {
  auto detail = [](std::vector<std::string> patterns, std::string host) {
    const CheckVerdict v =
        Judge(std::move(patterns), kEnforce, {{10, std::move(host)}});
    return AllWith(v, v1::MX_MATCH_HOST_UNMATCHED)[0]->detail();
  };
  EXPECT_THAT(detail({"*.example.com"}, "example.com"),
              HasSubstr("A wildcard never covers its parent"));
  EXPECT_THAT(detail({"*.example.com"}, "a.b.example.com"),
              HasSubstr("A wildcard stands for exactly one label"));
  EXPECT_THAT(detail({"mail.*.example.com"}, "mail.x.example.com"),
              HasSubstr("is not valid (it has \"*\" in its second label"));
}

TEST(MxMatchDetailTest, StalePatternsAreListedOnce) {
  const CheckVerdict v = Judge({"mx1.example.com", "old1.example.com",
                                "old2.example.com", "OLD1.example.com."},
                               kEnforce, {{10, "mx1.example.com"}});
  const std::vector<const v1::Finding*> stale =
      AllWith(v, v1::MX_MATCH_STALE_PATTERN);
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0]->severity(), v1::SEVERITY_LOW);
  EXPECT_THAT(stale[0]->detail(),
              HasSubstr("The patterns \"old1.example.com\", "
                        "\"old2.example.com\" match none of the MX hosts"));
  EXPECT_EQ(v.summary,
            "The one MX host of example.com matches the policy's mx patterns, "
            "but 2 patterns match no MX host.");
}

TEST(MxMatchDetailTest, ManyUnmatchedHostsAreCounted) {
  const CheckVerdict v =
      Judge({"mail.example.com"}, kEnforce, Hosts(40, "provider.example"));
  const std::vector<const v1::Finding*> unmatched =
      AllWith(v, v1::MX_MATCH_HOST_UNMATCHED);
  ASSERT_EQ(unmatched.size(), kMaxUnmatchedHostFindings + 1);
  EXPECT_THAT(unmatched.back()->detail(),
              HasSubstr("24 more MX hosts match no mx pattern"));
  EXPECT_THAT(v.summary, HasSubstr("None of the 40 MX hosts"));
}

TEST(MxMatchDetailTest, NullAndAbsentMxAreExplained) {
  const CheckVerdict null_mx = Judge({"mail.example.com"}, kEnforce, {}, true);
  EXPECT_EQ(null_mx.summary,
            "example.com publishes a null MX and accepts no mail, so there "
            "are no MX hosts to match.");
  EXPECT_THAT(null_mx.findings[0].detail(),
              HasSubstr("the policy's 1 mx pattern has nothing to cover"));
  const CheckVerdict no_mx = Judge({"example.com"}, kEnforce, {});
  EXPECT_EQ(no_mx.summary,
            "The implicit MX host example.com matches the policy's mx "
            "patterns.");
}

TEST(MxMatchDetailTest, NoPolicyMeansNoFindings) {
  const CheckVerdict v = Judge({"mx1.example.com"}, v1::POLICY_MODE_UNSPECIFIED,
                               {{10, "mx1.example.com"}});
  EXPECT_EQ(v.status, v1::CHECK_STATUS_SKIPPED);
  EXPECT_THAT(v.findings, IsEmpty());
}

}  // namespace
}  // namespace mtasts::checks

#include "checks/txt/sts_record.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checks/txt_judge_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {
namespace {

using net::DnsOutcome;
using test_util::FindingWith;
using test_util::Txt;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kName[] = "_mta-sts.example.com";

std::vector<Txt> Repeat(const Txt& txt, int n) {
  return std::vector<Txt>(n, txt);
}
std::vector<Txt> Concat(std::vector<Txt> a, const std::vector<Txt>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// expected: the evidence's sts_id ("" when none).
using StsCase = test_util::TxtCase<std::string>;

const std::string k32(32, 'a');
const std::string k33(33, 'a');

const StsCase kCases[] = {
    // --- RFC 8461 examples and plain valid records ---
    {"RfcExample",
     {"v=STSv1; id=20160831085700Z;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "20160831085700Z"},
    {"NoTrailingSemicolon",
     {"v=STSv1; id=20160831085700Z"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "20160831085700Z"},
    {"NoSpaceAfterSemicolon",
     {"v=STSv1;id=abc123"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "abc123"},
    {"TrailingSemicolonThenSpaces",
     {"v=STSv1; id=abc;   "},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "abc"},
    {"SpacesAndTabsAroundSemicolons",
     {"v=STSv1;  \tid=abc \t;\t "},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "abc"},
    {"OneCharacterId",
     {"v=STSv1; id=a;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "a"},
    {"Id32Characters",
     {Txt("v=STSv1; id=" + k32 + ";")},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     k32},
    {"MultiStringRecordJoinedWithoutSpaces",
     {test_util::Strings({"v=STSv1; id=2016", "0831085700Z;"})},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "20160831085700Z"},
    {"MultiStringSplitInsideVersion",
     {test_util::Strings({"v=STS", "v1; id=1;"})},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID},
     "1"},

    // --- Other TXT records beside the STS record ---
    {"SpfBesideStsRecord",
     {"v=spf1 -all", "v=STSv1; id=1;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_IGNORED_RECORD},
     "1"},
    {"SeveralUnrelatedRecords",
     {"google-site-verification=abc", "v=STSv1; id=2;", "v=spf1 -all"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_IGNORED_RECORD},
     "2"},
    {"NonAsciiInUnrelatedRecord",
     {"caf\xc3\xa9 \x01", "v=STSv1; id=3;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_IGNORED_RECORD},
     "3"},
    {"OnlyUnrelatedRecords",
     {"v=spf1 -all"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_IGNORED_RECORD, v1::TXT_MISSING},
     ""},
    {"ManyRecordsBesideValid",
     Concat(Repeat("v=spf1 -all", 100), {"v=STSv1; id=4;"}),
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_IGNORED_RECORD},
     "4"},
    {"SecondStsRecordBeyondExaminedRecords",
     Concat(Concat({"v=STSv1; id=5;"}, Repeat("x", 80)), {"v=STSv1; id=6;"}),
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MULTIPLE_RECORDS, v1::TXT_IGNORED_RECORD},
     ""},

    // --- Version: exact, case-sensitive, first ---
    {"VersionCapitalV",
     {"V=STSv1; id=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_VERSION_MISCASED, v1::TXT_MISSING},
     ""},
    {"VersionLowerCase",
     {"v=stsv1; id=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_VERSION_MISCASED, v1::TXT_MISSING},
     ""},
    {"VersionUpperCase",
     {"v=STSV1; id=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_VERSION_MISCASED, v1::TXT_MISSING},
     ""},
    {"MiscasedBesideValid",
     {"v=STSv1; id=1;", "V=STSv1; id=2;"},
     v1::CHECK_STATUS_WARN,
     {v1::TXT_VALID, v1::TXT_VERSION_MISCASED},
     "1"},
    {"VersionNotFirst",
     {"id=123; v=STSv1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_VERSION_NOT_FIRST, v1::TXT_MISSING},
     ""},
    {"LeadingSpaceBeforeVersion",
     {" v=STSv1; id=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_VERSION_NOT_FIRST, v1::TXT_MISSING},
     ""},
    {"VersionWithSpacesAroundEquals",
     {"v = STSv1; id=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SPACE_AROUND_EQUALS, v1::TXT_MISSING},
     ""},
    // RFC 8461 §3.1: "Records that do not begin with "v=STSv1;" are
    // discarded" — before counting, so another version is no record at all,
    // and neither is v=STSv1 without its ";" right after it.
    {"VersionTenIsNotVersionOne",
     {"v=STSv10; id=1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_IGNORED_RECORD, v1::TXT_MISSING},
     ""},
    {"VersionTenBesideVersionOneIsNotCounted",
     {"v=STSv10; id=1;", "v=STSv1; id=2;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_IGNORED_RECORD},
     "2"},
    {"SpaceInsteadOfSemicolon",
     {"v=STSv1 id=1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING, v1::TXT_SYNTAX_ERROR},
     ""},
    {"SpaceBeforeFirstSemicolon",
     {"v=STSv1 ; id=abc;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING, v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON},
     ""},
    {"SpaceBeforeFirstSemicolonBesideAGoodRecord",
     {"v=STSv1 ; id=abc;", "v=STSv1; id=def;"},
     v1::CHECK_STATUS_WARN,
     {v1::TXT_VALID, v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON},
     "def"},

    // --- More than one v=STSv1 record ---
    {"TwoStsRecords",
     {"v=STSv1; id=1;", "v=STSv1; id=2;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MULTIPLE_RECORDS},
     ""},
    {"TwoIdenticalStsRecords",
     {"v=STSv1; id=1;", "v=STSv1; id=1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MULTIPLE_RECORDS},
     ""},
    {"TwoStsRecordsOneInvalid",
     {"v=STSv1; id=1;", "v=STSv1; id=bad-id;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MULTIPLE_RECORDS},
     ""},

    // --- id ---
    {"Id33Characters",
     {Txt("v=STSv1; id=" + k33 + ";")},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID},
     ""},
    {"IdWithHyphen",
     {"v=STSv1; id=2024-01-31;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID},
     ""},
    {"IdWithPlus",
     {"v=STSv1; id=2024+1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID},
     ""},
    {"IdWithDotAndColon",
     {"v=STSv1; id=2024.01:00;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID},
     ""},
    {"IdWithInnerSpace",
     {"v=STSv1; id=12 34;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID},
     ""},
    {"IdEmpty",
     {"v=STSv1; id=;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"IdMissing",
     {"v=STSv1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_MISSING},
     ""},
    {"VersionOnly",
     {"v=STSv1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING, v1::TXT_SYNTAX_ERROR},
     ""},
    {"IdNameUpperCase",
     {"v=STSv1; ID=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_UNKNOWN_FIELD, v1::TXT_ID_MISSING},
     ""},
    {"IdDuplicatedKeepsFirst",
     {"v=STSv1; id=first1; id=second2;"},
     v1::CHECK_STATUS_WARN,
     {v1::TXT_VALID, v1::TXT_ID_DUPLICATED},
     "first1"},
    {"IdDuplicatedFirstInvalid",
     {"v=STSv1; id=bad-one; id=good;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_ID_INVALID, v1::TXT_ID_DUPLICATED},
     ""},

    // --- Whitespace around "=" ---
    {"SpacesAroundEquals",
     {"v=STSv1; id = 123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SPACE_AROUND_EQUALS},
     ""},
    {"SpaceAfterEquals",
     {"v=STSv1; id= 123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SPACE_AROUND_EQUALS},
     ""},
    {"TabBeforeEquals",
     {"v=STSv1; id\t=123;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SPACE_AROUND_EQUALS},
     ""},

    // --- Extension fields ---
    {"UnknownExtension",
     {"v=STSv1; id=1; foo=bar;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_UNKNOWN_FIELD},
     "1"},
    {"ExtensionValueWithColonAndSlash",
     {"v=STSv1; id=1; ext=a:b/c~d;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_UNKNOWN_FIELD},
     "1"},
    {"ExtensionNamePunctuation",
     {"v=STSv1; x_y-z.w=1; id=1"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_UNKNOWN_FIELD},
     "1"},
    {"ExtensionName33Characters",
     {Txt("v=STSv1; id=1; " + k33 + "=x;")},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"ExtensionNameStartsWithUnderscore",
     {"v=STSv1; id=1; _x=1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"ExtensionEmptyValue",
     {"v=STSv1; id=1; foo=;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"ExtensionValueWithEquals",
     {"v=STSv1; id=1; foo=a=b;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"DuplicateExtensionField",
     {"v=STSv1; id=1; foo=a; foo=b;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_UNKNOWN_FIELD},
     "1"},

    // --- Structure ---
    {"FieldWithoutEquals",
     {"v=STSv1; id=1; foo;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"EmptyFieldBetweenSemicolons",
     {"v=STSv1;; id=1;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"TwoTrailingSemicolons",
     {"v=STSv1; id=1;;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"EmptyFieldName",
     {"v=STSv1; id=1; =x;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"TrailingSpaceWithoutSemicolon",
     {"v=STSv1; id=1 "},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"ManyEmptyFields",
     {Txt("v=STSv1; id=1" + std::string(200, ';') + " ")},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},

    // --- Characters ---
    {"NonAsciiInId",
     {"v=STSv1; id=caf\xc3\xa9;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"ControlCharacter",
     {"v=STSv1; id=1\x01;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"NulByte",
     {Txt(std::string("v=STSv1; id=1\0;", 16))},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"InvalidUtf8",
     {"v=STSv1; id=1; x=\xff\xfe;"},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},
    {"OversizedRecord",
     {Txt("v=STSv1; id=1; x=" + std::string(kMaxStsRecordBytes, 'a'))},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_SYNTAX_ERROR},
     ""},

    // --- DNS outcomes: absence is not failure ---
    {"NxDomain",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING},
     "",
     DnsOutcome::kNxDomain},
    {"NoData",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING},
     "",
     DnsOutcome::kNoData},
    {"AnswerWithoutRecords",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING},
     "",
     DnsOutcome::kAnswer},
    {"ServFail",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_LOOKUP_FAILED},
     "",
     DnsOutcome::kServFail},
    {"Refused",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_LOOKUP_FAILED},
     "",
     DnsOutcome::kRefused},
    {"Timeout",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_LOOKUP_FAILED},
     "",
     DnsOutcome::kTimeout},
    {"OtherError",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_LOOKUP_FAILED},
     "",
     DnsOutcome::kError},
    {"Cancelled",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {},
     "",
     DnsOutcome::kCancelled},
    // Our resolver down says nothing about the domain: no verdict, no points.
    {"ResolverUnreachable",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {v1::RESOLVER_UNREACHABLE},
     "",
     DnsOutcome::kUnreachable},
    // Nor does our resolver overloaded (its own probe went unanswered too).
    {"ResolverOverloaded",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {v1::RESOLVER_OVERLOADED},
     "",
     DnsOutcome::kResolverOverloaded},

    // --- CNAME delegation (RFC 8461 §8.2) ---
    {"CnameToProvider",
     {"v=STSv1; id=p1;"},
     v1::CHECK_STATUS_PASS,
     {v1::TXT_VALID, v1::TXT_CNAME_FOLLOWED},
     "p1",
     DnsOutcome::kAnswer,
     {"_mta-sts.provider.example"}},
    {"CnameChainToNxDomain",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_MISSING, v1::TXT_CNAME_FOLLOWED},
     "",
     DnsOutcome::kNxDomain,
     {"a.provider.example", "b.provider.example"}},
    {"CnameThenServFail",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TXT_LOOKUP_FAILED, v1::TXT_CNAME_FOLLOWED},
     "",
     DnsOutcome::kServFail,
     {"sts.provider.example"}},
};

class StsRecordTest : public ::testing::TestWithParam<StsCase> {};

TEST_P(StsRecordTest, Judges) {
  const StsCase& c = GetParam();
  const net::DnsResult lookup = c.Lookup(kName);
  v1::Evidence evidence;
  // Stale values are replaced.
  evidence.set_sts_id("stale");
  evidence.add_sts_records("stale");
  evidence.add_sts_cname_chain("stale");

  const CheckVerdict verdict = JudgeStsLookup(lookup, &evidence);

  test_util::ExpectCaseVerdict(c, verdict, kName);
  EXPECT_EQ(evidence.sts_id(), c.expected) << test_util::Describe(verdict);

  // Evidence: every record as joined (bounded), and the chain.
  test_util::ExpectRecordsKept(c.records, c.outcome, evidence.sts_records(),
                               kMaxStsRecordsExamined, kMaxStsRecordBytes);
  if (c.outcome != DnsOutcome::kCancelled && c.outcome != DnsOutcome::kUnreachable) {
    EXPECT_EQ(std::vector<std::string>(evidence.sts_cname_chain().begin(),
                                       evidence.sts_cname_chain().end()),
              c.cname_chain);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, StsRecordTest, ::testing::ValuesIn(kCases),
                         test_util::CaseName());

// --- What the details and summaries say ---

CheckVerdict Judge(const std::vector<Txt>& records,
                   DnsOutcome outcome = DnsOutcome::kAnswer) {
  return JudgeStsLookup(test_util::MakeTxtLookup(kName, outcome, records),
                        nullptr);
}

TEST(StsRecordDetailTest, AbsenceSaysWhichKind) {
  CheckVerdict nx = Judge({}, DnsOutcome::kNxDomain);
  EXPECT_THAT(nx.summary, HasSubstr("NXDOMAIN"));
  EXPECT_THAT(FindingWith(nx, v1::TXT_MISSING).detail(),
              HasSubstr("does not exist"));
  CheckVerdict nodata = Judge({}, DnsOutcome::kNoData);
  EXPECT_THAT(nodata.summary, HasSubstr("NODATA"));
  EXPECT_THAT(FindingWith(nodata, v1::TXT_MISSING).detail(),
              HasSubstr("no TXT record"));
}

TEST(StsRecordDetailTest, LookupFailureNamesTheOutcome) {
  for (DnsOutcome outcome : {DnsOutcome::kServFail, DnsOutcome::kRefused,
                             DnsOutcome::kTimeout, DnsOutcome::kError}) {
    net::DnsResult lookup;
    lookup.name = kName;
    lookup.type = net::RrType::kTxt;
    lookup.outcome = outcome;
    lookup.detail = "ns1.example.com: upstream said no";
    CheckVerdict v = JudgeStsLookup(lookup, nullptr);
    const std::string name = net::DnsOutcomeName(outcome);
    EXPECT_THAT(v.summary, AllOf(HasSubstr(name),
                                 ::testing::Not(HasSubstr("not published"))));
    EXPECT_THAT(FindingWith(v, v1::TXT_LOOKUP_FAILED).detail(),
                AllOf(HasSubstr(name), HasSubstr("upstream said no")));
  }
}

TEST(StsRecordDetailTest, InvalidIdDetailShowsIdAndProblem) {
  CheckVerdict v = Judge({"v=STSv1; id=2024-01;"});
  EXPECT_THAT(FindingWith(v, v1::TXT_ID_INVALID).detail(),
              AllOf(HasSubstr("\"2024-01\""), HasSubstr("\"-\""),
                    HasSubstr("position 5")));
  CheckVerdict long_id = Judge({"v=STSv1; id=" + k33});
  EXPECT_THAT(FindingWith(long_id, v1::TXT_ID_INVALID).detail(),
              HasSubstr("33 characters"));
}

TEST(StsRecordDetailTest, DuplicatedIdSaysFirstIsKept) {
  CheckVerdict v = Judge({"v=STSv1; id=aaa; id=bbb;"});
  EXPECT_THAT(FindingWith(v, v1::TXT_ID_DUPLICATED).detail(),
              AllOf(HasSubstr("the first, \"aaa\", is the one used"),
                    HasSubstr("\"bbb\" ignored")));
  EXPECT_EQ(v.fraction, 0.75);
}

TEST(StsRecordDetailTest, CnameSaysDelegation) {
  net::DnsResult lookup;
  lookup.name = kName;
  lookup.type = net::RrType::kTxt;
  lookup.outcome = DnsOutcome::kAnswer;
  lookup.cname_chain = {"_mta-sts.provider.example"};
  lookup.txt = {"v=STSv1; id=1;"};
  CheckVerdict v = JudgeStsLookup(lookup, nullptr);
  EXPECT_THAT(
      FindingWith(v, v1::TXT_CNAME_FOLLOWED).detail(),
      AllOf(HasSubstr("_mta-sts.example.com -> _mta-sts.provider.example"),
            HasSubstr("RFC 8461 \xc2\xa7"
                      "8.2")));
}

TEST(StsRecordDetailTest, NearMissIsHighAloneAndLowBesideValidRecord) {
  CheckVerdict alone = Judge({"V=STSv1; id=1;"});
  EXPECT_EQ(FindingWith(alone, v1::TXT_VERSION_MISCASED).severity(),
            v1::SEVERITY_HIGH);
  EXPECT_THAT(alone.summary, HasSubstr("exactly v=STSv1"));
  CheckVerdict beside = Judge({"V=STSv1; id=1;", "v=STSv1; id=2;"});
  EXPECT_EQ(FindingWith(beside, v1::TXT_VERSION_MISCASED).severity(),
            v1::SEVERITY_LOW);
  EXPECT_EQ(beside.status, v1::CHECK_STATUS_WARN);
}

TEST(StsRecordDetailTest, NotFirstSaysWhatPrecedesVersion) {
  CheckVerdict v = Judge({"id=1; v=STSv1"});
  EXPECT_THAT(FindingWith(v, v1::TXT_VERSION_NOT_FIRST).detail(),
              AllOf(HasSubstr("position 7"), HasSubstr("after \"id=1; \"")));
}

TEST(StsRecordDetailTest, HostileBytesAreEscapedInDetailsAndEvidence) {
  v1::Evidence evidence;
  net::DnsResult lookup;
  lookup.name = kName;
  lookup.type = net::RrType::kTxt;
  lookup.outcome = DnsOutcome::kAnswer;
  lookup.txt = {"v=STSv1; id=1\xff\x01;", "caf\xc3\xa9"};
  CheckVerdict v = JudgeStsLookup(lookup, &evidence);
  EXPECT_THAT(FindingWith(v, v1::TXT_SYNTAX_ERROR).detail(),
              AllOf(HasSubstr("\\xff"), HasSubstr("non-ASCII byte 0xff"),
                    HasSubstr("position 14")));
  // Evidence keeps valid UTF-8 as it is and escapes the rest, so the report
  // stays a valid proto3 message.
  ASSERT_EQ(evidence.sts_records_size(), 2);
  EXPECT_EQ(evidence.sts_records(0), "v=STSv1; id=1\\xff\\x01;");
  EXPECT_EQ(evidence.sts_records(1), "caf\xc3\xa9");
}

TEST(StsRecordDetailTest, ProblemsPerRecordAreBounded) {
  std::string record = "v=STSv1; id=1";
  for (int i = 0; i < 1000; ++i) record += "; =";
  CheckVerdict v = Judge({record});
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_LE(v.findings.size(), 10u);
  EXPECT_THAT(v.findings.back().detail(), HasSubstr("more problems"));
}

TEST(StsRecordDetailTest, ValidSummaryNamesTheId) {
  CheckVerdict v = Judge({"v=STSv1; id=20160831085700Z;"});
  EXPECT_EQ(v.summary,
            "One valid v=STSv1 record at _mta-sts.example.com, id "
            "20160831085700Z.");
}


TEST(NameTooLongTest, OverlongNameIsItsOwnFinding) {
  test_util::ExpectOverlongNameIsItsOwnFinding(
      "_mta-sts.", [](const net::DnsResult& r) { return JudgeStsLookup(r, nullptr); },
      v1::TXT_NAME_TOO_LONG);
}

}  // namespace
}  // namespace mtasts::checks

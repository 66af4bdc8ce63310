#include "checks/findings/finding.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const FindingInfo kRows[] = {
    {v1::TXT_MISSING, v1::SEVERITY_HIGH, "txt", "No record",
     "Senders see no policy.", "Publish the record.", ""},
    {v1::TXT_VALID, v1::SEVERITY_INFO, "txt", "Valid record", "All good.", "", ""},
};
constexpr FindingTable kTable("txt: test rows", kRows);

TEST(FindingTableTest, MakeFillsEveryFieldFromTheRow) {
  v1::Finding f = kTable.Make(v1::TXT_MISSING, "_mta-sts.example.com: NXDOMAIN",
                              "_mta-sts.example.com");
  EXPECT_EQ(f.code(), v1::TXT_MISSING);
  EXPECT_EQ(f.severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(f.title(), "No record");
  EXPECT_EQ(f.detail(), "_mta-sts.example.com: NXDOMAIN. Senders see no policy.");
  EXPECT_EQ(f.recommendation(), "Publish the record.");
  EXPECT_EQ(f.tlsrpt_result_type(), "");
  EXPECT_EQ(f.subject(), "_mta-sts.example.com");
}

TEST(FindingTableTest, ExplicitSeverityAndPunctuationAreKept) {
  v1::Finding f = kTable.Make(v1::TXT_MISSING, v1::SEVERITY_LOW, "Observed this!");
  EXPECT_EQ(f.severity(), v1::SEVERITY_LOW);
  EXPECT_THAT(f.detail(), StartsWith("Observed this! Senders"));
  EXPECT_EQ(f.subject(), "");
  // Without an observation the detail is the explanation alone.
  EXPECT_EQ(kTable.Make(v1::TXT_VALID, "").detail(), "All good.");
}

TEST(FindingTableTest, EngineCodesAreFoundThroughEveryTable) {
  const FindingInfo& info = kTable.Info(v1::CHECK_TIMED_OUT);
  EXPECT_EQ(info.code, v1::CHECK_TIMED_OUT);
  EXPECT_EQ(&info, &EngineFindings().Info(v1::CHECK_TIMED_OUT));
  EXPECT_EQ(kTable.Make(v1::RESOLVER_UNREACHABLE, "x").title(),
            EngineFindings().Info(v1::RESOLVER_UNREACHABLE).title);
}

TEST(FindingTableTest, AnotherTablesCodeGetsThePlaceholder) {
  // A check makes findings from its own rows only: a code it does not own
  // reads "Unknown finding", which its *_check_test and the doc test catch.
  const FindingInfo& info = kTable.Info(v1::POLICY_VALID);
  EXPECT_EQ(info.code, v1::FINDING_CODE_UNSPECIFIED);
  EXPECT_EQ(std::string(info.title), "Unknown finding");
  EXPECT_EQ(kTable.Info(static_cast<v1::FindingCode>(99999)).code,
            v1::FINDING_CODE_UNSPECIFIED);
}

TEST(FindingListTest, TakeSortsMostSevereFirstStably) {
  FindingList list(kTable, "subject");
  list.Add(v1::TXT_VALID, "first info");
  list.Add(v1::TXT_MISSING, "high");
  list.Add(v1::TXT_VALID, "second info");
  EXPECT_TRUE(list.Has(v1::TXT_MISSING));
  EXPECT_FALSE(list.Has(v1::TXT_IGNORED_RECORD));
  EXPECT_EQ(list.Worst(), v1::SEVERITY_HIGH);
  std::vector<v1::Finding> findings = std::move(list).Take();
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].code(), v1::TXT_MISSING);
  EXPECT_THAT(findings[1].detail(), StartsWith("first info"));
  EXPECT_THAT(findings[2].detail(), StartsWith("second info"));
  for (const auto& f : findings) EXPECT_EQ(f.subject(), "subject");
}

}  // namespace
}  // namespace mtasts::checks

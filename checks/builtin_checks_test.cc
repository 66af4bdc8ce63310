// The registry's checks, as the rest of the service sees them: names, report
// order, points, and finding rows that name their check.
#include "checks/registry.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

TEST(BuiltinChecksTest, BuiltinChecksInReportOrderWithTheirPoints) {
  const auto checks = BuiltinChecks();
  std::vector<std::pair<std::string, int>> got;
  for (const auto& check : checks) got.push_back({std::string(check->name()), check->default_weight()});
  const std::vector<std::pair<std::string, int>> want = {
      {"txt", 15},     {"policy_fetch", 15}, {"policy_content", 35}, {"mx_match", 10},
      {"mx_tls", 10},  {"tls_rpt", 10},      {"dnssec", 5},
  };
  EXPECT_EQ(got, want);
}

TEST(BuiltinChecksTest, OnlyMxTlsProbesTheMxHosts) {
  for (const auto& check : BuiltinChecks()) {
    EXPECT_EQ(check->probes_mx_hosts(), check->name() == "mx_tls") << check->name();
  }
}

TEST(BuiltinChecksTest, EveryFindingRowNamesItsCheck) {
  std::set<int> seen;
  for (const auto& check : BuiltinChecks()) {
    const FindingTable& table = check->findings();
    EXPECT_FALSE(table.rows().empty()) << check->name();
    for (const FindingInfo& row : table.rows()) {
      EXPECT_EQ(std::string(row.check), check->name())
          << v1::FindingCode_Name(row.code) << " in " << table.heading();
      EXPECT_TRUE(seen.insert(row.code).second)
          << v1::FindingCode_Name(row.code) << " is in two checks' tables";
    }
  }
}

TEST(BuiltinChecksTest, FindingTablesOfListsEngineMxThenEachCheck) {
  const auto checks = BuiltinChecks();
  const auto tables = FindingTablesOf(checks);
  ASSERT_EQ(tables.size(), checks.size() + 2);
  EXPECT_EQ(tables[0], &EngineFindings());
  for (size_t i = 0; i < checks.size(); ++i) {
    EXPECT_EQ(tables[i + 2], &checks[i]->findings()) << checks[i]->name();
  }
}

}  // namespace
}  // namespace mtasts::checks

// Adding a check takes one folder and one registry line: an eighth,
// test-only check, registered in a test registry, runs, is scored, is
// configurable and is listed in the report and the findings doc, with no
// change to engine/, checks/scoring/ or server/.
#include <memory>
#include <string>
#include <vector>

#include "checks/check.h"
#include "checks/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/integration/test_lab.h"
#include "tools/findings_doc.h"

namespace mtasts::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A code the API's enum does not have: proto3 enums are open, so a check
// added before its code is in findings.proto still reports it.
constexpr auto kSingleMx = static_cast<v1::FindingCode>(9001);
constexpr auto kRedundantMx = static_cast<v1::FindingCode>(9002);

const checks::FindingInfo kRows[] = {
    {kSingleMx, v1::SEVERITY_LOW, "mx_redundancy", "Only one MX host",
     "Mail waits in senders' queues whenever that host is down.",
     "Publish a second MX host.", ""},
    {kRedundantMx, v1::SEVERITY_INFO, "mx_redundancy", "Several MX hosts",
     "Senders can fall back to another host.", "", ""},
};

// The eighth check: reads the shared MX set, as a plugin would.
class MxRedundancyCheck : public checks::Check {
 public:
  std::string_view name() const override { return "mx_redundancy"; }
  int default_weight() const override { return 4; }
  const checks::FindingTable& findings() const override {
    static const auto* const kTable =
        new checks::FindingTable("mx_redundancy: a second MX host", kRows);
    return *kTable;
  }
  std::vector<checks::Input> inputs() const override { return {checks::Input::kMxSet}; }
  void AnnotateReport(v1::DomainReport* report) const override {
    report->add_recommendations("annotated by mx_redundancy");
  }
  void Run(checks::CheckContext& ctx, DoneCallback done) override {
    checks::CheckVerdict verdict;
    const size_t hosts = ctx.mx_set().hosts.size();
    checks::FindingList list(findings(), ctx.domain());
    if (hosts >= 2) {
      verdict.status = v1::CHECK_STATUS_PASS;
      verdict.fraction = 1;
      list.Add(kRedundantMx, "");
    } else {
      verdict.status = v1::CHECK_STATUS_WARN;
      verdict.fraction = 0.5;
      list.Add(kSingleMx, absl::StrCat(ctx.domain(), " has ", hosts, " MX host(s)"));
    }
    verdict.findings = std::move(list).Take();
    verdict.summary = absl::StrCat(hosts, " MX host(s).");
    done(std::move(verdict));
  }
};

// The test registry: the built-in list plus one line.
std::vector<std::unique_ptr<checks::Check>> TestRegistry() {
  auto checks = checks::BuiltinChecks();
  checks.push_back(std::make_unique<MxRedundancyCheck>());
  return checks;
}

std::unique_ptr<TestLab> StartLab(std::map<std::string, int> weights = {}) {
  LabOptions options;
  options.make_checks = TestRegistry;
  options.weights = std::move(weights);
  return TestLab::Start(options);
}

TEST(ExtraCheckTest, RunsScoredAndListedLastInTheReport) {
  auto lab = StartLab();
  ASSERT_NE(lab, nullptr);
  lab->dns().Mx("one.test", {{10, "mx.one.test"}});
  lab->dns().A("mx.one.test", {"127.0.0.1"});
  v1::CheckOptions options;
  options.add_checks("mx_redundancy");
  auto report = lab->Check("one.test", options);
  ASSERT_TRUE(report.ok()) << report.status();

  std::vector<std::string> names;
  for (const auto& c : report->checks()) names.push_back(c.check());
  EXPECT_THAT(names, ElementsAre("txt", "policy_fetch", "policy_content", "mx_match", "mx_tls",
                                 "tls_rpt", "dnssec", "mx_redundancy"));
  const v1::CheckResult& result = ResultOf(*report, "mx_redundancy");
  EXPECT_EQ(result.status(), v1::CHECK_STATUS_WARN);
  EXPECT_EQ(result.points_possible(), 4);
  EXPECT_EQ(result.points_earned(), 2);
  // The only check with a verdict: the score is its share.
  EXPECT_EQ(report->score(), 50);
  ASSERT_EQ(result.findings_size(), 1);
  const v1::Finding& finding = result.findings(0);
  EXPECT_EQ(finding.code(), kSingleMx);
  EXPECT_EQ(finding.title(), "Only one MX host");
  EXPECT_EQ(finding.detail(),
            "one.test has 1 MX host(s). Mail waits in senders' queues whenever that host is "
            "down.");
  EXPECT_THAT(std::vector<std::string>(report->recommendations().begin(),
                                       report->recommendations().end()),
              ::testing::Contains("Publish a second MX host."));
}

TEST(ExtraCheckTest, RunsWithTheOthersAndItsAnnotationHookRuns) {
  auto lab = StartLab();
  ASSERT_NE(lab, nullptr);
  lab->dns().Mx("two.test", {{10, "a.two.test"}, {20, "b.two.test"}});
  v1::CheckOptions options;
  options.set_skip_mx_probe(true);
  auto report = lab->Check("two.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& result = ResultOf(*report, "mx_redundancy");
  EXPECT_EQ(result.status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(result.points_earned(), 4);
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(ResultOf(*report, "mx_tls").status(), v1::CHECK_STATUS_NOT_RUN);
  // AnnotateReport runs before scoring, which rebuilds the recommendations:
  // the hook's line is replaced, proving the order.
  for (const auto& r : report->recommendations()) EXPECT_NE(r, "annotated by mx_redundancy");
}

TEST(ExtraCheckTest, ItsWeightIsConfigurableByName) {
  auto lab = StartLab({{"mx_redundancy", 20}, {"txt", 30}});
  ASSERT_NE(lab, nullptr);
  lab->dns().Mx("one.test", {{10, "mx.one.test"}});
  v1::CheckOptions options;
  options.add_checks("mx_redundancy");
  options.add_checks("txt");
  auto report = lab->Check("one.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "mx_redundancy").points_possible(), 20);
  EXPECT_EQ(ResultOf(*report, "txt").points_possible(), 30);
}

TEST(ExtraCheckTest, ServerWithoutItRefusesItsNameInWeightsAndRequests) {
  server::ServerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.dns_servers = {{"127.0.0.1", 9}};
  settings.log = nullptr;
  (*settings.config.mutable_weights())["mx_redundancy"] = 20;
  auto refused = server::MtaStsServer::Start(settings);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("unknown check \"mx_redundancy\""));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("known checks: txt, policy_fetch, policy_content, mx_match, mx_tls, "
                        "tls_rpt, dnssec"));

  // The same weights with the check registered: accepted.
  settings.make_checks = TestRegistry;
  auto started = server::MtaStsServer::Start(settings);
  ASSERT_TRUE(started.ok()) << started.status();
}

TEST(ExtraCheckTest, RequestsNameItOnlyWhereItIsRegistered) {
  auto plain = TestLab::Start({});
  ASSERT_NE(plain, nullptr);
  v1::CheckOptions options;
  options.add_checks("mx_redundancy");
  auto refused = plain->Check("one.test", options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("unknown check \"mx_redundancy\""));
}

TEST(ExtraCheckTest, ItsRowsAreInTheFindingsDoc) {
  const auto checks = TestRegistry();
  const std::string doc = tools::RenderFindingsMarkdown(checks::FindingTablesOf(checks));
  EXPECT_THAT(doc, HasSubstr("\n## mx_redundancy: a second MX host\n"));
  EXPECT_THAT(doc, HasSubstr("| 9001 | mx_redundancy | low | Only one MX host |"));
}

}  // namespace
}  // namespace mtasts::testing

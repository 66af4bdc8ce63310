// The MTA-STS state the aggregator derives from the checks.
#include "checks/scoring/aggregator.h"

#include <string>
#include <vector>

#include "checks/scoring/test_reports.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring {
namespace {

// --- State ------------------------------------------------------------------

TEST(StateOfTest, EveryRule) {
  struct Case {
    const char* name;
    std::vector<v1::CheckResult> checks;
    v1::PolicyMode mode;  // evidence.policy.mode
    bool policy_valid;
    v1::MtaStsState state;
  };
  const v1::CheckResult txt_pass = MakeCheck("txt", kPass);
  const std::vector<Case> cases = {
      {"TXT_MISSING is absent", {TxtMissing()}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_ABSENT},
      {"TXT_MISSING wins over a failed policy",
       {TxtMissing(), MakeCheck("policy_fetch", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_ABSENT},
      {"TXT_MISSING wins over a valid policy",
       {TxtMissing(), MakeCheck("policy_content", kPass)}, v1::POLICY_MODE_ENFORCE,
       true, v1::MTA_STS_STATE_ABSENT},
      {"a name too long for _mta-sts is absent, not broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_NAME_TOO_LONG, v1::SEVERITY_MEDIUM)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_ABSENT},
      {"two STS records are broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"TXT SERVFAIL is broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_LOOKUP_FAILED, v1::SEVERITY_HIGH)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"txt fail beats a valid policy",
       {MakeCheck("txt", kFail, 0), MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_BROKEN},
      {"policy fetch failed",
       {txt_pass, MakeCheck("policy_fetch", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"policy content failed",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"policy failed while txt not run",
       {MakeCheck("policy_fetch", kFail, 0)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_BROKEN},
      {"enforce",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_ENFORCED},
      {"testing, with warnings",
       {MakeCheck("txt", kWarn), MakeCheck("policy_fetch", kWarn),
        MakeCheck("policy_content", kWarn)},
       v1::POLICY_MODE_TESTING, true, v1::MTA_STS_STATE_TESTING},
      {"none",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_NONE, true, v1::MTA_STS_STATE_DISABLED},
      {"enforce with an MX outside the policy is still enforced",
       {txt_pass, MakeCheck("policy_content", kPass),
        MakeCheck("mx_match", kFail, 0)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_ENFORCED},
      {"txt passed, no policy check built yet",
       {txt_pass, MakeCheck("tls_rpt", kPass)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt passed, policy inconclusive",
       {txt_pass, MakeCheck("policy_fetch", kInconclusive),
        MakeCheck("policy_content", kSkipped)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_UNDETERMINED},
      {"policy_content passed but evidence says invalid",
       {txt_pass, MakeCheck("policy_content", kPass)}, v1::POLICY_MODE_ENFORCE,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"valid policy without a mode",
       {txt_pass, MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_UNSPECIFIED, true, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt not run", {MakeCheck("tls_rpt", kPass)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt explicitly NOT_RUN",
       {MakeCheck("txt", kNotRun)}, v1::POLICY_MODE_UNSPECIFIED, false,
       v1::MTA_STS_STATE_UNDETERMINED},
      {"txt inconclusive", {MakeCheck("txt", kInconclusive)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt not run, valid enforce policy: not verified end to end",
       {MakeCheck("policy_fetch", kPass), MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_UNDETERMINED},
  };
  for (const Case& c : cases) {
    v1::DomainReport r = MakeReport(c.checks);
    SetPolicy(&r, c.mode, c.policy_valid);
    EXPECT_EQ(StateOf(r), c.state) << c.name;
    Aggregate(&r, kCheckOrder);
    EXPECT_EQ(r.state(), c.state) << c.name;
  }
}

}  // namespace
}  // namespace mtasts::checks::scoring

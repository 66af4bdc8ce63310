// PolicyFetchCheck's glue: it judges the run's shared fetch (Input::kPolicy)
// without any network work of its own, writes evidence.policy, and reports
// once.
#include "checks/policy_fetch/policy_fetch_check.h"

#include <memory>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using testing::kWait;

using testing::kEnforcePolicyBody;

using PolicyFetchCheckTest = testing::LocalCheckTest<PolicyFetchCheck>;

TEST_F(PolicyFetchCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"policy_fetch", 15, {Input::kPolicy}, false});
}

TEST_F(PolicyFetchCheckTest, ServedPolicyPassesAndFillsPolicyEvidence) {
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kEnforcePolicyBody);
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::POLICY_FETCH_OK));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);

  const v1::Evidence evidence = ctx_->EvidenceCopy();
  EXPECT_EQ(evidence.policy().http_status(), 200);
  EXPECT_EQ(evidence.policy().url(), "https://mta-sts.example.test/.well-known/mta-sts.txt");
  ASSERT_EQ(evidence.policy().addresses_size(), 1);
  EXPECT_EQ(evidence.policy().addresses(0).address(), "192.0.2.1");
  EXPECT_EQ(evidence.policy().certificate().days_to_expiry(), 60);
  EXPECT_EQ(evidence.sts_records_size(), 0);
  EXPECT_EQ(evidence.mx_hosts_size(), 0);

  // A judgement of inputs already fetched: no lookups, no cancel hooks.
  EXPECT_EQ(ctx_->dns_uses(), 0);
  EXPECT_TRUE(ctx_->recorded_lookups().empty());
  EXPECT_EQ(ctx_->on_cancel_registered(), 0);
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->off_thread_calls(), 0);
}

TEST_F(PolicyFetchCheckTest, NotFoundFailsNamingTheStatus) {
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 404, "not here");
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_FAIL);
  EXPECT_DOUBLE_EQ(verdict->fraction, 0);
  EXPECT_FALSE(testing::HasFinding(*verdict, v1::POLICY_FETCH_OK));
  ASSERT_FALSE(verdict->findings.empty());
  testing::ExpectFindingsFromOwnTable(check_, *verdict);
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  ASSERT_EQ(evidence.policy().addresses_size(), 1);
  EXPECT_EQ(evidence.policy().addresses(0).http_status(), 404);
  EXPECT_EQ(ctx_->done_calls(), 1);
}

TEST_F(PolicyFetchCheckTest, UnreachableResolverIsInconclusive) {
  ctx_->mutable_policy() = testing::UnresolvedPolicyFetch(
      "example.test", net::DnsOutcome::kUnreachable, net::DnsOutcome::kUnreachable);
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_INCONCLUSIVE);
  testing::ExpectFindingsFromOwnTable(check_, *verdict);
  EXPECT_EQ(ctx_->done_calls(), 1);
}

}  // namespace
}  // namespace mtasts::checks

// DnssecCheck: settings validation, and its glue run against FakeCheckContext
// with a forwarder on loopback (the fake DNS server, or nsd serving zones
// signed at test time): inputs wired (the MX set's hosts are looked up),
// evidence.dnssec written, `done` once, and silence once the run is gone.
#include "checks/dnssec/dnssec_check.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"

namespace mtasts::checks {
namespace {

using fakes::DnsReply;
using fakes::FakeDnsServer;
using fakes::SignedZones;
using testing::FakeCheckContext;
using testing::kWait;

TEST(ValidateDnssecSettingsTest, NamesTheFlag) {
  ProbeSettings s;
  EXPECT_TRUE(ValidateDnssecSettings(s).ok()) << "default: Debian's root key, full recursion";
  s.trust_anchor_file = "/nonexistent/anchor";
  absl::Status st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--trust_anchor_file: ", 0), 0u) << st.message();
  s.trust_anchor_file = "";
  s.dnssec_forwarder = "not-an-ip";
  st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--dnssec_forwarder: ", 0), 0u) << st.message();
  s.dnssec_forwarder = "127.0.0.53";
  EXPECT_TRUE(ValidateDnssecSettings(s).ok());
  // The flag follows from which setting is wrong, not from the words of the
  // message: a trust anchor path that mentions a forwarder is still the
  // trust anchor's fault.
  s.trust_anchor_file = "/nonexistent/forwarder.key";
  st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--trust_anchor_file: ", 0), 0u) << st.message();
}

TEST(DnssecCheckTest, Metadata) {
  DnssecCheck check;
  testing::ExpectMetadata(check, {"dnssec", 5, {Input::kMxSet}, false});
  ProbeSettings bad;
  bad.trust_anchor_file = "/nonexistent/anchor";
  EXPECT_EQ(check.ValidateSettings(bad).code(), absl::StatusCode::kInvalidArgument);
}

// A forwarder that never answers (the fake DNS server dropping everything):
// the root DNSKEY probe times out.
class DnssecCheckGlueTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kProbeTimeout = absl::Milliseconds(400);

  void SetUp() override {
    auto dns = FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    dns_->SetDefaultReply(DnsReply::Drop());
    DnssecCheck::Options options;
    options.probe_timeout = kProbeTimeout;
    check_ = std::make_unique<DnssecCheck>(options);
    ctx_ = NewContext();
  }

  std::unique_ptr<FakeCheckContext> NewContext() {
    auto ctx = FakeCheckContext::Create("example.test");
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    if (!ctx.ok()) return nullptr;
    // A forwarder of its own per test: the check remembers a failed probe
    // per (trust anchor, forwarder) for the whole process.
    (*ctx)->mutable_settings().dnssec_forwarder = dns_->address();
    (*ctx)->mutable_mx_set() = testing::ScriptedMxSet("example.test", {"mx1.example.test"});
    (*ctx)->set_deadline(absl::Now() + absl::Seconds(60));
    return *std::move(ctx);
  }

  // Waits until every timer armed before now + `d` on the context's reactor
  // has run (a timer due at T runs in the first turn of the loop after T).
  void WaitPast(FakeCheckContext& ctx, absl::Duration d) {
    const absl::Time t = absl::Now() + d;
    while (absl::Now() <= t) ctx.RunOnReactor([] {});
    ctx.RunOnReactor([] {});
    ctx.RunOnReactor([] {});
  }

  std::unique_ptr<FakeDnsServer> dns_;
  std::unique_ptr<DnssecCheck> check_;  // outlives the contexts' reactors
  std::unique_ptr<FakeCheckContext> ctx_;
};

TEST_F(DnssecCheckGlueTest, UnreachableValidatorIsInconclusiveAndRemembered) {
  ctx_->Start(*check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::DNSSEC_VALIDATOR_UNAVAILABLE))
      << verdict->summary;
  testing::ExpectFindingsFromOwnTable(*check_, *verdict);
  EXPECT_GE(dns_->total_queries(), 1);  // the forwarder from the settings was asked
  EXPECT_EQ(ctx_->EvidenceCopy().dnssec_size(), 0);
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->dns_uses(), 0);  // its own validator, not the run's stub resolver

  // The next run with the same settings does not probe or wait again: it
  // reports inside Run. (Counting the forwarder's queries instead races
  // with a retransmit of the first probe that libunbound sent as it was
  // cancelled.)
  auto second = NewContext();
  ASSERT_NE(second, nullptr);
  second->Start(*check_);
  EXPECT_EQ(second->done_calls(), 1);  // inside Run: nothing to wait for
  auto again = second->WaitForDone(kWait);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(testing::HasFinding(*again, v1::DNSSEC_VALIDATOR_UNAVAILABLE));
}

TEST_F(DnssecCheckGlueTest, NoTimeLeftIsInconclusiveWithoutQueries) {
  ctx_->set_deadline(absl::Now() + absl::Milliseconds(50));
  ctx_->Start(*check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::DNSSEC_LOOKUP_FAILED));
  testing::ExpectFindingsFromOwnTable(*check_, *verdict);
  EXPECT_EQ(dns_->total_queries(), 0);
  EXPECT_EQ(ctx_->done_calls(), 1);
}

TEST_F(DnssecCheckGlueTest, UnreadableTrustAnchorAtRunTimeIsInconclusive) {
  ctx_->mutable_settings().trust_anchor_file = "/nonexistent/anchor";
  ctx_->Start(*check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::DNSSEC_TRUST_ANCHOR_PROBLEM));
  EXPECT_EQ(ctx_->done_calls(), 1);
}

TEST_F(DnssecCheckGlueTest, RunGoneBeforeTheProbeAnswersNeverReports) {
  ctx_->Start(*check_);
  ASSERT_TRUE(dns_->WaitForQueries(1, kWait));
  ctx_->CancelRun();
  // The probe's timeout passes and its callback runs on the reactor.
  WaitPast(*ctx_, kProbeTimeout);
  EXPECT_EQ(ctx_->done_calls(), 0);
}

// Zones signed at test time, served by nsd: the full path to the evidence.
TEST(DnssecCheckSignedZonesTest, SecureDomainPassesAndWritesEvidence) {
  auto zones = SignedZones::Start({});
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().ToString());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  DnssecCheck check;
  auto ctx = FakeCheckContext::Create("secure.test");
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  (*ctx)->mutable_settings().dnssec_forwarder = (*zones)->forwarder();
  (*ctx)->mutable_settings().trust_anchor_file = (*zones)->trust_anchor_file();
  (*ctx)->mutable_mx_set() = testing::ScriptedMxSet("secure.test", {"mx.secure.test"});
  (*ctx)->set_deadline(absl::Now() + absl::Seconds(60));
  (*ctx)->Start(check);
  auto verdict = (*ctx)->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS) << verdict->summary;
  testing::ExpectFindingsFromOwnTable(check, *verdict);
  const v1::Evidence evidence = (*ctx)->EvidenceCopy();
  bool mx_secure = false;
  bool mx_host_looked_up = false;
  for (const v1::DnssecEvidence& e : evidence.dnssec()) {
    if (e.name() == "secure.test" && e.type() == "MX") {
      mx_secure = e.state() == v1::DNSSEC_STATE_SECURE;
    }
    // The MX set's host, from the run's input.
    if (e.name() == "mx.secure.test") mx_host_looked_up = true;
  }
  EXPECT_TRUE(mx_secure);
  EXPECT_TRUE(mx_host_looked_up);
  EXPECT_EQ(evidence.sts_records_size(), 0);
  (*ctx)->RunOnReactor([] {});
  EXPECT_EQ((*ctx)->done_calls(), 1);
  ctx->reset();  // the reactor stops before the check goes
}

}  // namespace
}  // namespace mtasts::checks

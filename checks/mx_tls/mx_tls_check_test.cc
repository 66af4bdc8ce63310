// MxTlsCheck's glue: STARTTLS probes of the run's MX addresses
// (Input::kMxAddresses) against a fake SMTP server on loopback, through the
// address guard and the probe cache; TLS results written into the evidence's
// MX hosts; one `done`; and, when the run ends first (OnCancel or the
// deadline), the run leaves the probe cache and never reports.
#include "checks/mx_tls/mx_tls_check.h"

#include <memory>
#include <string>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::checks {
namespace {

using fakes::CertSpec;
using fakes::FakeSmtpScript;
using fakes::FakeSmtpServer;
using fakes::TestCa;
using testing::FakeCheckContext;
using testing::kWait;

constexpr char kMx1[] = "mx1.example.test";
constexpr char kMx1Addr[] = "127.0.0.2";
constexpr char kBody[] =
    "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n";

class MxTlsCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot("MxTlsCheckTest Root");
    ASSERT_TRUE(root.ok()) << root.status();
    ca_ = *std::move(root);
    auto ca_file = ca_->WriteCertFile();
    ASSERT_TRUE(ca_file.ok()) << ca_file.status();
    auto smtp = FakeSmtpServer::Start({kMx1Addr});
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = *std::move(smtp);
    auto cert = ca_->Issue(CertSpec::ForHosts({kMx1}));
    ASSERT_TRUE(cert.ok()) << cert.status();
    leaf_subject_ = cert->subject;
    good_ = FakeSmtpScript::Good(*cert);
    ASSERT_TRUE(smtp_->SetScript(kMx1Addr, good_).ok());

    auto ctx = FakeCheckContext::Create("example.test");
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = *std::move(ctx);
    ASSERT_TRUE(ctx_->SetCaFile(*ca_file).ok());
    ASSERT_TRUE(ctx_->SetAllowTargets("127.0.0.0/8").ok());
    ctx_->mutable_settings().smtp_port = static_cast<uint16_t>(smtp_->port());
    ctx_->mutable_settings().ehlo_name = "checker.example.test";
    MxSet& mx = ctx_->mutable_mx_set();
    mx = testing::ScriptedMxSet("example.test", {kMx1});
    MxSet::HostAddresses addresses;
    addresses.a.name = kMx1;
    addresses.a.outcome = net::DnsOutcome::kAnswer;
    addresses.a.addresses = {kMx1Addr};
    addresses.aaaa.name = kMx1;
    addresses.aaaa.outcome = net::DnsOutcome::kNoData;
    mx.addresses = {addresses};
    testing::AddMxHostsToEvidence(mx, &ctx_->mutable_evidence());
    ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  }

  // Waits, turn by turn of the context's reactor, until the check has left
  // the probe cache.
  void WaitUntilAbandoned(int64_t n) {
    const absl::Time until = absl::Now() + kWait;
    while (check_.cache().stats().abandoned < n && absl::Now() < until) {
      ctx_->RunOnReactor([] {});
    }
  }

  // Declared first: destroyed after the context's reactor stopped.
  MxTlsCheck check_;
  std::unique_ptr<TestCa> ca_;
  std::string leaf_subject_;
  FakeSmtpScript good_;
  std::unique_ptr<FakeSmtpServer> smtp_;
  std::unique_ptr<FakeCheckContext> ctx_;
};

TEST_F(MxTlsCheckTest, Metadata) {
  // The one check the request's fast mode leaves out: it probes MX hosts.
  testing::ExpectMetadata(check_, {"mx_tls", 10, {Input::kMxAddresses, Input::kPolicy}, true});
}

TEST_F(MxTlsCheckTest, GoodServerPassesAndItsTlsGoesIntoTheMxHost) {
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS) << verdict->summary;
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::MX_TLS_VALID));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);

  // Wired: the settings' port and EHLO name, the MX host's name as SNI.
  EXPECT_EQ(smtp_->connections(kMx1Addr), 1);
  EXPECT_EQ(smtp_->handshakes(kMx1Addr), 1);
  const auto commands = smtp_->commands(kMx1Addr);
  ASSERT_FALSE(commands.empty());
  EXPECT_EQ(commands[0], "EHLO checker.example.test");
  EXPECT_EQ(smtp_->server_names(kMx1Addr), std::vector<std::string>{kMx1});

  const v1::Evidence evidence = ctx_->EvidenceCopy();
  ASSERT_EQ(evidence.mx_hosts_size(), 1);
  ASSERT_EQ(evidence.mx_hosts(0).tls_size(), 1);
  const v1::MxTlsResult& tls = evidence.mx_hosts(0).tls(0);
  EXPECT_EQ(tls.address(), kMx1Addr);
  EXPECT_TRUE(tls.starttls_offered());
  EXPECT_EQ(tls.failure(), "");
  EXPECT_EQ(tls.certificate().subject(), leaf_subject_);
  EXPECT_FALSE(tls.chain().empty());
  EXPECT_FALSE(evidence.has_policy());

  EXPECT_EQ(ctx_->on_cancel_registered(), 1);  // inside Run, as the engine requires
  EXPECT_EQ(ctx_->on_cancel_ignored(), 0);
  EXPECT_EQ(check_.cache().stats().probes_started, 1);
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->off_thread_calls(), 0);
  EXPECT_EQ(ctx_->dns_uses(), 0);  // addresses come from the run's input
}

TEST_F(MxTlsCheckTest, MissingStartTlsFailsInEnforceMode) {
  FakeSmtpScript no_tls = good_;
  no_tls.ehlo = {"250-mx1.example.test", "250 SIZE 1000"};
  ASSERT_TRUE(smtp_->SetScript(kMx1Addr, no_tls).ok());
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_FAIL);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::MX_TLS_STARTTLS_MISSING));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  ASSERT_EQ(evidence.mx_hosts(0).tls_size(), 1);
  EXPECT_FALSE(evidence.mx_hosts(0).tls(0).starttls_offered());
  EXPECT_EQ(ctx_->done_calls(), 1);
}

TEST_F(MxTlsCheckTest, AddressRefusedByTheGuardIsNeverContacted) {
  ASSERT_TRUE(ctx_->SetAllowTargets("").ok());  // loopback is not public
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::MX_TLS_ADDRESS_REFUSED));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);
  EXPECT_EQ(smtp_->total_connections(), 0);
  EXPECT_EQ(check_.cache().stats().probes_started, 0);
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 1);
}

TEST_F(MxTlsCheckTest, RunEndedBeforeALocalVerdictNeverReports) {
  // Every address refused: the verdict is local, posted for the next turn;
  // the run ends in between.
  ASSERT_TRUE(ctx_->SetAllowTargets("").ok());
  ctx_->Start(check_, [this] { ctx_->CancelRun(); });
  ctx_->RunOnReactor([] {});
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 0);
  EXPECT_EQ(ctx_->EvidenceCopy().mx_hosts(0).tls_size(), 0);
}

TEST_F(MxTlsCheckTest, CancelledRunLeavesTheProbeCacheAndNeverReports) {
  FakeSmtpScript silent = good_;
  silent.greeting_delay = absl::InfiniteDuration();
  ASSERT_TRUE(smtp_->SetScript(kMx1Addr, silent).ok());
  ctx_->Start(check_);
  ASSERT_TRUE(smtp_->WaitForConnections(kMx1Addr, 1, kWait));
  EXPECT_EQ(check_.cache().stats().abandoned, 0);
  ctx_->FireOnCancel();
  // At once, inside the OnCancel callback: not when the probe times out.
  const ProbeCache::Stats stats = check_.cache().stats();
  EXPECT_EQ(stats.abandoned, 1);
  EXPECT_EQ(stats.entries, 0u);
  ctx_->ExpireLifetime();
  ctx_->RunOnReactor([] {});
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 0);
  EXPECT_EQ(smtp_->connections(kMx1Addr), 1);
  EXPECT_EQ(smtp_->handshakes(kMx1Addr), 0);
}

TEST_F(MxTlsCheckTest, RunsDeadlineLeavesTheProbeCacheWithoutReporting) {
  FakeSmtpScript silent = good_;
  silent.greeting_delay = absl::InfiniteDuration();
  ASSERT_TRUE(smtp_->SetScript(kMx1Addr, silent).ok());
  // The engine reports CHECK_TIMED_OUT for it; the check only stops.
  ctx_->set_deadline(absl::Now() + absl::Milliseconds(500));
  ctx_->Start(check_);
  ASSERT_TRUE(smtp_->WaitForConnections(kMx1Addr, 1, kWait));
  WaitUntilAbandoned(1);
  EXPECT_EQ(check_.cache().stats().abandoned, 1);
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 0);
}

TEST_F(MxTlsCheckTest, ExpiredLifetimeDropsALateResult) {
  // A run gone without OnCancel (its lifetime alone expired): the probe's
  // answer arrives and is dropped.
  FakeSmtpScript slow = good_;
  slow.greeting_delay = absl::Milliseconds(300);
  ASSERT_TRUE(smtp_->SetScript(kMx1Addr, slow).ok());
  ctx_->Start(check_);
  ASSERT_TRUE(smtp_->WaitForConnections(kMx1Addr, 1, kWait));
  ctx_->ExpireLifetime();
  // The probe finishes (handshake done) and its result reaches the run.
  const absl::Time until = absl::Now() + kWait;
  while (smtp_->quits(kMx1Addr) < 1 && absl::Now() < until) ctx_->RunOnReactor([] {});
  ASSERT_EQ(smtp_->quits(kMx1Addr), 1);
  ctx_->RunOnReactor([] {});
  ctx_->RunOnReactor([] {});
  EXPECT_EQ(ctx_->done_calls(), 0);
  EXPECT_EQ(ctx_->EvidenceCopy().mx_hosts(0).tls_size(), 0);
}

}  // namespace
}  // namespace mtasts::checks

#include "net/smtp_starttls.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "net/smtp_reply.h"
#include "net/tls_stream.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::CertSpec;
using ::mtasts::fakes::FakeSmtpScript;
using ::mtasts::fakes::FakeSmtpServer;
using ::mtasts::fakes::FakeTlsVersion;
using ::mtasts::fakes::TestCa;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMx[] = "mx1.example.test";
constexpr char kAddr[] = "127.0.0.1";
constexpr char kOther[] = "127.0.0.2";  // nothing listens here

// --- The reply parser. ---

SmtpReplyParser::State FeedAll(SmtpReplyParser& p, std::vector<std::string> lines) {
  SmtpReplyParser::State s = SmtpReplyParser::State::kNeedMore;
  for (const auto& l : lines) s = p.FeedLine(l);
  return s;
}

TEST(SmtpReplyParserTest, MultiLineRepliesAndKeywords) {
  SmtpReplyParser p;
  EXPECT_EQ(FeedAll(p, {"250-mx.example.test Hello", "250-SIZE 1000", "250-starttls",
                        "250 AUTH=PLAIN"}),
            SmtpReplyParser::State::kComplete);
  EXPECT_EQ(p.reply().code, 250);
  EXPECT_THAT(EhloKeywords(p.reply()), ElementsAre("SIZE", "STARTTLS", "AUTH"));
  EXPECT_TRUE(OffersStartTls(EhloKeywords(p.reply())));
  EXPECT_EQ(p.reply().Text(), "mx.example.test Hello / SIZE 1000 / starttls / AUTH=PLAIN");
}

TEST(SmtpReplyParserTest, BareCodeEndsTheReply) {
  SmtpReplyParser p;
  EXPECT_EQ(p.FeedLine("220"), SmtpReplyParser::State::kComplete);
  EXPECT_EQ(p.reply().code, 220);
  EXPECT_EQ(p.FeedLine("250 more"), SmtpReplyParser::State::kError);
}

TEST(SmtpReplyParserTest, RejectsWhatIsNotSmtp) {
  for (const char* bad : {"", "HTTP/1.1 200 OK", "20", "600 no", "160 x", "2x0 y", "250_x"}) {
    SmtpReplyParser p;
    EXPECT_EQ(p.FeedLine(bad), SmtpReplyParser::State::kError) << bad;
    EXPECT_FALSE(p.error().empty());
  }
  SmtpReplyParser changing;
  EXPECT_EQ(FeedAll(changing, {"250-a", "251 b"}), SmtpReplyParser::State::kError);
  EXPECT_THAT(changing.error(), HasSubstr("changes from 250 to 251"));
}

TEST(SmtpReplyParserTest, BoundsLinesAndLength) {
  SmtpReplyParser p(/*max_lines=*/3, /*max_line_chars=*/5);
  EXPECT_EQ(FeedAll(p, {"250-abcdefgh", "250-b", "250-c"}), SmtpReplyParser::State::kNeedMore);
  EXPECT_EQ(p.reply().lines[0], "abcde");
  EXPECT_EQ(p.FeedLine("250 d"), SmtpReplyParser::State::kError);
  EXPECT_THAT(p.error(), HasSubstr("more than 3 lines"));
}

// --- The probe against the fake server. ---

SmtpLimits ShortLimits() {
  SmtpLimits limits;
  for (absl::Duration* d : {&limits.connect_timeout, &limits.greeting_timeout,
                            &limits.ehlo_timeout, &limits.starttls_timeout,
                            &limits.handshake_timeout, &limits.quit_timeout}) {
    *d = absl::Milliseconds(700);
  }
  return limits;
}

class SmtpStartTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reactor_ = *Reactor::Create("smtp-test");
    root_ = *TestCa::CreateRoot("SMTP Test Root CA");
    ctx_ = *TlsClientContext::Create(*root_->WriteCertFile());
    auto server = FakeSmtpServer::Start({kAddr});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override {
    RunSync(reactor_.get(), [this] { probe_.reset(); });
    server_.reset();
    reactor_.reset();
  }

  FakeSmtpScript Good() { return FakeSmtpScript::Good(*root_->Issue(CertSpec::ForHosts({kMx}))); }

  SmtpProbeResult Probe(const std::string& address = kAddr, SmtpLimits limits = ShortLimits(),
                        const std::string& host = kMx) {
    absl::Notification done;
    SmtpProbeResult out;
    RunSync(reactor_.get(), [&] {
      probe_ = ProbeSmtpStartTls(reactor_.get(), ctx_.get(), address,
                                 static_cast<uint16_t>(server_->port()), host, "checker.test",
                                 limits, [&](SmtpProbeResult r) {
                                   out = std::move(r);
                                   done.Notify();
                                 });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    return out;
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<TestCa> root_;
  std::unique_ptr<TlsClientContext> ctx_;
  std::unique_ptr<FakeSmtpServer> server_;
  std::unique_ptr<SmtpProbe> probe_;
};

TEST_F(SmtpStartTlsTest, GoodServerPassesAndGetsQuit) {
  ASSERT_TRUE(server_->SetScript(kAddr, Good()).ok());
  SmtpProbeResult r = Probe(kAddr, ShortLimits(), "MX1.example.test.");
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.phase, SmtpPhase::kDone);
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.greeting.code, 220);
  EXPECT_EQ(r.greeting.Text(), "fake-smtp.test ESMTP");
  EXPECT_THAT(r.ehlo_keywords, ElementsAre("PIPELINING", "SIZE", "STARTTLS"));
  EXPECT_TRUE(r.starttls_offered);
  EXPECT_EQ(r.starttls.code, 220);
  EXPECT_TRUE(r.tls.verified);
  EXPECT_THAT(r.tls.version, HasSubstr("TLSv1."));
  ASSERT_TRUE(r.tls.certificate_presented());
  EXPECT_THAT(r.tls.leaf().dns_names, ElementsAre(kMx));
  EXPECT_EQ(r.tls.leaf().cert_sha256.size(), 64u);
  EXPECT_EQ(r.tls.leaf().spki_sha512.size(), 128u);
  EXPECT_EQ(r.quit_code, 221);
  EXPECT_EQ(server_->quits(kAddr), 1);
  EXPECT_THAT(server_->commands(kAddr), ElementsAre("EHLO checker.test", "STARTTLS", "QUIT"));
  // SNI is the MX host name, lower case, without its trailing dot.
  EXPECT_THAT(server_->server_names(kAddr), ElementsAre("mx1.example.test"));
}

TEST_F(SmtpStartTlsTest, MultiLineGreetingAndLowerCaseKeyword) {
  FakeSmtpScript script = Good();
  script.greeting = {"220-mx1.example.test ESMTP", "220-no UCE", "220 welcome"};
  script.ehlo = {"250-mx1.example.test", "250-8BITMIME", "250 starttls"};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.greeting.lines.size(), 3u);
  EXPECT_TRUE(r.starttls_offered);
}

TEST_F(SmtpStartTlsTest, RejectingGreetingEndsWithQuit) {
  FakeSmtpScript script = Good();
  script.greeting = {"554 5.7.1 no service for you"};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocol);
  EXPECT_EQ(r.smtp_failure, SmtpFailure::kRejected);
  EXPECT_EQ(r.phase, SmtpPhase::kGreeting);
  EXPECT_EQ(r.greeting.code, 554);
  EXPECT_THAT(r.error.message, HasSubstr("554"));
  EXPECT_EQ(r.quit_code, 221);
  EXPECT_THAT(server_->commands(kAddr), ElementsAre("QUIT"));
}

TEST_F(SmtpStartTlsTest, StartTlsNotAdvertised) {
  FakeSmtpScript script = Good();
  script.ehlo = {"250-mx1.example.test", "250 SIZE 1000"};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocol);
  EXPECT_EQ(r.smtp_failure, SmtpFailure::kStartTlsNotOffered);
  EXPECT_EQ(r.phase, SmtpPhase::kEhlo);
  EXPECT_FALSE(r.starttls_offered);
  EXPECT_THAT(r.error.message, HasSubstr("SIZE"));
  EXPECT_THAT(server_->commands(kAddr), ElementsAre("EHLO checker.test", "QUIT"));
}

TEST_F(SmtpStartTlsTest, StartTlsRefusedWith454) {
  FakeSmtpScript script = Good();
  script.starttls_reply = {"454 4.7.0 TLS not available due to temporary reason"};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocol);
  EXPECT_EQ(r.smtp_failure, SmtpFailure::kRejected);
  EXPECT_EQ(r.phase, SmtpPhase::kStartTls);
  EXPECT_EQ(r.starttls.code, 454);
  EXPECT_TRUE(r.starttls_offered);
}

TEST_F(SmtpStartTlsTest, SlowGreetingTimesOut) {
  FakeSmtpScript script = Good();
  script.greeting_delay = absl::Seconds(5);
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  const absl::Time start = absl::Now();
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kTimeout);
  EXPECT_EQ(r.phase, SmtpPhase::kGreeting);
  EXPECT_TRUE(r.connected);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(SmtpStartTlsTest, CallerDeadlineWins) {
  FakeSmtpScript script = Good();
  script.greeting_delay = absl::Seconds(5);
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpLimits limits = ShortLimits();
  limits.greeting_timeout = absl::Seconds(5);
  limits.deadline = absl::Now() + absl::Milliseconds(300);
  SmtpProbeResult r = Probe(kAddr, limits);
  EXPECT_EQ(r.error.failure, NetFailure::kDeadlineExceeded);
  EXPECT_THAT(r.error.message, HasSubstr("greeting"));
}

TEST_F(SmtpStartTlsTest, ConnectionRefused) {
  SmtpProbeResult r = Probe(kOther);
  EXPECT_EQ(r.error.failure, NetFailure::kConnectionRefused);
  EXPECT_EQ(r.phase, SmtpPhase::kConnect);
  EXPECT_FALSE(r.connected);
}

TEST_F(SmtpStartTlsTest, CertificateFailuresKeepTheEvidence) {
  struct Case {
    const char* name;
    FakeSmtpScript script;
    NetFailure failure;
  };
  auto with = [&](absl::StatusOr<fakes::TestCert> cert) {
    return FakeSmtpScript::Good(*std::move(cert));
  };
  std::vector<Case> cases = {
      {"wrong name", with(root_->Issue(CertSpec::ForHosts({"other.example.test"}))),
       NetFailure::kNameMismatch},
      {"expired", with(root_->Issue(CertSpec::ForHosts({kMx}).Expired())),
       NetFailure::kCertificateExpired},
      {"self-signed", with(fakes::MakeSelfSigned(CertSpec::ForHosts({kMx}))),
       NetFailure::kSelfSigned},
      {"wildcard too deep", with(root_->Issue(CertSpec::ForHosts({"*.test"}))),
       NetFailure::kNameMismatch},
  };
  for (Case& c : cases) {
    ASSERT_TRUE(server_->SetScript(kAddr, c.script).ok()) << c.name;
    SmtpProbeResult r = Probe();
    EXPECT_EQ(r.error.failure, c.failure) << c.name << ": " << r.error.ToString();
    EXPECT_EQ(r.phase, SmtpPhase::kTlsHandshake) << c.name;
    EXPECT_TRUE(r.tls.certificate_presented()) << c.name;
    EXPECT_FALSE(r.tls.verified) << c.name;
  }
  // A wildcard one label deep covers the host.
  ASSERT_TRUE(server_->SetScript(kAddr, with(root_->Issue(CertSpec::ForHosts({"*.example.test"}))))
                  .ok());
  EXPECT_TRUE(Probe().ok());
}

TEST_F(SmtpStartTlsTest, Tls10OnlyIsTooOld) {
  FakeSmtpScript script = Good();
  script.min_version = FakeTlsVersion::kTls1_0;
  script.max_version = FakeTlsVersion::kTls1_0;
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocolTooOld) << r.error.ToString();
  EXPECT_EQ(r.phase, SmtpPhase::kTlsHandshake);
  // One diagnostic probe (a second SMTP session) named the version.
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.0 at most"));
  EXPECT_EQ(r.tls.version, "TLSv1");
  EXPECT_FALSE(r.tls.verified);
  EXPECT_EQ(server_->connections(kAddr), 2);
}

TEST_F(SmtpStartTlsTest, Tls11OnlyIsTooOldAndNamed) {
  FakeSmtpScript script = Good();
  script.min_version = FakeTlsVersion::kTls1_0;
  script.max_version = FakeTlsVersion::kTls1_1;
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocolTooOld) << r.error.ToString();
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.1 at most"));
  EXPECT_THAT(r.error.message, HasSubstr("offered TLS 1.2 and 1.3"));
  EXPECT_EQ(r.tls.version, "TLSv1.1");
}

TEST_F(SmtpStartTlsTest, VersionIntolerantTls11ServerIsTooOldNotAHandshakeFailure) {
  // The server answers our TLS 1.2+ hello with handshake_failure, not
  // protocol_version: only the diagnostic probe shows it is a version problem.
  FakeSmtpScript script = Good();
  script.min_version = FakeTlsVersion::kTls1_0;
  script.max_version = FakeTlsVersion::kTls1_1Intolerant;
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocolTooOld) << r.error.ToString();
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.1 at most"));
  EXPECT_EQ(r.error.tls_alert, "handshake failure");
  EXPECT_EQ(r.tls.version, "TLSv1.1");
  EXPECT_EQ(server_->connections(kAddr), 2);
}

TEST_F(SmtpStartTlsTest, GoodHostIsProbedOnce) {
  ASSERT_TRUE(server_->SetScript(kAddr, Good()).ok());
  EXPECT_TRUE(Probe().ok());
  EXPECT_EQ(server_->connections(kAddr), 1);
}

TEST_F(SmtpStartTlsTest, MalformedAndOverlongReplies) {
  FakeSmtpScript script = Good();
  script.greeting = {"HTTP/1.1 400 Bad Request"};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult not_smtp = Probe();
  EXPECT_EQ(not_smtp.error.failure, NetFailure::kProtocol);
  EXPECT_EQ(not_smtp.smtp_failure, SmtpFailure::kMalformed);
  script.greeting = {"220 " + std::string(5000, 'x')};
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  EXPECT_EQ(Probe().error.failure, NetFailure::kLineTooLong);
  script = Good();
  script.ehlo.clear();
  for (int i = 0; i < 200; ++i) script.ehlo.push_back("250-X" + std::to_string(i));
  script.ehlo.push_back("250 STARTTLS");
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  SmtpProbeResult r = Probe();
  EXPECT_EQ(r.error.failure, NetFailure::kProtocol);
  EXPECT_EQ(r.smtp_failure, SmtpFailure::kMalformed);
  EXPECT_EQ(r.phase, SmtpPhase::kEhlo);
}

TEST_F(SmtpStartTlsTest, CancelStopsTheCallbackAndCloses) {
  FakeSmtpScript script = Good();
  script.greeting_delay = absl::Seconds(5);
  ASSERT_TRUE(server_->SetScript(kAddr, script).ok());
  bool called = false;
  RunSync(reactor_.get(), [&] {
    probe_ = ProbeSmtpStartTls(reactor_.get(), ctx_.get(), kAddr,
                               static_cast<uint16_t>(server_->port()), kMx, "checker.test",
                               ShortLimits(), [&](SmtpProbeResult) { called = true; });
  });
  ASSERT_TRUE(server_->WaitForConnections(kAddr, 1, absl::Seconds(5)));
  RunSync(reactor_.get(), [&] { probe_->Cancel(); });
  // Past every phase timeout (700 ms): their timers went with Cancel.
  WaitForTimersDue(reactor_.get(), absl::Milliseconds(800));
  RunSync(reactor_.get(), [&] { EXPECT_FALSE(called); });
}

TEST_F(SmtpStartTlsTest, BadArgumentsFailThroughTheCallback) {
  SmtpProbeResult r = Probe(kAddr, ShortLimits(), "mx one.test");
  EXPECT_EQ(r.error.failure, NetFailure::kLocalError);
  EXPECT_FALSE(r.connected);
}

}  // namespace
}  // namespace mtasts::net

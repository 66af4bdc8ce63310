#include "net/dnssec_validator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/silent_udp.h"

namespace mtasts::net {
namespace {

using fakes::SignedZones;

class DnssecValidatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { zones_.Start(SignedZones::Start({})); }
  static void TearDownTestSuite() { zones_.Stop(); }

  void SetUp() override {
    if (zones_.missing()) {
      MTASTS_SKIP_OR_FAIL_IN_CI(*zones_.missing());
    }
    ASSERT_NE(zones_.get(), nullptr);
    auto r = Reactor::Create("dnssec-test");
    ASSERT_TRUE(r.ok());
    reactor_ = *std::move(r);
  }
  void TearDown() override {
    if (reactor_ == nullptr) return;
    OnReactor([this] { validator_.reset(); });
  }

  DnssecOptions LabOptions() const {
    DnssecOptions o;
    o.trust_anchor_file = zones_->trust_anchor_file();
    o.forwarder = zones_->forwarder();
    o.allow_localhost = true;
    o.unblock_local_zones = {"test."};
    o.query_timeout = absl::Seconds(5);
    return o;
  }

  template <typename F>
  void OnReactor(F fn) {
    absl::Notification done;
    reactor_->Post([&] {
      fn();
      done.Notify();
    });
    done.WaitForNotification();
  }

  absl::Status Make(const DnssecOptions& options) {
    absl::Status status;
    OnReactor([&] {
      auto v = DnssecValidator::Create(reactor_.get(), options);
      status = v.status();
      if (v.ok()) validator_ = *std::move(v);
    });
    return status;
  }

  ValidatedResult Resolve(const std::string& name, uint16_t type) {
    ValidatedResult result;
    absl::Notification done;
    bool inline_call = true;
    OnReactor([&] {
      validator_->Resolve(name, type, [&](ValidatedResult r) {
        EXPECT_FALSE(inline_call) << "callback ran inside Resolve";
        result = std::move(r);
        done.Notify();
      });
      inline_call = false;
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    return result;
  }

  // Resolve, expecting `outcome` and `security`; the result for more checks.
  ValidatedResult ResolveExpecting(const std::string& name, uint16_t type, DnsOutcome outcome,
                                   DnssecSecurity security) {
    ValidatedResult r = Resolve(name, type);
    EXPECT_EQ(r.outcome, outcome) << name << ": " << r.detail;
    EXPECT_EQ(r.security, security) << name << ": " << r.why_bogus;
    return r;
  }

  static fakes::SuiteLab<SignedZones> zones_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<DnssecValidator> validator_;
};

fakes::SuiteLab<SignedZones> DnssecValidatorTest::zones_;

TEST_F(DnssecValidatorTest, SecureMxTxtAndTlsa) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  ValidatedResult mx =
      ResolveExpecting("secure.test", kDnsTypeMx, DnsOutcome::kAnswer, DnssecSecurity::kSecure);
  ASSERT_EQ(mx.mx.size(), 1u);
  EXPECT_EQ(mx.mx[0].preference, 10);
  EXPECT_EQ(mx.mx[0].host, "mx.secure.test");

  ValidatedResult txt = Resolve("_mta-sts.secure.test.", kDnsTypeTxt);
  EXPECT_EQ(txt.security, DnssecSecurity::kSecure);
  ASSERT_EQ(txt.txt.size(), 1u);
  EXPECT_EQ(txt.txt[0], "v=STSv1; id=securetest1");

  ValidatedResult a = Resolve("MX.Secure.Test", kDnsTypeA);
  EXPECT_EQ(a.name, "mx.secure.test");
  EXPECT_EQ(a.security, DnssecSecurity::kSecure);
  EXPECT_EQ(a.addresses, std::vector<std::string>{"127.0.0.1"});

  ValidatedResult tlsa = Resolve("_25._tcp.mx.secure.test", kDnsTypeTlsa);
  EXPECT_EQ(tlsa.security, DnssecSecurity::kSecure);
  ASSERT_EQ(tlsa.rdata.size(), 1u);
  EXPECT_EQ(tlsa.rdata[0], std::string("\x03\x01\x01", 3) + std::string(32, '\0'));
}

TEST_F(DnssecValidatorTest, ProvenAbsenceIsSecure) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  ResolveExpecting("nothing.secure.test", kDnsTypeTxt, DnsOutcome::kNxDomain,
                   DnssecSecurity::kSecure);
  ResolveExpecting("mx.secure.test", kDnsTypeAaaa, DnsOutcome::kNoData, DnssecSecurity::kSecure);
}

TEST_F(DnssecValidatorTest, DelegationWithoutDsIsInsecure) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  ValidatedResult mx =
      ResolveExpecting("insecure.test", kDnsTypeMx, DnsOutcome::kAnswer, DnssecSecurity::kInsecure);
  ASSERT_EQ(mx.mx.size(), 1u);
  EXPECT_EQ(mx.mx[0].host, "mx.insecure.test");
  ResolveExpecting("_25._tcp.mx.insecure.test", kDnsTypeTlsa, DnsOutcome::kAnswer,
                   DnssecSecurity::kInsecure);
}

TEST_F(DnssecValidatorTest, TamperedRecordIsBogusWithReason) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  ValidatedResult mx =
      ResolveExpecting("bogus.test", kDnsTypeMx, DnsOutcome::kServFail, DnssecSecurity::kBogus);
  EXPECT_TRUE(mx.mx.empty()) << "bogus data must be withheld";
  EXPECT_NE(mx.why_bogus.find("signature"), std::string::npos) << mx.why_bogus;
  // Untampered records of the same zone still validate.
  ValidatedResult a = Resolve("mx.bogus.test", kDnsTypeA);
  EXPECT_EQ(a.security, DnssecSecurity::kSecure) << a.why_bogus;
}

TEST_F(DnssecValidatorTest, ExpiredSignaturesAreBogus) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  ValidatedResult mx = Resolve("expired.test", kDnsTypeMx);
  EXPECT_EQ(mx.security, DnssecSecurity::kBogus);
  EXPECT_NE(mx.why_bogus.find("expired"), std::string::npos) << mx.why_bogus;
}

TEST_F(DnssecValidatorTest, WrongTrustAnchorMakesEverythingBogus) {
  std::ifstream in(zones_->trust_anchor_file());
  std::string line;
  std::getline(in, line);
  // Change the last digest digit: the anchor no longer matches the root's key.
  line.back() = line.back() == '0' ? '1' : '0';
  const std::string path = absl::StrCat(zones_->dir(), "/wrong.anchor");
  std::ofstream(path) << line << "\n";
  DnssecOptions o = LabOptions();
  o.trust_anchor_file = path;
  ASSERT_TRUE(Make(o).ok());
  ValidatedResult mx = Resolve("secure.test", kDnsTypeMx);
  EXPECT_EQ(mx.security, DnssecSecurity::kBogus);
  EXPECT_FALSE(mx.why_bogus.empty());
}

TEST_F(DnssecValidatorTest, CreateRejectsBadConfiguration) {
  DnssecOptions o = LabOptions();
  o.trust_anchor_file = "/nonexistent/root.key";
  absl::Status s = Make(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("/nonexistent/root.key"), absl::string_view::npos);

  const std::string empty = absl::StrCat(zones_->dir(), "/empty.anchor");
  std::ofstream(empty) << "; nothing here\n";
  o.trust_anchor_file = empty;
  s = Make(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no DS or DNSKEY"), absl::string_view::npos);

  o = LabOptions();
  o.forwarder = "resolver.example:53";
  s = Make(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not an IP address"), absl::string_view::npos);
  o.forwarder = "127.0.0.1:99999";
  EXPECT_EQ(Make(o).code(), absl::StatusCode::kInvalidArgument);
  // The same checks, off the reactor, for startup validation.
  EXPECT_EQ(DnssecValidator::ValidateOptions(o).code(), absl::StatusCode::kInvalidArgument);
  o.forwarder = "[::1]:5353";
  EXPECT_TRUE(DnssecValidator::ValidateOptions(o).ok());
  o.forwarder = "127.0.0.1@5353";
  EXPECT_TRUE(DnssecValidator::ValidateOptions(o).ok());
  o.trust_anchor_file = empty;
  EXPECT_EQ(DnssecValidator::ValidateOptions(o).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DnssecValidator::ValidateOptions(DnssecOptions{}).ok())
      << "Debian's root key (dns-root-data) is the default";
}

// Needs no lab: ValidateOptions touches neither libunbound nor the network.
TEST(DnssecOptionFaultTest, NamesTheOptionAtFault) {
  DnssecOptions o;
  o.trust_anchor_file = "/nonexistent/forwarder.anchor";
  EXPECT_EQ(DnssecOptionFaultOf(DnssecValidator::ValidateOptions(o)),
            DnssecOptionFault::kTrustAnchorFile);
  o = DnssecOptions{};
  o.forwarder = "trust-anchor.example";
  EXPECT_EQ(DnssecOptionFaultOf(DnssecValidator::ValidateOptions(o)),
            DnssecOptionFault::kForwarder);
  o = DnssecOptions{};
  o.stubs = {{".", "not-an-address"}};
  EXPECT_EQ(DnssecOptionFaultOf(DnssecValidator::ValidateOptions(o)), DnssecOptionFault::kStub);
  EXPECT_EQ(DnssecOptionFaultOf(absl::OkStatus()), DnssecOptionFault::kNone);
  EXPECT_EQ(DnssecOptionFaultOf(absl::InvalidArgumentError("trust anchor forwarder")),
            DnssecOptionFault::kNone);
}

TEST_F(DnssecValidatorTest, SilentServerTimesOutAtTheQueryDeadline) {
  // A bound UDP socket that never answers.
  fakes::SilentUdp silent;
  DnssecOptions o = LabOptions();
  o.forwarder = absl::StrCat("127.0.0.1@", silent.port());
  o.query_timeout = absl::Milliseconds(400);
  ASSERT_TRUE(Make(o).ok());
  const absl::Time start = absl::Now();
  ResolveExpecting("secure.test", kDnsTypeMx, DnsOutcome::kTimeout, DnssecSecurity::kUnknown);
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(350));
  EXPECT_LT(took, absl::Seconds(3));
}

// max_outstanding: queries beyond it wait in line and are sent as places free;
// every one is answered.
TEST_F(DnssecValidatorTest, QueriesBeyondTheLimitWaitTheirTurn) {
  DnssecOptions o = LabOptions();
  o.max_outstanding = 1;
  ASSERT_TRUE(Make(o).ok());
  absl::Mutex mu;
  std::vector<ValidatedResult> results;
  OnReactor([&] {
    for (const char* name : {"secure.test", "secure.test", "secure.test"}) {
      validator_->Resolve(name, kDnsTypeMx, [&](ValidatedResult r) {
        absl::MutexLock l(&mu);
        results.push_back(std::move(r));
      });
    }
    EXPECT_EQ(validator_->InFlight(), 3);
    EXPECT_EQ(validator_->Waiting(), 2);
  });
  absl::MutexLock l(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                      +[](std::vector<ValidatedResult>* r) { return r->size() == 3; },
                                      &results),
                                  absl::Seconds(20)));
  for (const ValidatedResult& r : results) {
    EXPECT_EQ(r.outcome, DnsOutcome::kAnswer) << r.detail;
    EXPECT_EQ(r.security, DnssecSecurity::kSecure);
  }
}

// A query that never got a place before its time ran out is the checker's own
// overload (kResolverOverloaded), not a timeout at the name's servers; the
// ones that were sent to a silent forwarder time out as usual.
TEST_F(DnssecValidatorTest, NeverSentBeforeItsTimeoutIsOurOverload) {
  fakes::SilentUdp silent;
  DnssecOptions o = LabOptions();
  o.forwarder = absl::StrCat("127.0.0.1@", silent.port());
  o.max_outstanding = 2;
  ASSERT_TRUE(Make(o).ok());
  absl::Mutex mu;
  std::map<std::string, ValidatedResult> results;
  OnReactor([&] {
    int i = 0;
    for (const char* name : {"a.test", "b.test", "c.test", "d.test", "e.test"}) {
      // The two sent first outlive the three waiting behind them.
      const absl::Duration timeout = i++ < 2 ? absl::Seconds(2) : absl::Milliseconds(300);
      validator_->Resolve(name, kDnsTypeMx, timeout, [&, name = std::string(name)](ValidatedResult r) {
        absl::MutexLock l(&mu);
        results[name] = std::move(r);
      });
    }
  });
  absl::MutexLock l(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(
      absl::Condition(+[](std::map<std::string, ValidatedResult>* r) { return r->size() == 5; },
                      &results),
      absl::Seconds(20)));
  for (const char* sent : {"a.test", "b.test"}) {
    EXPECT_EQ(results[sent].outcome, DnsOutcome::kTimeout) << sent;
  }
  for (const char* waited : {"c.test", "d.test", "e.test"}) {
    EXPECT_EQ(results[waited].outcome, DnsOutcome::kResolverOverloaded) << waited;
    EXPECT_NE(results[waited].detail.find("2 validated lookups outstanding"), std::string::npos)
        << results[waited].detail;
    EXPECT_EQ(results[waited].security, DnssecSecurity::kUnknown);
  }
}

TEST_F(DnssecValidatorTest, CancelledQueryNeverCallsBack) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  bool called = false;
  OnReactor([&] {
    auto id = validator_->Resolve("secure.test", kDnsTypeTxt, [&](ValidatedResult) { called = true; });
    validator_->Cancel(id);
    EXPECT_EQ(validator_->InFlight(), 0);
  });
  // The same question again on the same validator completes, so the answer
  // the cancelled query waited for has come (callbacks run on this reactor,
  // in order); the cancelled one stays silent.
  ValidatedResult r = Resolve("secure.test", kDnsTypeTxt);
  EXPECT_EQ(r.security, DnssecSecurity::kSecure);
  OnReactor([&] { EXPECT_FALSE(called); });
}

TEST_F(DnssecValidatorTest, FullRecursionFromTheLabRoot) {
  // No forwarder: the validator starts at the root (a stub for "." standing
  // in for the root hints) and follows referrals, which carry no port, so
  // this nsd listens on port 53 of an address of its own.
  if (geteuid() != 0) {
    MTASTS_SKIP_OR_FAIL_IN_CI("port 53 needs root");
  }
  SignedZones::Options zo;
  zo.address = absl::StrCat("127.53.", getpid() % 250 + 1, ".", (getpid() / 250) % 250 + 1);
  zo.port = 53;
  auto root = SignedZones::Start(zo);
  ASSERT_TRUE(root.ok()) << root.status();
  DnssecOptions o;
  o.trust_anchor_file = (*root)->trust_anchor_file();
  o.stubs = {{".", (*root)->address()}};
  o.allow_localhost = true;
  o.unblock_local_zones = {"test."};
  ASSERT_TRUE(Make(o).ok());
  ResolveExpecting("secure.test", kDnsTypeMx, DnsOutcome::kAnswer, DnssecSecurity::kSecure);
  EXPECT_EQ(Resolve("insecure.test", kDnsTypeMx).security, DnssecSecurity::kInsecure);
  EXPECT_EQ(Resolve("bogus.test", kDnsTypeMx).security, DnssecSecurity::kBogus);
  EXPECT_EQ(Resolve("expired.test", kDnsTypeTxt).security, DnssecSecurity::kBogus);
  ValidatedResult tlsa = Resolve("_25._tcp.mx.secure.test", kDnsTypeTlsa);
  EXPECT_EQ(tlsa.security, DnssecSecurity::kSecure);
  EXPECT_EQ(tlsa.rdata.size(), 1u);
  OnReactor([this] { validator_.reset(); });
}

TEST_F(DnssecValidatorTest, DestroyedWithQueriesInFlight) {
  ASSERT_TRUE(Make(LabOptions()).ok());
  bool called = false;
  OnReactor([&] {
    for (int i = 0; i < 10; ++i) {
      validator_->Resolve(absl::StrCat("n", i, ".secure.test"), kDnsTypeA,
                          [&](ValidatedResult) { called = true; });
    }
    validator_.reset();
  });
  // A new validator asks the same questions: once it has every answer, the
  // answers to the destroyed one's queries have come too.
  ASSERT_TRUE(Make(LabOptions()).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Resolve(absl::StrCat("n", i, ".secure.test"), kDnsTypeA).outcome,
              DnsOutcome::kNxDomain);
  }
  OnReactor([&] { EXPECT_FALSE(called); });
}

}  // namespace
}  // namespace mtasts::net

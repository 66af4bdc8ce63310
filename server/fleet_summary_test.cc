#include "server/fleet_summary.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

v1::DomainReport Report(const std::string& domain, int score, v1::Grade grade,
                        v1::MtaStsState state, absl::Duration took = absl::Milliseconds(1)) {
  v1::DomainReport r;
  r.set_domain(domain);
  r.set_score(score);
  r.set_grade(grade);
  r.set_state(state);
  *r.mutable_duration() = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(took));
  return r;
}

std::vector<std::string> SlowestDomains(const v1::FleetSummary& s) {
  std::vector<std::string> out;
  for (const auto& d : s.slowest()) out.push_back(d.domain());
  return out;
}

TEST(FleetSummaryTest, EmptyStreamHasZeroCountsTenEmptyBucketsAndMeanZero) {
  const v1::FleetSummary s = FleetSummaryBuilder().Build(absl::Milliseconds(1500));
  EXPECT_EQ(s.received(), 0);
  EXPECT_EQ(s.reported(), 0);
  EXPECT_EQ(s.errors(), 0);
  EXPECT_EQ(s.by_grade_size(), 0);
  EXPECT_EQ(s.by_state_size(), 0);
  EXPECT_THAT(s.score_histogram(), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(s.mean_score(), 0);
  EXPECT_EQ(s.slowest_size(), 0);
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.duration()), 1500);
}

TEST(FleetSummaryTest, ReceivedReportedAndErrorsAreCountedSeparately) {
  FleetSummaryBuilder b;
  for (int i = 0; i < 5; ++i) b.AddReceived();
  b.AddError();
  b.AddError();
  b.AddReport("t", Report("a.example", 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  EXPECT_EQ(b.received(), 5);
  EXPECT_EQ(b.errors(), 2);
  EXPECT_EQ(b.reported(), 1);
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_EQ(s.received(), 5);
  EXPECT_EQ(s.errors(), 2);
  EXPECT_EQ(s.reported(), 1);
}

TEST(FleetSummaryTest, GradesAndStatesAreCountedInEnumOrderOnlyWhenSeen) {
  FleetSummaryBuilder b;
  b.AddReport("", Report("f1", 10, v1::GRADE_F, v1::MTA_STS_STATE_BROKEN));
  b.AddReport("", Report("a1", 95, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  b.AddReport("", Report("f2", 0, v1::GRADE_F, v1::MTA_STS_STATE_ABSENT));
  b.AddReport("", Report("c1", 65, v1::GRADE_C, v1::MTA_STS_STATE_BROKEN));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  ASSERT_EQ(s.by_grade_size(), 3);
  EXPECT_EQ(s.by_grade(0).grade(), v1::GRADE_A);
  EXPECT_EQ(s.by_grade(0).count(), 1);
  EXPECT_EQ(s.by_grade(1).grade(), v1::GRADE_C);
  EXPECT_EQ(s.by_grade(1).count(), 1);
  EXPECT_EQ(s.by_grade(2).grade(), v1::GRADE_F);
  EXPECT_EQ(s.by_grade(2).count(), 2);
  ASSERT_EQ(s.by_state_size(), 3);
  EXPECT_EQ(s.by_state(0).state(), v1::MTA_STS_STATE_ENFORCED);
  EXPECT_EQ(s.by_state(0).count(), 1);
  EXPECT_EQ(s.by_state(1).state(), v1::MTA_STS_STATE_ABSENT);
  EXPECT_EQ(s.by_state(1).count(), 1);
  EXPECT_EQ(s.by_state(2).state(), v1::MTA_STS_STATE_BROKEN);
  EXPECT_EQ(s.by_state(2).count(), 2);
}

TEST(FleetSummaryTest, HistogramBucketsAreTensWithOneHundredInTheLast) {
  FleetSummaryBuilder b;
  // Bucket i holds [10i, 10i+9]; 100 goes to bucket 9; out-of-range scores
  // (never produced by scoring) are clamped rather than dropped.
  for (int score : {0, 9, 10, 19, 55, 89, 90, 99, 100, -7, 250}) {
    b.AddReport("", Report(absl::StrCat("s", score), score, v1::GRADE_F, v1::MTA_STS_STATE_ABSENT));
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_THAT(s.score_histogram(), ElementsAre(3, 2, 0, 0, 0, 1, 0, 0, 1, 4));
}

TEST(FleetSummaryTest, MeanIsOverReportsOnlyNotErrors) {
  FleetSummaryBuilder b;
  b.AddError();
  b.AddReport("", Report("a", 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  b.AddReport("", Report("b", 50, v1::GRADE_D, v1::MTA_STS_STATE_TESTING));
  b.AddReport("", Report("c", 25, v1::GRADE_F, v1::MTA_STS_STATE_BROKEN));
  EXPECT_DOUBLE_EQ(b.Build(absl::ZeroDuration()).mean_score(), 175.0 / 3);
}

TEST(FleetSummaryTest, SlowestKeepsTheTenSlowestSlowestFirstWithTheirTags) {
  FleetSummaryBuilder b;
  // Durations 1..12 ms in a scrambled order.
  for (int ms : {7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6}) {
    b.AddReport(absl::StrCat("tag-", ms),
                Report(absl::StrCat("d", ms), 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                       absl::Milliseconds(ms)));
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_THAT(SlowestDomains(s),
              ElementsAre("d12", "d11", "d10", "d9", "d8", "d7", "d6", "d5", "d4", "d3"));
  EXPECT_EQ(s.slowest(0).tag(), "tag-12");
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.slowest(0).duration()), 12);
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.slowest(9).duration()), 3);
}

TEST(FleetSummaryTest, EqualDurationsKeepTheirArrivalOrder) {
  FleetSummaryBuilder b;
  for (int i = 0; i < 12; ++i) {
    b.AddReport("", Report(absl::StrCat("d", i), 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                           absl::Milliseconds(i == 5 ? 9 : 4)));
  }
  EXPECT_THAT(SlowestDomains(b.Build(absl::ZeroDuration())),
              ElementsAre("d5", "d0", "d1", "d2", "d3", "d4", "d6", "d7", "d8", "d9"));
}

// Against an independent oracle: a stable sort of everything, cut to ten.
TEST(FleetSummaryTest, SlowestMatchesAStableSortOfAllReports) {
  absl::BitGen gen(std::seed_seq{42});
  for (int round = 0; round < 50; ++round) {
    FleetSummaryBuilder b;
    std::vector<std::pair<int, std::string>> all;  // (ms, domain)
    const int n = absl::Uniform(gen, 0, 40);
    for (int i = 0; i < n; ++i) {
      const int ms = absl::Uniform(gen, 0, 8);  // many ties
      const std::string domain = absl::StrCat("r", round, "-", i);
      all.push_back({ms, domain});
      b.AddReport("", Report(domain, 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                             absl::Milliseconds(ms)));
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    std::vector<std::string> want;
    for (size_t i = 0; i < all.size() && i < FleetSummaryBuilder::kSlowest; ++i) {
      want.push_back(all[i].second);
    }
    EXPECT_THAT(SlowestDomains(b.Build(absl::ZeroDuration())), ElementsAreArray(want))
        << "round " << round;
  }
}

// --- Groups ---

using ::testing::IsEmpty;

v1::Finding MakeFinding(v1::FindingCode code, v1::Severity severity, const std::string& subject = "") {
  v1::Finding f;
  f.set_code(code);
  f.set_severity(severity);
  f.set_subject(subject);
  return f;
}

v1::CheckResult* AddCheck(v1::DomainReport* r, const std::string& name, v1::CheckStatus status,
                          std::vector<v1::Finding> findings = {}) {
  v1::CheckResult* c = r->add_checks();
  c->set_check(name);
  c->set_status(status);
  for (auto& f : findings) *c->add_findings() = f;
  return c;
}

v1::DomainReport Bare(const std::string& domain) {
  return Report(domain, 50, v1::GRADE_D, v1::MTA_STS_STATE_TESTING);
}

// A domain with MX hosts and an mx_tls result with `findings`.
v1::DomainReport WithMx(const std::string& domain, const std::vector<std::string>& hosts,
                        std::vector<v1::Finding> findings = {},
                        v1::CheckStatus status = v1::CHECK_STATUS_PASS) {
  v1::DomainReport r = Bare(domain);
  for (const auto& h : hosts) r.mutable_evidence()->add_mx_hosts()->set_name(h);
  AddCheck(&r, "mx_tls", status, std::move(findings));
  return r;
}

const v1::FleetGrouping* GroupingOf(const v1::FleetSummary&& s, v1::FleetGroupKind kind) = delete;
const v1::FleetGrouping* GroupingOf(const v1::FleetSummary& s, v1::FleetGroupKind kind) {
  for (const auto& g : s.groupings()) {
    if (g.kind() == kind) return &g;
  }
  return nullptr;
}

// "key=count" per group, in order.
std::vector<std::string> Keys(const v1::FleetGrouping* g) {
  std::vector<std::string> out;
  if (g == nullptr) return out;
  for (const auto& group : g->groups()) out.push_back(absl::StrCat(group.key(), "=", group.count()));
  return out;
}

std::vector<std::string> Examples(const v1::FleetGroup& g) {
  std::vector<std::string> out;
  for (const auto& e : g.examples()) out.push_back(absl::StrCat(e.domain(), "/", e.tag()));
  return out;
}

TEST(FleetGroupsTest, NoReportsNoGroupings) {
  FleetSummaryBuilder b;
  b.AddReport("", Bare("plain.example"));  // no findings, no evidence
  EXPECT_THAT(b.Build(absl::ZeroDuration()).groupings(), IsEmpty());
}

TEST(FleetGroupsTest, FindingCodesCountDomainsOnceAtTheirMostSevereAndLeaveOutInfo) {
  FleetSummaryBuilder b;
  v1::DomainReport a = Bare("a.example");
  // The same code twice in one domain (two checks, two severities): one domain.
  AddCheck(&a, "mx_tls", v1::CHECK_STATUS_FAIL,
           {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH, "mx.p.example"),
            MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_CRITICAL, "mx2.p.example")});
  AddCheck(&a, "txt", v1::CHECK_STATUS_PASS, {MakeFinding(v1::TXT_VALID, v1::SEVERITY_INFO)});
  *a.add_domain_findings() = MakeFinding(v1::MX_TARGET_IS_CNAME, v1::SEVERITY_MEDIUM);
  b.AddReport("t-a", a);
  v1::DomainReport c = Bare("c.example");
  AddCheck(&c, "mx_tls", v1::CHECK_STATUS_FAIL,
           {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH, "mx.p.example")});
  b.AddReport("t-c", c);
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* codes = GroupingOf(s, v1::FLEET_GROUP_KIND_FINDING_CODE);
  ASSERT_NE(codes, nullptr);
  // TXT_VALID (INFO) is not a group.
  EXPECT_THAT(Keys(codes), ElementsAre("MX_TLS_CERT_EXPIRED=2", "MX_TARGET_IS_CNAME=1"));
  const v1::FleetGroup& expired = codes->groups(0);
  EXPECT_EQ(expired.code(), v1::MX_TLS_CERT_EXPIRED);
  EXPECT_EQ(expired.severity(), v1::SEVERITY_CRITICAL);
  EXPECT_THAT(Examples(expired), ElementsAre("a.example/t-a", "c.example/t-c"));
  EXPECT_EQ(expired.outcome(), "");
  EXPECT_EQ(codes->keys_tracked(), 2);
  EXPECT_EQ(codes->keys_not_sent(), 0);
  EXPECT_EQ(codes->untracked(), 0);
}

TEST(FleetGroupsTest, MxHostsAreNormalisedAndCarryTheFindingAboutThem) {
  FleetSummaryBuilder b;
  b.AddReport("", WithMx("a.example", {"MX.Provider.Example.", "mx.a.example"},
                         {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH,
                                      "mx.provider.example")},
                         v1::CHECK_STATUS_FAIL));
  // The same host twice in one domain's MX set counts once.
  b.AddReport("", WithMx("b.example", {"mx.provider.example", "mx.provider.example."},
                         {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH,
                                      "MX.provider.example")},
                         v1::CHECK_STATUS_FAIL));
  // mx_tls not run for this one (fast mode).
  b.AddReport("", WithMx("c.example", {"mx.c.example"}, {}, v1::CHECK_STATUS_NOT_RUN));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* mx = GroupingOf(s, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  EXPECT_THAT(Keys(mx), ElementsAre("mx.provider.example=2", "mx.a.example=1", "mx.c.example=1"));
  EXPECT_EQ(mx->groups(0).outcome(), "MX_TLS_CERT_EXPIRED");
  EXPECT_EQ(mx->groups(0).outcome_count(), 2);
  EXPECT_EQ(mx->groups(0).severity(), v1::SEVERITY_HIGH);
  // No finding names mx.a.example and mx_tls reached a verdict: the host was fine.
  EXPECT_EQ(mx->groups(1).outcome(), "ok");
  EXPECT_EQ(mx->groups(1).severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(mx->groups(2).outcome(), "NOT_RUN");
  EXPECT_EQ(mx->groups(2).severity(), v1::SEVERITY_UNSPECIFIED);
  // Groupings come in kind order: finding codes before MX hosts.
  ASSERT_EQ(s.groupings_size(), 2);
  EXPECT_EQ(s.groupings(0).kind(), v1::FLEET_GROUP_KIND_FINDING_CODE);
  EXPECT_EQ(s.groupings(1).kind(), v1::FLEET_GROUP_KIND_MX_HOST);
}

TEST(FleetGroupsTest, DifferingOutcomesShowTheWorstThenTheMostFrequent) {
  FleetSummaryBuilder b;
  // Three domains saw the host fine, one saw it expired: expired is shown.
  for (const char* d : {"a.example", "b.example", "c.example"}) {
    b.AddReport("", WithMx(d, {"mx.p.example"}));
  }
  b.AddReport("", WithMx("d.example", {"mx.p.example"},
                         {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH, "mx.p.example")},
                         v1::CHECK_STATUS_FAIL));
  // Equal severity: the outcome more domains saw; equal counts: by name.
  for (const char* d : {"e.example", "f.example"}) {
    b.AddReport("", WithMx(d, {"mx.q.example"},
                           {MakeFinding(v1::MX_TLS_TIMEOUT, v1::SEVERITY_MEDIUM, "mx.q.example")},
                           v1::CHECK_STATUS_FAIL));
  }
  b.AddReport("", WithMx("g.example", {"mx.q.example"},
                         {MakeFinding(v1::MX_TLS_CONNECT_FAILED, v1::SEVERITY_MEDIUM, "mx.q.example")},
                         v1::CHECK_STATUS_FAIL));
  b.AddReport("", WithMx("h.example", {"mx.r.example"},
                         {MakeFinding(v1::MX_TLS_TIMEOUT, v1::SEVERITY_MEDIUM, "mx.r.example")},
                         v1::CHECK_STATUS_FAIL));
  b.AddReport("", WithMx("i.example", {"mx.r.example"},
                         {MakeFinding(v1::MX_TLS_CONNECT_FAILED, v1::SEVERITY_MEDIUM, "mx.r.example")},
                         v1::CHECK_STATUS_FAIL));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* mx = GroupingOf(s, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  EXPECT_THAT(Keys(mx), ElementsAre("mx.p.example=4", "mx.q.example=3", "mx.r.example=2"));
  EXPECT_EQ(mx->groups(0).outcome(), "MX_TLS_CERT_EXPIRED");
  EXPECT_EQ(mx->groups(0).outcome_count(), 1);
  EXPECT_EQ(mx->groups(1).outcome(), "MX_TLS_TIMEOUT");
  EXPECT_EQ(mx->groups(1).outcome_count(), 2);
  EXPECT_EQ(mx->groups(2).outcome(), "MX_TLS_CONNECT_FAILED");
  EXPECT_EQ(mx->groups(2).outcome_count(), 1);
}

TEST(FleetGroupsTest, PolicyAddressesAndCertificatesGroupWithTheirOutcomes) {
  FleetSummaryBuilder b;
  auto policy = [](const std::string& domain, const std::string& address,
                   const std::string& outcome, const std::string& cert_error) {
    v1::DomainReport r = Bare(domain);
    v1::PolicyEvidence* p = r.mutable_evidence()->mutable_policy();
    v1::AddressOutcome* a = p->add_addresses();
    a->set_address(address);
    a->set_outcome(outcome);
    if (outcome == "ok") {
      v1::CertificateEvidence* c = p->mutable_certificate();
      c->set_subject("CN=mta-sts.provider.example");
      c->set_issuer("CN=Lab CA");
      c->mutable_not_after()->set_seconds(1800000000);  // 2027-01-15T08:00:00Z
      c->set_validation_error(cert_error);
    }
    const bool fails = outcome != "ok" || !cert_error.empty();
    AddCheck(&r, "policy_fetch", fails ? v1::CHECK_STATUS_FAIL : v1::CHECK_STATUS_PASS,
             fails ? std::vector<v1::Finding>{MakeFinding(v1::POLICY_CONNECT_FAILED,
                                                          v1::SEVERITY_CRITICAL)}
                   : std::vector<v1::Finding>{});
    return r;
  };
  b.AddReport("", policy("a.example", "192.0.2.1", "ok", ""));
  b.AddReport("", policy("b.example", "192.0.2.1", "ok", ""));
  b.AddReport("", policy("c.example", "192.0.2.1", "ok", "certificate has expired"));
  b.AddReport("", policy("d.example", "192.0.2.9", "connection refused", ""));
  b.AddReport("", policy("e.example", "192.0.2.9", "connection refused", ""));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());

  const v1::FleetGrouping* addresses = GroupingOf(s, v1::FLEET_GROUP_KIND_POLICY_ADDRESS);
  ASSERT_NE(addresses, nullptr);
  EXPECT_THAT(Keys(addresses), ElementsAre("192.0.2.1=3", "192.0.2.9=2"));
  EXPECT_EQ(addresses->groups(0).outcome(), "ok");
  EXPECT_EQ(addresses->groups(0).outcome_count(), 3);
  EXPECT_EQ(addresses->groups(1).outcome(), "connection refused");
  EXPECT_EQ(addresses->groups(1).severity(), v1::SEVERITY_CRITICAL);

  const v1::FleetGrouping* certs = GroupingOf(s, v1::FLEET_GROUP_KIND_POLICY_CERTIFICATE);
  ASSERT_NE(certs, nullptr);
  ASSERT_EQ(certs->groups_size(), 1);  // no certificate from the refused address
  const v1::FleetGroup& cert = certs->groups(0);
  EXPECT_EQ(cert.key(),
            "CN=mta-sts.provider.example; issuer CN=Lab CA; not after 2027-01-15T08:00:00Z");
  EXPECT_EQ(cert.count(), 3);
  EXPECT_EQ(cert.outcome(), "certificate has expired");
  EXPECT_EQ(cert.outcome_count(), 1);
  EXPECT_EQ(cert.severity(), v1::SEVERITY_CRITICAL);
}

TEST(FleetGroupsTest, TlsRptDestinationsCarryRecordWideDefects) {
  FleetSummaryBuilder b;
  auto rpt = [](const std::string& domain, std::vector<std::string> rua,
                std::vector<v1::Finding> findings) {
    v1::DomainReport r = Bare(domain);
    for (const auto& u : rua) r.mutable_evidence()->mutable_tls_rpt()->add_rua(u);
    AddCheck(&r, "tls_rpt", findings.empty() ? v1::CHECK_STATUS_PASS : v1::CHECK_STATUS_WARN,
             std::move(findings));
    return r;
  };
  b.AddReport("", rpt("a.example", {"mailto:r@p.example", "mailto:r@p.example"}, {}));
  b.AddReport("", rpt("b.example", {"mailto:r@p.example", "https://r.p.example/"},
                      {MakeFinding(v1::TLSRPT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH)}));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* rua =
      GroupingOf(s, v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION);
  ASSERT_NE(rua, nullptr);
  EXPECT_THAT(Keys(rua), ElementsAre("mailto:r@p.example=2", "https://r.p.example/=1"));
  EXPECT_EQ(rua->groups(0).outcome(), "TLSRPT_MULTIPLE_RECORDS");
  EXPECT_EQ(rua->groups(0).outcome_count(), 1);
  EXPECT_EQ(rua->groups(1).outcome(), "TLSRPT_MULTIPLE_RECORDS");
}

TEST(FleetGroupsTest, LargestFirstThenMostSevereThenByKeyAtMostTwentySent) {
  FleetSummaryBuilder b;
  // 25 hosts: host k used by k domains for k = 1..25 (k = 3 twice over, tied).
  int n = 0;
  for (int k = 1; k <= 25; ++k) {
    for (int i = 0; i < k; ++i) {
      b.AddReport("", WithMx(absl::StrCat("d", n++, ".example"), {absl::StrCat("mx", k, ".example")}));
    }
  }
  // Two hosts of 25 domains each, one failing: the failing one first; and
  // two of 24, equally fine: by key.
  for (int i = 0; i < 25; ++i) {
    b.AddReport("", WithMx(absl::StrCat("z", i, ".example"), {"zz.example"},
                           {MakeFinding(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH, "zz.example")},
                           v1::CHECK_STATUS_FAIL));
  }
  for (int i = 0; i < 24; ++i) b.AddReport("", WithMx(absl::StrCat("y", i, ".example"), {"aa.example"}));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* mx = GroupingOf(s, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  ASSERT_EQ(mx->groups_size(), static_cast<int>(FleetSummaryBuilder::kGroupsSent));
  std::vector<std::string> keys = Keys(mx);
  EXPECT_THAT(std::vector<std::string>(keys.begin(), keys.begin() + 5),
              ElementsAre("zz.example=25", "mx25.example=25", "aa.example=24", "mx24.example=24",
                          "mx23.example=23"));
  EXPECT_EQ(keys.back(), "mx8.example=8");
  EXPECT_EQ(mx->keys_tracked(), 27);
  EXPECT_EQ(mx->keys_not_sent(), 7);
  EXPECT_EQ(mx->untracked(), 0);
}

TEST(FleetGroupsTest, KeysBeyondTheLimitAreCountedAsUntrackedAndTrackedOnesStillGrow) {
  FleetSummaryBuilder b;
  const size_t limit = FleetSummaryBuilder::kMaxKeys;
  for (size_t i = 0; i < limit; ++i) {
    b.AddReport("", WithMx(absl::StrCat("d", i, ".example"), {absl::StrCat("mx", i, ".example")}));
  }
  // 10 new hosts after the limit: not tracked; an old host: still counted.
  for (int i = 0; i < 10; ++i) {
    b.AddReport("", WithMx(absl::StrCat("late", i, ".example"),
                           {absl::StrCat("late-mx", i, ".example"), "mx7.example"}));
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* mx = GroupingOf(s, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(mx->keys_tracked(), static_cast<int>(limit));
  EXPECT_EQ(mx->untracked(), 10);
  EXPECT_EQ(mx->keys_not_sent(), static_cast<int>(limit - FleetSummaryBuilder::kGroupsSent));
  EXPECT_EQ(Keys(mx).front(), "mx7.example=11");
}

TEST(FleetGroupsTest, HostileKeysTagsAndOutcomesAreCutOnCharacterBoundaries) {
  FleetSummaryBuilder b;
  // A rua URI of 300 bytes whose 255th byte falls inside a two-byte
  // character, and one with a byte that is not UTF-8.
  const std::string uri = "mailto:" + std::string(247, 'a') + "\xc3\xa9" + std::string(44, 'b');
  v1::DomainReport r = Bare("a.example");
  r.mutable_evidence()->mutable_tls_rpt()->add_rua(uri);
  r.mutable_evidence()->mutable_tls_rpt()->add_rua("mailto:\xff@p.example");
  AddCheck(&r, "tls_rpt", v1::CHECK_STATUS_PASS);
  // A policy address outcome of 200 bytes.
  v1::AddressOutcome* a = r.mutable_evidence()->mutable_policy()->add_addresses();
  a->set_address("192.0.2.1");
  a->set_outcome(std::string(200, 'x'));
  const std::string tag(100, 't');
  b.AddReport(tag, r);
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* rua = GroupingOf(s, v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION);
  ASSERT_NE(rua, nullptr);
  ASSERT_EQ(rua->groups_size(), 2);
  // Equal counts: by key, and "mailto:a" sorts before "mailto:\xef".
  const std::string& key = rua->groups(0).key();
  // The character that did not fit is left out whole.
  EXPECT_EQ(key, "mailto:" + std::string(247, 'a'));
  EXPECT_EQ(rua->groups(1).key(), "mailto:\xef\xbf\xbd@p.example");  // U+FFFD
  EXPECT_EQ(rua->groups(0).examples(0).tag(), std::string(FleetSummaryBuilder::kMaxTagOctets, 't'));
  const v1::FleetGrouping* addr = GroupingOf(s, v1::FLEET_GROUP_KIND_POLICY_ADDRESS);
  ASSERT_NE(addr, nullptr);
  EXPECT_EQ(addr->groups(0).outcome(), std::string(FleetSummaryBuilder::kMaxOutcomeOctets, 'x'));
}

TEST(FleetGroupsTest, AtMostFourOutcomesPerKeyAndAWorseOneDisplacesTheLeastSevere) {
  FleetSummaryBuilder b;
  const std::vector<std::pair<std::string, v1::Severity>> outcomes = {
      {"one", v1::SEVERITY_LOW},  {"two", v1::SEVERITY_LOW},     {"three", v1::SEVERITY_MEDIUM},
      {"four", v1::SEVERITY_MEDIUM}, {"five", v1::SEVERITY_LOW}, {"six", v1::SEVERITY_CRITICAL}};
  int n = 0;
  for (const auto& [text, severity] : outcomes) {
    v1::DomainReport r = Bare(absl::StrCat("d", n++, ".example"));
    v1::AddressOutcome* a = r.mutable_evidence()->mutable_policy()->add_addresses();
    a->set_address("192.0.2.1");
    a->set_outcome(text);
    AddCheck(&r, "policy_fetch", v1::CHECK_STATUS_FAIL,
             {MakeFinding(v1::POLICY_CONNECT_FAILED, severity, "192.0.2.1")});
    b.AddReport("", r);
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  const v1::FleetGrouping* addr =
      GroupingOf(s, v1::FLEET_GROUP_KIND_POLICY_ADDRESS);
  ASSERT_NE(addr, nullptr);
  // "five" found the list full and no less severe entry; "six" displaced a LOW one.
  EXPECT_EQ(addr->groups(0).count(), 6);
  EXPECT_EQ(addr->groups(0).outcome(), "six");
  EXPECT_EQ(addr->groups(0).severity(), v1::SEVERITY_CRITICAL);
}

TEST(FleetGroupsTest, ExamplesAreTheSmallestThreeWhateverTheOrderOfCompletion) {
  std::vector<std::pair<std::string, std::string>> domains;  // (domain, tag)
  for (int i = 0; i < 12; ++i) domains.push_back({absl::StrCat("d", i % 6, ".example"), absl::StrCat("t", i)});
  std::string first;
  absl::BitGen gen(std::seed_seq{9});
  for (int round = 0; round < 20; ++round) {
    std::shuffle(domains.begin(), domains.end(), gen);
    FleetSummaryBuilder b;
    for (const auto& [d, t] : domains) b.AddReport(t, WithMx(d, {"mx.p.example", absl::StrCat("mx.", d)}));
    const v1::FleetSummary s = b.Build(absl::ZeroDuration());
    const v1::FleetGrouping* mx = GroupingOf(s, v1::FLEET_GROUP_KIND_MX_HOST);
    ASSERT_NE(mx, nullptr);
    EXPECT_THAT(Examples(mx->groups(0)),
                ElementsAre("d0.example/t0", "d0.example/t6", "d1.example/t1"));
    // The whole grouping is the same in any order.
    std::string text;
    ASSERT_TRUE(s.groupings(0).SerializeToString(&text));
    if (round == 0) first = text;
    EXPECT_EQ(text, first) << "round " << round;
  }
}

}  // namespace
}  // namespace mtasts::server

// A provider's fleet sharing MX and policy hosts, some broken, grouped in
// the stream's summary.
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using ::testing::ElementsAre;

// --- The summary's groups: 30 domains of one provider sharing 3 MX hosts
// (one with an expired certificate) and 2 policy hosts (one refusing
// connections), over the real checks and the fakes.

constexpr char kMx1[] = "mx1.provider.example";
constexpr char kMx2[] = "mx2.provider.example";  // expired certificate
constexpr char kMx3[] = "mx3.provider.example";
constexpr char kMx1Addr[] = "127.0.0.2";
constexpr char kMx2Addr[] = "127.0.0.3";
constexpr char kMx3Addr[] = "127.0.0.4";
constexpr char kPolicyAddr[] = "127.0.0.1";  // the lab's web server
constexpr char kDeadPolicyAddr[] = "127.0.0.9";  // nothing listens: refused
constexpr char kRua[] = "mailto:tlsrpt@provider.example";
constexpr char kRuaHttps[] = "https://reports.provider.example/v1";
constexpr int kGroupDomains = 30;

std::string GroupDomain(int i) { return absl::StrFormat("g%02d.customers.example", i); }

// Domain i: primary MX host mx{i%3+1}; those on mx2 keep mx1 as a backup.
// Its policy (enforce, listing its hosts) is served from the lab's web server
// for i < 20 and from a dead address for the rest. Every domain reports to
// kRua; the first five also to kRuaHttps.
std::vector<std::string> HostsOf(int i) {
  switch (i % 3) {
    case 0: return {kMx1};
    case 1: return {kMx2, kMx1};
    default: return {kMx3};
  }
}

const v1::FleetGrouping* GroupingOf(const v1::FleetSummary& s, v1::FleetGroupKind kind) {
  for (const auto& g : s.groupings()) {
    if (g.kind() == kind) return &g;
  }
  return nullptr;
}

const v1::FleetGroup* GroupOf(const v1::FleetGrouping* g, const std::string& key) {
  if (g == nullptr) return nullptr;
  for (const auto& group : g->groups()) {
    if (group.key() == key) return &group;
  }
  return nullptr;
}

std::vector<std::string> KeyCounts(const v1::FleetGrouping* g) {
  std::vector<std::string> out;
  if (g == nullptr) return out;
  for (const auto& group : g->groups()) out.push_back(absl::StrCat(group.key(), "=", group.count()));
  return out;
}

std::vector<std::string> ExampleList(const v1::FleetGroup& g) {
  std::vector<std::string> out;
  for (const auto& e : g.examples()) out.push_back(absl::StrCat(e.domain(), " [", e.tag(), "]"));
  return out;
}

TEST(FleetGroupsTest, SharedHostsAreGroupedWithTheirOutcomes) {
  auto smtp = fakes::FakeSmtpServer::Start({kMx1Addr, kMx2Addr, kMx3Addr});
  ASSERT_TRUE(smtp.ok()) << smtp.status();
  auto lab = TestLab::Start(LabOptions{.smtp_port = (*smtp)->port(),
                                       .smtp_phase_timeout = absl::Milliseconds(800)});
  ASSERT_NE(lab, nullptr);
  auto issue = [&](const fakes::CertSpec& spec) {
    auto cert = lab->ca().Issue(spec);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *std::move(cert);
  };
  using fakes::CertSpec;
  using fakes::FakeSmtpScript;
  ASSERT_TRUE((*smtp)->SetScript(kMx1Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx1}))))
                  .ok());
  ASSERT_TRUE(
      (*smtp)->SetScript(kMx2Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx2}).Expired())))
          .ok());
  ASSERT_TRUE((*smtp)->SetScript(kMx3Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx3}))))
                  .ok());
  lab->dns().A(kMx1, {kMx1Addr});
  lab->dns().A(kMx2, {kMx2Addr});
  lab->dns().A(kMx3, {kMx3Addr});

  // The provider's policy host: one certificate naming every customer's
  // mta-sts host it serves, as a hosted MTA-STS service has.
  std::vector<std::string> served;
  for (int i = 0; i < 20; ++i) served.push_back("mta-sts." + GroupDomain(i));
  CertSpec shared_spec = CertSpec::ForHosts(served);
  shared_spec.common_name = "mta-sts.provider.example";
  const fakes::TestCert shared = issue(shared_spec);

  for (int i = 0; i < kGroupDomains; ++i) {
    const std::string domain = GroupDomain(i);
    std::vector<std::pair<int, std::string>> mx;
    std::string policy = "version: STSv1\nmode: enforce\n";
    int preference = 10;
    for (const std::string& host : HostsOf(i)) {
      mx.push_back({preference, host});
      preference += 10;
      absl::StrAppend(&policy, "mx: ", host, "\n");
    }
    absl::StrAppend(&policy, "max_age: 86400\n");
    lab->dns().Mx(domain, mx);
    lab->dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=1"}});
    lab->dns().Txt("_smtp._tls." + domain,
                   {{absl::StrCat("v=TLSRPTv1; rua=", kRua, i < 5 ? absl::StrCat(",", kRuaHttps) : "")}});
    if (i < 20) {
      fakes::FakeHttpResponse response = fakes::FakeHttpResponse::Text(policy);
      response.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
      lab->ServePolicy(domain, std::move(response), shared);
      lab->dns().A("mta-sts." + domain, {kPolicyAddr});
    } else {
      lab->dns().A("mta-sts." + domain, {kDeadPolicyAddr});
    }
  }

  grpc::ClientContext context;
  auto stream = lab->stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kGroupDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(GroupDomain(i));
      request.set_tag(absl::StrCat("cust-", i));
      // Every check but dnssec, which would need a validating resolver.
      for (const char* check :
           {"txt", "policy_fetch", "policy_content", "mx_match", "mx_tls", "tls_rpt"}) {
        request.mutable_options()->add_checks(check);
      }
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  v1::FleetSummary summary;
  int reports = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) ++reports;
    if (event.has_summary()) summary = event.summary();
  }
  writer.join();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reports, kGroupDomains);
  SCOPED_TRACE(summary.DebugString());

  // MX hosts: mx1 serves 20 domains (10 as primary, 10 as backup) and is
  // fine; mx2's 10 domains all see its expired certificate; mx3 is fine.
  // Equal counts: the failing host first.
  const v1::FleetGrouping* mx = GroupingOf(summary, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  EXPECT_THAT(KeyCounts(mx), ElementsAre(absl::StrCat(kMx1, "=20"), absl::StrCat(kMx2, "=10"),
                                         absl::StrCat(kMx3, "=10")));
  EXPECT_EQ(mx->groups(0).outcome(), "ok");
  EXPECT_EQ(mx->groups(0).outcome_count(), 20);
  EXPECT_EQ(mx->groups(1).outcome(), "MX_TLS_CERT_EXPIRED");
  EXPECT_EQ(mx->groups(1).outcome_count(), 10);
  // Critical where the policy is enforced (the domains whose policy host
  // refused have none): the worst is shown.
  EXPECT_EQ(mx->groups(1).severity(), v1::SEVERITY_CRITICAL);
  EXPECT_THAT(ExampleList(mx->groups(1)),
              ElementsAre("g01.customers.example [cust-1]", "g04.customers.example [cust-4]",
                          "g07.customers.example [cust-7]"));
  EXPECT_EQ(mx->groups(2).outcome(), "ok");
  EXPECT_EQ(mx->keys_tracked(), 3);
  EXPECT_EQ(mx->keys_not_sent(), 0);
  EXPECT_EQ(mx->untracked(), 0);

  // Policy host addresses: 20 served, 10 refused.
  const v1::FleetGrouping* addresses = GroupingOf(summary, v1::FLEET_GROUP_KIND_POLICY_ADDRESS);
  ASSERT_NE(addresses, nullptr);
  EXPECT_THAT(KeyCounts(addresses),
              ElementsAre(absl::StrCat(kPolicyAddr, "=20"), absl::StrCat(kDeadPolicyAddr, "=10")));
  EXPECT_EQ(addresses->groups(0).outcome(), "ok");
  EXPECT_EQ(addresses->groups(0).outcome_count(), 20);
  EXPECT_EQ(addresses->groups(1).outcome(), "connection refused");
  EXPECT_EQ(addresses->groups(1).outcome_count(), 10);
  EXPECT_EQ(addresses->groups(1).severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(ExampleList(addresses->groups(1)),
              ElementsAre("g20.customers.example [cust-20]", "g21.customers.example [cust-21]",
                          "g22.customers.example [cust-22]"));

  // The shared certificate: one group of the 20 domains it served.
  const v1::FleetGrouping* certs = GroupingOf(summary, v1::FLEET_GROUP_KIND_POLICY_CERTIFICATE);
  ASSERT_NE(certs, nullptr);
  ASSERT_EQ(certs->groups_size(), 1);
  EXPECT_THAT(certs->groups(0).key(), ::testing::StartsWith(shared.subject + "; issuer "));
  EXPECT_EQ(certs->groups(0).count(), 20);
  EXPECT_EQ(certs->groups(0).outcome(), "valid");

  // TLS-RPT destinations.
  const v1::FleetGrouping* rua = GroupingOf(summary, v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION);
  ASSERT_NE(rua, nullptr);
  EXPECT_THAT(KeyCounts(rua),
              ElementsAre(absl::StrCat(kRua, "=30"), absl::StrCat(kRuaHttps, "=5")));

  // Finding codes: the expired MX certificate and the refused policy host,
  // each on exactly the domains behind them; the TLS-RPT destinations, which
  // this zone gives neither mail nor an address (tls_rpt's reachability);
  // nothing else to fix (INFO findings are not grouped). Equal counts: the
  // more severe first.
  const v1::FleetGrouping* codes = GroupingOf(summary, v1::FLEET_GROUP_KIND_FINDING_CODE);
  ASSERT_NE(codes, nullptr);
  EXPECT_THAT(KeyCounts(codes),
              ElementsAre("TLSRPT_RUA_MAILTO_NO_MAIL=30", "MX_TLS_CERT_EXPIRED=10",
                          "POLICY_CONNECT_FAILED=10", "TLSRPT_RUA_HTTPS_BROKEN=5"));
  const v1::FleetGroup* expired = GroupOf(codes, "MX_TLS_CERT_EXPIRED");
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->count(), 10);
  EXPECT_EQ(expired->code(), v1::MX_TLS_CERT_EXPIRED);
  EXPECT_EQ(ExampleList(*expired), ExampleList(mx->groups(1)));
  const v1::FleetGroup* refused = GroupOf(codes, "POLICY_CONNECT_FAILED");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(ExampleList(*refused), ExampleList(addresses->groups(1)));
}

}  // namespace
}  // namespace mtasts::testing

// The server with --dns_transport=https and tls against a real unbound on
// loopback (tests/fakes/unbound_dox): a fleet of 200 domains over one DoH
// connection, reports naming the transport and resolver, and an untrusted
// resolver certificate reported as the checker's problem, not the domain's.
// With two resolvers of which the first does not answer, reports name the
// second as the one that answered (udp, tls, https).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "net/dns_stream_transport.h"
#include "server/server.h"
#include "tests/fakes/counting_proxy.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/silent_udp.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/unbound_dox.h"

namespace mtasts::testing {
namespace {

using fakes::CertSpec;
using fakes::CountingProxy;
using fakes::TestCa;
using fakes::UnboundDox;

constexpr int kDomains = 200;

std::string Domain(int i) { return absl::StrCat("f", i, ".example.test"); }

class DnsTransportServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto root = TestCa::CreateRoot("DoX Server Root");
    ASSERT_TRUE(root.ok());
    CertSpec spec = CertSpec::ForHosts({"dns.test"});
    spec.ip_addresses = {"127.0.0.1"};
    auto cert = (*root)->Issue(spec);
    ASSERT_TRUE(cert.ok());
    ca_file_ = new std::string(*(*root)->WriteCertFile());
    auto other = TestCa::CreateRoot("Not The Resolver's Root");
    other_ca_file_ = new std::string(*(*other)->WriteCertFile());
    UnboundDox::Options o;
    o.cert = *cert;
    for (int i = 0; i < kDomains; ++i) {
      o.local_data.push_back(absl::StrCat("_mta-sts.", Domain(i), ". 300 IN TXT \"v=STSv1; id=", i, "\""));
      o.local_data.push_back(absl::StrCat(Domain(i), ". 300 IN MX 10 mx.example.test."));
    }
    o.local_data.push_back("mx.example.test. 300 IN A 127.0.0.1");
    dox_.Start(UnboundDox::Start(o));
  }
  static void TearDownTestSuite() { dox_.Stop(); }
  void SetUp() override {
    if (dox_.missing()) {
      MTASTS_SKIP_OR_FAIL_IN_CI(*dox_.missing());
    }
    ASSERT_NE(dox_.get(), nullptr);
  }

  std::unique_ptr<server::MtaStsServer> Serve(net::DnsTransportKind kind, const std::string& csv,
                                              const std::string& ca_file) {
    server::ServerSettings s;
    s.listen = "127.0.0.1:0";
    s.log = nullptr;
    s.dns_transport = kind;
    if (kind == net::DnsTransportKind::kUdp) {
      auto servers = net::ParseDnsServers(csv);
      EXPECT_TRUE(servers.ok()) << servers.status();
      s.dns_servers = *servers;
    } else {
      auto endpoints = net::ParseDnsStreamEndpoints(kind, csv);
      EXPECT_TRUE(endpoints.ok()) << endpoints.status();
      s.dns_stream_endpoints = *endpoints;
    }
    s.ca_file = ca_file;
    s.allow_targets = "127.0.0.0/8";
    s.config.mutable_limits()->mutable_dns_timeout()->set_nanos(300'000'000);
    auto server = server::MtaStsServer::Start(s);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = v1::MtaStsChecker::NewStub(channel);
    return *std::move(server);
  }

  static fakes::SuiteLab<UnboundDox> dox_;
  static std::string* ca_file_;
  static std::string* other_ca_file_;
  std::unique_ptr<v1::MtaStsChecker::Stub> stub_;
};

fakes::SuiteLab<UnboundDox> DnsTransportServerTest::dox_;
std::string* DnsTransportServerTest::ca_file_ = nullptr;
std::string* DnsTransportServerTest::other_ca_file_ = nullptr;

TEST_F(DnsTransportServerTest, FleetOf200DomainsOverOneDohConnection) {
  CountingProxy proxy(dox_->doh_port());
  const std::string url = absl::StrCat("https://127.0.0.1:", proxy.port(), "/dns-query");
  auto server = Serve(net::DnsTransportKind::kHttps, url, *ca_file_);
  ASSERT_NE(server, nullptr);

  grpc::ClientContext context;
  auto stream = stub_->StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(Domain(i));
      request.set_tag(absl::StrCat(i));
      request.mutable_options()->add_checks("txt");
      request.mutable_options()->add_checks("tls_rpt");
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::map<std::string, v1::DomainReport> reports;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) reports[event.result().tag()] = event.result().report();
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(reports.size(), static_cast<size_t>(kDomains));
  for (int i = 0; i < kDomains; ++i) {
    const v1::DomainReport& r = reports[absl::StrCat(i)];
    ASSERT_EQ(r.evidence().sts_records_size(), 1) << Domain(i);
    EXPECT_EQ(r.evidence().sts_records(0), absl::StrCat("v=STSv1; id=", i));
    EXPECT_EQ(r.resolver().transport(), "https");
    ASSERT_EQ(r.resolver().servers_size(), 1);
    EXPECT_EQ(r.resolver().servers(0), url);
    EXPECT_EQ(r.resolver().transport_error(), "");
    EXPECT_EQ(r.resolver().answered_by_size(), 1);
    if (r.resolver().answered_by_size() == 1) {
      EXPECT_EQ(r.resolver().answered_by(0), url);
    }
  }
  // Every lookup of 200 domains (MX, _mta-sts TXT, _smtp._tls TXT) went over
  // one connection to the resolver.
  EXPECT_EQ(proxy.accepted(), 1);
}

TEST_F(DnsTransportServerTest, UntrustedResolverCertificateIsTheCheckersProblem) {
  const std::string dot = absl::StrCat("127.0.0.1:", dox_->dot_port(), "#dns.test");
  auto server = Serve(net::DnsTransportKind::kTls, dot, *other_ca_file_);
  ASSERT_NE(server, nullptr);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::CheckDomainRequest request;
  request.set_domain(Domain(1));
  request.mutable_options()->add_checks("txt");
  v1::DomainReport report;
  ASSERT_TRUE(stub_->CheckDomain(&context, request, &report).ok());
  EXPECT_EQ(report.resolver().transport(), "tls");
  EXPECT_EQ(report.resolver().servers(0), dot);
  EXPECT_TRUE(absl::StrContains(report.resolver().transport_error(), dot))
      << report.resolver().transport_error();
  EXPECT_TRUE(absl::StrContains(report.resolver().transport_error(), "issuer") ||
              absl::StrContains(report.resolver().transport_error(), "certificate"))
      << report.resolver().transport_error();
  // Nobody answered: nobody is named.
  EXPECT_EQ(report.resolver().answered_by_size(), 0);
  bool found = false;
  for (const v1::CheckResult& c : report.checks()) {
    if (c.check() != "txt") continue;
    found = true;
    // Nothing is known about the domain: not a failure of its TXT record.
    EXPECT_EQ(c.status(), v1::CHECK_STATUS_INCONCLUSIVE) << c.summary();
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(report.evidence().sts_records_size(), 0);
}

class AnsweredByServerTest : public DnsTransportServerTest,
                             public ::testing::WithParamInterface<net::DnsTransportKind> {
 protected:
  std::string Entry(int port) const {
    switch (GetParam()) {
      case net::DnsTransportKind::kUdp: return absl::StrCat("127.0.0.1:", port);
      case net::DnsTransportKind::kTls: return absl::StrCat("127.0.0.1:", port, "#dns.test");
      case net::DnsTransportKind::kHttps:
        return absl::StrCat("https://127.0.0.1:", port, "/dns-query");
    }
    return "";
  }
  int LivePort() const {
    switch (GetParam()) {
      case net::DnsTransportKind::kUdp: return dox_->dns_port();
      case net::DnsTransportKind::kTls: return dox_->dot_port();
      case net::DnsTransportKind::kHttps: return dox_->doh_port();
    }
    return 0;
  }
};

// Two resolvers configured, the first silent: the report lists both as
// configured and names only the second as the one that answered.
TEST_P(AnsweredByServerTest, ReportNamesTheResolverThatAnswered) {
  // Nobody answering: queries vanish (UDP) or connections are refused.
  fakes::SilentPort dead(GetParam() == net::DnsTransportKind::kUdp ? SOCK_DGRAM : SOCK_STREAM);
  const std::string dead_entry = Entry(dead.port());
  const std::string live_entry = Entry(LivePort());
  auto server = Serve(GetParam(), absl::StrCat(dead_entry, ",", live_entry), *ca_file_);
  ASSERT_NE(server, nullptr);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::CheckDomainRequest request;
  request.set_domain(Domain(3));
  request.mutable_options()->add_checks("txt");
  v1::DomainReport report;
  ASSERT_TRUE(stub_->CheckDomain(&context, request, &report).ok());
  ASSERT_EQ(report.evidence().sts_records_size(), 1);
  EXPECT_EQ(report.evidence().sts_records(0), "v=STSv1; id=3");
  EXPECT_EQ(report.resolver().transport(), net::DnsTransportName(GetParam()));
  ASSERT_EQ(report.resolver().servers_size(), 2);
  EXPECT_EQ(report.resolver().servers(0), dead_entry);
  EXPECT_EQ(report.resolver().servers(1), live_entry);
  ASSERT_EQ(report.resolver().answered_by_size(), 1) << report.resolver().DebugString();
  EXPECT_EQ(report.resolver().answered_by(0), live_entry);
}

INSTANTIATE_TEST_SUITE_P(Transports, AnsweredByServerTest,
                         ::testing::Values(net::DnsTransportKind::kUdp,
                                           net::DnsTransportKind::kTls,
                                           net::DnsTransportKind::kHttps),
                         [](const auto& info) {
                           return std::string(net::DnsTransportName(info.param));
                         });

}  // namespace
}  // namespace mtasts::testing

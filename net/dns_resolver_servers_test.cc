// The configured server list: ParseDnsServers, and the checks of
// DnsSession::Create on servers and the other options.

#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_resolver_test_fixture.h"
#include "net/dns_types.h"
#include "net/reactor.h"

namespace mtasts::net {
namespace {

using ::testing::IsEmpty;

TEST_F(DnsResolverTest, CreateValidatesOptionsAndThread) {
  OnReactor([&] {
    DnsOptions bad = options_;
    bad.tries = 0;
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "tries"));
    bad = options_;
    bad.servers = {DnsServer{"dns.example", 53}};
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "dns.example"));
    bad = options_;
    bad.servers = {DnsServer{"127.0.0.1", 0}};
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "port"));
    bad = options_;
    bad.attempt_timeout = absl::ZeroDuration();
    EXPECT_THAT(DnsSession::Create(reactor_.get(), bad).status(),
                HasStatus(absl::StatusCode::kInvalidArgument, "attempt_timeout"));
    // No servers: the system configuration (not queried here).
    DnsOptions system = options_;
    system.servers.clear();
    EXPECT_TRUE(DnsSession::Create(reactor_.get(), system).ok());
    // IPv6 server literals are accepted.
    DnsOptions v6 = options_;
    v6.servers = {DnsServer{"::1", 5353}, DnsServer{"127.0.0.1", 53}};
    EXPECT_TRUE(DnsSession::Create(reactor_.get(), v6).ok());
  });
  EXPECT_THAT(DnsSession::Create(reactor_.get(), options_).status(),
              HasStatus(absl::StatusCode::kFailedPrecondition, "reactor thread"));
  EXPECT_THAT(DnsSession::Create(nullptr, options_).status(),
              HasStatus(absl::StatusCode::kInvalidArgument, "reactor"));
}

TEST(ParseDnsServersTest, ParsesAllForms) {
  absl::StatusOr<std::vector<DnsServer>> servers =
      ParseDnsServers(" 1.2.3.4, 127.0.0.1:5353,[::1]:53 ,[2001:db8::1],::2");
  ASSERT_TRUE(servers.ok()) << servers.status();
  ASSERT_EQ(servers->size(), 5u);
  EXPECT_EQ((*servers)[0].host, "1.2.3.4");
  EXPECT_EQ((*servers)[0].port, 53);
  EXPECT_EQ((*servers)[1].host, "127.0.0.1");
  EXPECT_EQ((*servers)[1].port, 5353);
  EXPECT_EQ((*servers)[2].host, "::1");
  EXPECT_EQ((*servers)[2].port, 53);
  EXPECT_EQ((*servers)[3].host, "2001:db8::1");
  EXPECT_EQ((*servers)[3].port, 53);
  EXPECT_EQ((*servers)[4].host, "::2");
  EXPECT_EQ((*servers)[4].port, 53);
}

TEST(ParseDnsServersTest, EmptyInputIsEmptyList) {
  EXPECT_THAT(*ParseDnsServers(""), IsEmpty());
  EXPECT_THAT(*ParseDnsServers("  "), IsEmpty());
}

TEST(ParseDnsServersTest, RejectsBadEntries) {
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ParseDnsServers("1.2.3.4,,5.6.7.8").status(), HasStatus(kInvalid, "empty entry"));
  EXPECT_THAT(ParseDnsServers("dns.google").status(), HasStatus(kInvalid, "dns.google"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:0").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:65536").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:+53").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.4:").status(), HasStatus(kInvalid, "port"));
  EXPECT_THAT(ParseDnsServers("1.2.3.256").status(), HasStatus(kInvalid, "1.2.3.256"));
  EXPECT_THAT(ParseDnsServers("[::1").status(), HasStatus(kInvalid, "']'"));
  EXPECT_THAT(ParseDnsServers("[::1]53").status(), HasStatus(kInvalid, ":port"));
  EXPECT_THAT(ParseDnsServers("[1.2.3.4]:53").status(), HasStatus(kInvalid, "IPv6"));
  EXPECT_THAT(ParseDnsServers("::1:53:x").status(), HasStatus(kInvalid, "IPv6"));
}


}  // namespace
}  // namespace mtasts::net

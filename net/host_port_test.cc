#include "net/host_port.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::net {
namespace {

using ::testing::HasSubstr;

constexpr char kBadPort[] = "port must be a number from 1 to 65535";

std::string Error(absl::string_view text, const HostPortRules& rules = {}) {
  auto parsed = ParseHostPort(text, rules);
  if (parsed.ok()) return "accepted";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(HostPortTest, ParsesEveryForm) {
  auto v4 = ParseHostPort("192.0.2.1:5353");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "192.0.2.1");
  EXPECT_EQ(v4->port, 5353);
  auto v6 = ParseHostPort("[::1]:50051");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 50051);
  EXPECT_EQ(ParseHostPort("192.0.2.1")->port, std::nullopt);
  EXPECT_EQ(ParseHostPort("[2001:db8::1]")->host, "2001:db8::1");
  // A bare IPv6 literal is all host: "::1:5353" is an address, not ::1 port 5353.
  EXPECT_EQ(ParseHostPort("::1:5353")->host, "::1:5353");
  EXPECT_EQ(ParseHostPort("::1:5353")->port, std::nullopt);
  EXPECT_EQ(ParseHostPort("1.2.3.4:65535")->port, 65535);
  EXPECT_EQ(ParseHostPort("1.2.3.4:1")->port, 1);
}

TEST(HostPortTest, PortIsNeverWrappedOrGuessed) {
  EXPECT_EQ(Error("127.0.0.1:500511"), kBadPort);  // 500511 mod 65536 = 41759
  EXPECT_EQ(Error("127.0.0.1:65536"), kBadPort);   // mod 65536 = 0: a random port
  EXPECT_EQ(Error("127.0.0.1:0"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1:"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1:+53"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1:-1"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1: 53"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1:0x35"), kBadPort);
  EXPECT_EQ(Error("127.0.0.1:99999999999999999999"), kBadPort);
  EXPECT_EQ(Error("[::1]:65536"), kBadPort);
  EXPECT_EQ(Error("[::1]:"), kBadPort);
}

TEST(HostPortTest, RulesForAListener) {
  HostPortRules listen;
  listen.port_required = true;
  listen.port_zero_ok = true;
  listen.localhost_ok = true;
  EXPECT_EQ(ParseHostPort("127.0.0.1:0", listen)->port, 0);
  EXPECT_EQ(ParseHostPort("[::]:0", listen)->host, "::");
  EXPECT_EQ(ParseHostPort("localhost:50051", listen)->host, "localhost");
  EXPECT_EQ(ParseHostPort("0.0.0.0:50051", listen)->port, 50051);
  const std::string bad_port = std::string(kBadPort) + " (0: any free port)";
  EXPECT_EQ(Error("127.0.0.1:500511", listen), bad_port);
  EXPECT_EQ(Error("127.0.0.1:65536", listen), bad_port);
  EXPECT_EQ(Error("127.0.0.1", listen), "no port; " + bad_port);
  EXPECT_EQ(Error("[::1]", listen), "no port; " + bad_port);
  EXPECT_EQ(Error("localhost", listen), "no port; " + bad_port);
  EXPECT_THAT(Error("::1", listen), HasSubstr("[addr]:port"));
  EXPECT_THAT(Error("example.com:50051", listen), HasSubstr("not an IPv4 address or localhost"));
  EXPECT_THAT(Error("127.0.0.256:50051", listen), HasSubstr("not an IPv4 address"));
  EXPECT_THAT(Error(":50051", listen), HasSubstr("not an IPv4 address"));
  // Without the rules, neither a name nor port 0 gets through.
  EXPECT_THAT(Error("localhost:53"), HasSubstr("not an IPv4 address"));
  EXPECT_EQ(Error("127.0.0.1:0"), kBadPort);
}

TEST(HostPortTest, BadHostsAreNamed) {
  EXPECT_EQ(Error("dns.google"), "not an IP address");
  EXPECT_EQ(Error(""), "not an IP address");
  EXPECT_EQ(Error("[::1"), "missing ']'");
  EXPECT_EQ(Error("[::1]53"), "expected ':port' after ']'");
  EXPECT_EQ(Error("[1.2.3.4]:53"), "not an IPv6 address");
  EXPECT_EQ(Error("[]:53"), "not an IPv6 address");
  EXPECT_THAT(Error("::1:53:x"), HasSubstr("not an IPv6 address"));
  EXPECT_THAT(Error("1.2.3.4.5:53"), HasSubstr("not an IPv4 address"));
}

}  // namespace
}  // namespace mtasts::net

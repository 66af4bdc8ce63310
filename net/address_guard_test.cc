#include "net/address_guard.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::net {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

MATCHER_P2(HasStatus, code, substring, "") {
  if (arg.code() == code && absl::StrContains(arg.message(), substring)) {
    return true;
  }
  *result_listener << "status " << arg;
  return false;
}

IpAddress Ip(absl::string_view text) {
  absl::StatusOr<IpAddress> ip = ParseIpAddress(text);
  EXPECT_TRUE(ip.ok()) << ip.status();
  return ip.ok() ? *ip : IpAddress();
}

AddressGuard Guard(absl::string_view allow = "") {
  absl::StatusOr<AddressGuard> guard = AddressGuard::Create(allow);
  EXPECT_TRUE(guard.ok()) << guard.status();
  return *std::move(guard);
}

// ---------------------------------------------------------------------------
// The refused ranges, each probed on both sides of its boundaries.

struct RangeCase {
  std::string address;
  // Empty: public (allowed). Otherwise the exact range name expected.
  std::string range;
  // For IPv6 forms of IPv4 addresses: the embedding range name.
  std::string embedding = "";
};
void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.address; }

constexpr char kPublic[] = "";
constexpr char kThisNet[] = "\"this network\" 0.0.0.0/8";
constexpr char kRfc1918a[] = "private (RFC 1918) 10.0.0.0/8";
constexpr char kRfc1918b[] = "private (RFC 1918) 172.16.0.0/12";
constexpr char kRfc1918c[] = "private (RFC 1918) 192.168.0.0/16";
constexpr char kCgnat[] = "CGNAT 100.64.0.0/10";
constexpr char kLoopback[] = "loopback 127.0.0.0/8";
constexpr char kLinkLocal[] =
    "link-local 169.254.0.0/16 (includes cloud metadata 169.254.169.254)";
constexpr char kIetf4[] = "IETF protocol assignments 192.0.0.0/24";
constexpr char kTestNet1[] = "documentation (TEST-NET-1) 192.0.2.0/24";
constexpr char kTestNet2[] = "documentation (TEST-NET-2) 198.51.100.0/24";
constexpr char kTestNet3[] = "documentation (TEST-NET-3) 203.0.113.0/24";
constexpr char kRelay[] = "6to4 relay anycast 192.88.99.0/24 (deprecated)";
constexpr char kBench4[] = "benchmarking 198.18.0.0/15";
constexpr char kMulticast4[] = "multicast 224.0.0.0/4";
constexpr char kReserved4[] = "reserved 240.0.0.0/4";
constexpr char kBroadcast[] = "broadcast 255.255.255.255";
constexpr char kUnspecified4[] = "unspecified 0.0.0.0";
constexpr char kUnspecified6[] = "unspecified ::";
constexpr char kLoopback6[] = "IPv6 loopback ::1";
constexpr char kCompat[] = "IPv4-compatible ::/96 (deprecated)";
constexpr char kNotGlobal[] = "outside IPv6 global unicast 2000::/3 (reserved)";
constexpr char kDiscard[] = "discard-only 100::/64";
constexpr char kTeredo[] = "Teredo 2001::/32";
constexpr char kBench6[] = "benchmarking 2001:2::/48";
constexpr char kOrchid[] = "ORCHID 2001:10::/28 (deprecated)";
constexpr char kOrchid2[] = "ORCHIDv2 2001:20::/28";
constexpr char kIetf6[] = "IETF protocol assignments 2001::/23";
constexpr char kDoc6[] = "documentation 2001:db8::/32";
constexpr char kDoc6New[] = "documentation 3fff::/20";
constexpr char kUla[] = "unique local (ULA) fc00::/7";
constexpr char kLinkLocal6[] = "link-local fe80::/10";
constexpr char kSiteLocal[] = "site-local fec0::/10 (deprecated)";
constexpr char kMulticast6[] = "multicast ff00::/8";
constexpr char kMapped[] = "IPv4-mapped ::ffff:0:0/96";
constexpr char kNat64[] = "NAT64 64:ff9b::/96";
constexpr char kNat64Local[] = "local-use NAT64 64:ff9b:1::/48";
constexpr char kSixToFour[] = "6to4 2002::/16";

class RangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeTest, Classifies) {
  const RangeCase& c = GetParam();
  const GuardVerdict v = Guard().Check(Ip(c.address));
  EXPECT_EQ(v.allowed, c.range.empty()) << v.explanation;
  EXPECT_EQ(v.range, c.range);
  EXPECT_EQ(v.embedding, c.embedding);
  EXPECT_THAT(v.allowed_by, IsEmpty());
  EXPECT_THAT(v.explanation, HasSubstr(Ip(c.address).ToString()));
  if (!c.range.empty()) {
    EXPECT_THAT(v.explanation, HasSubstr(c.range));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ipv4, RangeTest,
    ::testing::Values(
        RangeCase{"0.0.0.0", kUnspecified4},
        RangeCase{"0.0.0.1", kThisNet},
        RangeCase{"0.255.255.255", kThisNet},
        RangeCase{"1.0.0.0", kPublic},
        RangeCase{"9.255.255.255", kPublic},
        RangeCase{"10.0.0.0", kRfc1918a},
        RangeCase{"10.255.255.255", kRfc1918a},
        RangeCase{"11.0.0.0", kPublic},
        RangeCase{"100.63.255.255", kPublic},
        RangeCase{"100.64.0.0", kCgnat},
        RangeCase{"100.127.255.255", kCgnat},
        RangeCase{"100.128.0.0", kPublic},
        RangeCase{"126.255.255.255", kPublic},
        RangeCase{"127.0.0.0", kLoopback},
        RangeCase{"127.0.0.1", kLoopback},
        RangeCase{"127.255.255.255", kLoopback},
        RangeCase{"128.0.0.0", kPublic},
        RangeCase{"169.253.255.255", kPublic},
        RangeCase{"169.254.0.0", kLinkLocal},
        RangeCase{"169.254.169.254", kLinkLocal},
        RangeCase{"169.254.255.255", kLinkLocal},
        RangeCase{"169.255.0.0", kPublic},
        RangeCase{"172.15.255.255", kPublic},
        RangeCase{"172.16.0.0", kRfc1918b},
        RangeCase{"172.31.255.255", kRfc1918b},
        RangeCase{"172.32.0.0", kPublic},
        RangeCase{"191.255.255.255", kPublic},
        RangeCase{"192.0.0.0", kIetf4},
        RangeCase{"192.0.0.255", kIetf4},
        RangeCase{"192.0.1.0", kPublic},
        RangeCase{"192.0.2.0", kTestNet1},
        RangeCase{"192.0.2.255", kTestNet1},
        RangeCase{"192.0.3.0", kPublic},
        RangeCase{"192.88.98.255", kPublic},
        RangeCase{"192.88.99.1", kRelay},
        RangeCase{"192.88.100.0", kPublic},
        RangeCase{"192.167.255.255", kPublic},
        RangeCase{"192.168.0.0", kRfc1918c},
        RangeCase{"192.168.255.255", kRfc1918c},
        RangeCase{"192.169.0.0", kPublic},
        RangeCase{"198.17.255.255", kPublic},
        RangeCase{"198.18.0.0", kBench4},
        RangeCase{"198.19.255.255", kBench4},
        RangeCase{"198.20.0.0", kPublic},
        RangeCase{"198.51.99.255", kPublic},
        RangeCase{"198.51.100.0", kTestNet2},
        RangeCase{"198.51.100.255", kTestNet2},
        RangeCase{"198.51.101.0", kPublic},
        RangeCase{"203.0.112.255", kPublic},
        RangeCase{"203.0.113.0", kTestNet3},
        RangeCase{"203.0.113.255", kTestNet3},
        RangeCase{"203.0.114.0", kPublic},
        RangeCase{"223.255.255.255", kPublic},
        RangeCase{"224.0.0.0", kMulticast4},
        RangeCase{"239.255.255.255", kMulticast4},
        RangeCase{"240.0.0.0", kReserved4},
        RangeCase{"255.255.255.254", kReserved4},
        RangeCase{"255.255.255.255", kBroadcast},
        RangeCase{"8.8.8.8", kPublic},
        RangeCase{"1.1.1.1", kPublic},
        // Globally reachable special-purpose blocks stay allowed.
        RangeCase{"192.31.196.1", kPublic},     // AS112-v4
        RangeCase{"192.52.193.1", kPublic}));   // AMT

INSTANTIATE_TEST_SUITE_P(
    Ipv6, RangeTest,
    ::testing::Values(
        RangeCase{"::", kUnspecified6},
        RangeCase{"::1", kLoopback6},
        RangeCase{"::2", kCompat},
        RangeCase{"::255.255.255.255", kCompat},
        RangeCase{"::1:0:0", kNotGlobal},
        RangeCase{"::fffe:ffff:ffff", kNotGlobal},
        RangeCase{"::1:0:0:0", kNotGlobal},
        RangeCase{"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", kNotGlobal},
        RangeCase{"64:ff9b::1:0:0", kNotGlobal},
        RangeCase{"64:ff9b:2::", kNotGlobal},
        RangeCase{"100::", kDiscard},
        RangeCase{"100::ffff:ffff:ffff:ffff", kDiscard},
        RangeCase{"100:0:0:1::", kNotGlobal},
        RangeCase{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kNotGlobal},
        RangeCase{"2000::", kPublic},
        RangeCase{"2001::", kTeredo},
        RangeCase{"2001:0:ffff:ffff:ffff:ffff:ffff:ffff", kTeredo},
        RangeCase{"2001:0:4136:e378:8000:63bf:3fff:fdd2", kTeredo},
        RangeCase{"2001:1::1", kIetf6},
        RangeCase{"2001:2::", kBench6},
        RangeCase{"2001:2:0:ffff:ffff:ffff:ffff:ffff", kBench6},
        RangeCase{"2001:2:1::", kIetf6},
        RangeCase{"2001:10::1", kOrchid},
        RangeCase{"2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", kOrchid},
        RangeCase{"2001:20::1", kOrchid2},
        RangeCase{"2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", kOrchid2},
        RangeCase{"2001:30::", kIetf6},
        RangeCase{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", kIetf6},
        RangeCase{"2001:200::1", kPublic},
        RangeCase{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", kPublic},
        RangeCase{"2001:db8::", kDoc6},
        RangeCase{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", kDoc6},
        RangeCase{"2001:db9::", kPublic},
        RangeCase{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kPublic},
        RangeCase{"2003::", kPublic},
        RangeCase{"3ffe:ffff::1", kPublic},
        RangeCase{"3fff::", kDoc6New},
        RangeCase{"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", kDoc6New},
        RangeCase{"3fff:1000::", kPublic},
        RangeCase{"4000::", kNotGlobal},
        RangeCase{"5f00::1", kNotGlobal},
        RangeCase{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kNotGlobal},
        RangeCase{"fc00::", kUla},
        RangeCase{"fd12:3456:789a::1", kUla},
        RangeCase{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kUla},
        RangeCase{"fe00::", kNotGlobal},
        RangeCase{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kNotGlobal},
        RangeCase{"fe80::", kLinkLocal6},
        RangeCase{"fe80::1", kLinkLocal6},
        RangeCase{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kLinkLocal6},
        RangeCase{"fec0::", kSiteLocal},
        RangeCase{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kSiteLocal},
        RangeCase{"ff00::", kMulticast6},
        RangeCase{"ff02::1", kMulticast6},
        RangeCase{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kMulticast6},
        RangeCase{"2606:4700::1111", kPublic},
        RangeCase{"2a00:1450:4001:80b::200e", kPublic}));

// IPv6 forms that carry an IPv4 address are judged by that address.
INSTANTIATE_TEST_SUITE_P(
    EmbeddedIpv4, RangeTest,
    ::testing::Values(
        RangeCase{"::ffff:0.0.0.0", kUnspecified4, kMapped},
        RangeCase{"::ffff:127.0.0.1", kLoopback, kMapped},
        RangeCase{"::ffff:10.1.2.3", kRfc1918a, kMapped},
        RangeCase{"::ffff:172.16.0.1", kRfc1918b, kMapped},
        RangeCase{"::ffff:192.168.1.1", kRfc1918c, kMapped},
        RangeCase{"::ffff:100.64.0.1", kCgnat, kMapped},
        RangeCase{"::ffff:169.254.169.254", kLinkLocal, kMapped},
        RangeCase{"::ffff:224.0.0.1", kMulticast4, kMapped},
        RangeCase{"::ffff:255.255.255.255", kBroadcast, kMapped},
        RangeCase{"::ffff:8.8.8.8", kPublic, kMapped},
        RangeCase{"64:ff9b::7f00:1", kLoopback, kNat64},
        RangeCase{"64:ff9b::a9fe:a9fe", kLinkLocal, kNat64},
        RangeCase{"64:ff9b::192.168.0.1", kRfc1918c, kNat64},
        RangeCase{"64:ff9b::808:808", kPublic, kNat64},
        RangeCase{"64:ff9b:1::a00:1", kRfc1918a, kNat64Local},
        RangeCase{"64:ff9b:1:ffff::6440:1", kCgnat, kNat64Local},
        RangeCase{"64:ff9b:1::808:808", kPublic, kNat64Local},
        RangeCase{"2002:7f00:1::1", kLoopback, kSixToFour},
        RangeCase{"2002:c0a8:101::", kRfc1918c, kSixToFour},
        RangeCase{"2002:a9fe:a9fe:1:2:3:4:5", kLinkLocal, kSixToFour},
        RangeCase{"2002:0:1::", kThisNet, kSixToFour},
        RangeCase{"2002:808:808::1", kPublic, kSixToFour}));

TEST(AddressGuardTest, ExplanationsAreSentences) {
  const AddressGuard guard = Guard();
  EXPECT_EQ(guard.Check(Ip("8.8.8.8")).explanation,
            "8.8.8.8 is a public address.");
  EXPECT_EQ(guard.Check(Ip("10.0.0.1")).explanation,
            "10.0.0.1 is not a public address: private (RFC 1918) "
            "10.0.0.0/8.");
  EXPECT_EQ(guard.Check(Ip("::ffff:10.0.0.1")).explanation,
            "::ffff:10.0.0.1 is not a public address: IPv4-mapped "
            "::ffff:0:0/96 form of 10.0.0.1, private (RFC 1918) 10.0.0.0/8.");
  EXPECT_EQ(guard.Check(Ip("64:ff9b::808:808")).explanation,
            "64:ff9b::808:808 is a public address (NAT64 64:ff9b::/96 form of "
            "8.8.8.8).");
  const GuardVerdict nat64 = guard.Check(Ip("64:ff9b::a9fe:a9fe"));
  EXPECT_EQ(nat64.embedded_v4, "169.254.169.254");
  EXPECT_EQ(guard.Check(Ip("8.8.8.8")).embedded_v4, "");
}

// ---------------------------------------------------------------------------
// The allowlist overrides a refusal for exactly the addresses it covers.

struct AllowCase {
  std::string allow;
  std::string address;
  bool allowed;
  std::string allowed_by;  // expected entry when it was the allowlist
};
void PrintTo(const AllowCase& c, std::ostream* os) {
  *os << "allow \"" << c.allow << "\" " << c.address;
}

class AllowlistTest : public ::testing::TestWithParam<AllowCase> {};

TEST_P(AllowlistTest, OverridesExactlyTheCoveredAddresses) {
  const AllowCase& c = GetParam();
  const GuardVerdict v = Guard(c.allow).Check(Ip(c.address));
  EXPECT_EQ(v.allowed, c.allowed) << v.explanation;
  EXPECT_EQ(v.allowed_by, c.allowed_by);
  if (!c.allowed_by.empty()) {
    EXPECT_FALSE(v.range.empty());  // still says what the address is
    EXPECT_THAT(v.explanation, HasSubstr("allowlist entry " + c.allowed_by));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AllowlistTest,
    ::testing::Values(
        AllowCase{"127.0.0.0/8", "127.0.0.1", true, "127.0.0.0/8"},
        AllowCase{"127.0.0.0/8", "127.255.255.255", true, "127.0.0.0/8"},
        AllowCase{"127.0.0.0/8", "10.0.0.1", false, ""},
        AllowCase{"127.0.0.0/8", "::1", false, ""},
        // A mapped address is its IPv4 address on the wire.
        AllowCase{"127.0.0.0/8", "::ffff:127.0.0.1", true, "127.0.0.0/8"},
        // NAT64 and 6to4 reach a translator: not covered by IPv4 entries.
        AllowCase{"127.0.0.0/8", "64:ff9b::7f00:1", false, ""},
        AllowCase{"127.0.0.0/8", "2002:7f00:1::", false, ""},
        AllowCase{"64:ff9b::/96", "64:ff9b::7f00:1", true, "64:ff9b::/96"},
        AllowCase{"::1", "::1", true, "::1/128"},
        AllowCase{"::1", "127.0.0.1", false, ""},
        AllowCase{"::1", "::2", false, ""},
        AllowCase{"10.1.2.3", "10.1.2.3", true, "10.1.2.3/32"},
        AllowCase{"10.1.2.3", "10.1.2.2", false, ""},
        AllowCase{"10.1.2.3", "10.1.2.4", false, ""},
        AllowCase{"10.1.2.3", "::ffff:10.1.2.3", true, "10.1.2.3/32"},
        AllowCase{"172.16.0.0/13", "172.23.255.255", true, "172.16.0.0/13"},
        AllowCase{"172.16.0.0/13", "172.24.0.0", false, ""},
        AllowCase{"fd00::/8, 192.168.1.0/24", "fd00::1", true, "fd00::/8"},
        AllowCase{"fd00::/8, 192.168.1.0/24", "fc00::1", false, ""},
        AllowCase{"fd00::/8, 192.168.1.0/24", "192.168.1.255", true,
                  "192.168.1.0/24"},
        AllowCase{"fd00::/8, 192.168.1.0/24", "192.168.2.0", false, ""},
        AllowCase{"169.254.169.0/25", "169.254.169.254", false, ""},
        AllowCase{"0.0.0.0/0", "169.254.169.254", true, "0.0.0.0/0"},
        AllowCase{"::/0", "fe80::1", true, "::/0"},
        AllowCase{"::/0", "10.0.0.1", false, ""},
        // Public addresses need no entry, and report none.
        AllowCase{"8.8.8.0/24", "8.8.8.8", true, ""},
        AllowCase{"", "2606:4700::1111", true, ""}));

TEST(AddressGuardTest, CreateParsesTheList) {
  EXPECT_THAT(Guard("").allowlist(), IsEmpty());
  EXPECT_THAT(Guard(" , ,").allowlist(), IsEmpty());
  EXPECT_THAT(
      Guard(" 127.0.0.0/8 , ::1/128,").allowlist(),
      ::testing::ElementsAre(Cidr{Ip("127.0.0.0"), 8}, Cidr{Ip("::1"), 128}));
}

TEST(AddressGuardTest, CreateNamesEveryBadEntry) {
  absl::StatusOr<AddressGuard> guard =
      AddressGuard::Create("127.0.0.0/8,foo, 10.0.0.0/33,::1/129,10.0.0.1/8");
  ASSERT_FALSE(guard.ok());
  EXPECT_THAT(guard.status(),
              HasStatus(absl::StatusCode::kInvalidArgument,
                        "invalid CIDR \"foo\": \"foo\" is not an IP address"));
  EXPECT_THAT(guard.status().message(),
              HasSubstr("\"10.0.0.0/33\": prefix length 33 exceeds 32 for "
                        "IPv4"));
  EXPECT_THAT(guard.status().message(),
              HasSubstr("\"::1/129\": prefix length 129 exceeds 128 for "
                        "IPv6"));
  EXPECT_THAT(guard.status().message(),
              HasSubstr("\"10.0.0.1/8\": host bits set (did you mean "
                        "10.0.0.0/8?)"));
  EXPECT_THAT(guard.status().message(),
              ::testing::Not(HasSubstr("127.0.0.0/8")));
}

TEST(AddressGuardTest, ChecksSocketAddresses) {
  const AddressGuard guard = Guard("127.0.0.1");
  sockaddr_storage ss;
  Ip("169.254.169.254").ToSockaddr(80, &ss);
  EXPECT_FALSE(guard.Check(ss).allowed);
  EXPECT_EQ(guard.Check(ss).range, kLinkLocal);
  Ip("::1").ToSockaddr(443, &ss);
  EXPECT_FALSE(guard.Check(ss).allowed);
  Ip("127.0.0.1").ToSockaddr(443, &ss);
  EXPECT_TRUE(guard.Check(ss).allowed);

  std::memset(&ss, 0, sizeof(ss));
  ss.ss_family = AF_UNIX;
  const GuardVerdict unix_socket = guard.Check(ss);
  EXPECT_FALSE(unix_socket.allowed);
  EXPECT_EQ(unix_socket.range, "not an IP address");
  EXPECT_THAT(unix_socket.explanation, HasSubstr("neither IPv4 nor IPv6"));
}

// ---------------------------------------------------------------------------
// IpAddress and Cidr.

TEST(IpAddressTest, SockaddrRoundTrip) {
  for (const char* text : {"192.0.2.7", "2001:db8::7", "::ffff:10.0.0.1"}) {
    sockaddr_storage ss;
    const IpAddress ip = Ip(text);
    const socklen_t len = ip.ToSockaddr(25, &ss);
    if (ip.is_v4()) {
      EXPECT_EQ(len, sizeof(sockaddr_in));
      EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in&>(ss).sin_port), 25);
    } else {
      EXPECT_EQ(len, sizeof(sockaddr_in6));
      EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6&>(ss).sin6_port), 25);
    }
    absl::StatusOr<IpAddress> back = IpAddress::FromSockaddr(ss);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, ip);
    EXPECT_EQ(back->ToString(), text);
  }
  sockaddr_storage unspec;
  std::memset(&unspec, 0, sizeof(unspec));
  EXPECT_THAT(IpAddress::FromSockaddr(unspec).status(),
              HasStatus(absl::StatusCode::kInvalidArgument, "family 0"));
}

TEST(IpAddressTest, FormatsCanonically) {
  EXPECT_EQ(Ip("2001:DB8:0:0:0:0:0:1").ToString(), "2001:db8::1");
  EXPECT_EQ(Ip("::ffff:a00:1").ToString(), "::ffff:10.0.0.1");
  EXPECT_EQ(Ip("10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(IpAddress().ToString(), "0.0.0.0");
  EXPECT_TRUE(Ip("10.0.0.1").is_v4());
  EXPECT_FALSE(Ip("::ffff:10.0.0.1").is_v4());
  EXPECT_EQ(Ip("::ffff:10.0.0.1").MappedV4(), Ip("10.0.0.1"));
  EXPECT_EQ(Ip("::10.0.0.1").MappedV4(), std::nullopt);
  EXPECT_EQ(Ip("10.0.0.1").MappedV4(), std::nullopt);
  EXPECT_NE(Ip("::ffff:10.0.0.1"), Ip("10.0.0.1"));
}

class BadAddressTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadAddressTest, IsRejected) {
  EXPECT_THAT(ParseIpAddress(GetParam()).status(),
              HasStatus(absl::StatusCode::kInvalidArgument,
                        "not an IP address: \""));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadAddressTest,
    ::testing::Values("", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5",
                      "01.2.3.4", "1.2.3.256", "1.2.3.-1", "0x7f.0.0.1",
                      "2130706433", "::1::", "g::1", "1:2:3:4:5:6:7:8:9",
                      "[::1]", "fe80::1%eth0", "localhost",
                      std::string("1.2.3.4\0", 8),
                      std::string(100, '1')));

TEST(CidrTest, ContainsAtNonOctetBoundaries) {
  absl::StatusOr<Cidr> cidr = ParseCidr("100.64.0.0/10");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_TRUE(cidr->Contains(Ip("100.127.255.255")));
  EXPECT_FALSE(cidr->Contains(Ip("100.128.0.0")));
  EXPECT_FALSE(cidr->Contains(Ip("::ffff:100.64.0.1")));  // other family
  cidr = ParseCidr("fe80::/10");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_TRUE(cidr->Contains(Ip("febf::")));
  EXPECT_FALSE(cidr->Contains(Ip("fec0::")));
  EXPECT_EQ(cidr->ToString(), "fe80::/10");
  cidr = ParseCidr("192.0.2.1");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_EQ(cidr->prefix_length, 32);
  EXPECT_TRUE(cidr->Contains(Ip("192.0.2.1")));
  EXPECT_FALSE(cidr->Contains(Ip("192.0.2.0")));
  cidr = ParseCidr("0.0.0.0/0");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_TRUE(cidr->Contains(Ip("255.255.255.255")));
}

struct BadCidrCase {
  std::string text;
  std::string message;
};
void PrintTo(const BadCidrCase& c, std::ostream* os) { *os << c.text; }

class BadCidrTest : public ::testing::TestWithParam<BadCidrCase> {};

TEST_P(BadCidrTest, IsRejectedWithItsReason) {
  EXPECT_THAT(ParseCidr(GetParam().text).status(),
              HasStatus(absl::StatusCode::kInvalidArgument,
                        GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadCidrTest,
    ::testing::Values(
        BadCidrCase{"", "invalid CIDR \"\": \"\" is not an IP address"},
        BadCidrCase{"foo/8", "invalid CIDR \"foo/8\": \"foo\" is not an IP"},
        BadCidrCase{"/8", "\"\" is not an IP address"},
        BadCidrCase{"10.0.0.0/", "prefix length missing after '/'"},
        BadCidrCase{"10.0.0.0/abc", "prefix length \"abc\" is not a decimal"},
        BadCidrCase{"10.0.0.0/-1", "prefix length \"-1\" is not a decimal"},
        BadCidrCase{"10.0.0.0/+8", "prefix length \"+8\" is not a decimal"},
        BadCidrCase{"10.0.0.0/ 8", "prefix length \" 8\" is not a decimal"},
        BadCidrCase{"10.0.0.0/8/8", "prefix length \"8/8\" is not a decimal"},
        BadCidrCase{"10.0.0.0/0008", "prefix length \"0008\" is not a"},
        BadCidrCase{"10.0.0.0/33", "prefix length 33 exceeds 32 for IPv4"},
        BadCidrCase{"::/129", "prefix length 129 exceeds 128 for IPv6"},
        BadCidrCase{"10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"},
        BadCidrCase{"192.168.1.1/16",
                    "host bits set (did you mean 192.168.0.0/16?)"},
        BadCidrCase{"fe80::1/10", "host bits set (did you mean fe80::/10?)"},
        BadCidrCase{"256.0.0.0/8", "\"256.0.0.0\" is not an IP address"},
        BadCidrCase{"10.0.0.0 /8", "\"10.0.0.0 \" is not an IP address"},
        BadCidrCase{"[::1]/128", "\"[::1]\" is not an IP address"}));

}  // namespace
}  // namespace mtasts::net

#include "clients/cpp/backends.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::client {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;

std::vector<std::string> Targets(const std::string& target) {
  auto backends = ResolveBackends(target);
  EXPECT_TRUE(backends.ok()) << target << ": " << backends.status();
  std::vector<std::string> out;
  if (backends.ok()) {
    for (const Backend& b : *backends) out.push_back(b.target);
  }
  return out;
}

TEST(BackendsTest, AddressListsAreOneBackendPerAddressDeduplicated) {
  EXPECT_THAT(Targets("ipv4:127.0.0.1:1,127.0.0.2:2,127.0.0.1:1"),
              ElementsAre("ipv4:127.0.0.1:1", "ipv4:127.0.0.2:2"));
  EXPECT_THAT(Targets("ipv6:[::1]:1,[::1]:2"), ElementsAre("ipv6:[::1]:1", "ipv6:[::1]:2"));
}

// Only names /etc/hosts and numeric forms answer: tests stay off the network.
TEST(BackendsTest, DnsNamesResolveToEveryAddressWithTheNameAsAuthority) {
  auto backends = ResolveBackends("dns:///localhost:50051");
  ASSERT_TRUE(backends.ok()) << backends.status();
  EXPECT_THAT(*backends, Contains(Field(&Backend::target, "ipv4:127.0.0.1:50051")));
  for (const Backend& b : *backends) EXPECT_EQ(b.authority, "localhost:50051");
  EXPECT_THAT(Targets("dns:127.0.0.1:7"), ElementsAre("ipv4:127.0.0.1:7"));
  EXPECT_THAT(Targets("dns:///[::1]:7"), ElementsAre("ipv6:[::1]:7"));
}

TEST(BackendsTest, OtherTargetsAreOneBackendAsGiven) {
  EXPECT_THAT(Targets("localhost:50051"), ElementsAre("localhost:50051"));
  EXPECT_THAT(Targets("unix:/run/mtasts.sock"), ElementsAre("unix:/run/mtasts.sock"));
  EXPECT_THAT(Targets("dns://8.8.8.8/checker:50051"), ElementsAre("dns://8.8.8.8/checker:50051"));
}

TEST(BackendsTest, MalformedTargetsAreRefused) {
  for (const char* bad : {"", "ipv4:", "ipv4:127.0.0.1", "ipv4:127.0.0.1:0",
                          "ipv4:127.0.0.1:70000", "ipv4:127.0.0.1:1,", "dns:///:5",
                          "dns:///host:x", "dns:///[::1:5"}) {
    EXPECT_EQ(ResolveBackends(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace mtasts::client

// The metrics endpoint over real HTTP on loopback: what it binds, what it
// refuses, what a scrape returns.
#include "server/metrics_endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/loopback_http_get.h"
#include "server/metrics.h"

namespace mtasts::server {
namespace {

TEST(MetricsEndpoint, ServesTheExpositionAtSlashMetricsOnAFreePort) {
  ServerMetrics metrics;
  metrics.OnRunStarted();
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", &metrics);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);
  auto reply = LoopbackHttpGet((*endpoint)->port(), "/metrics");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_TRUE(absl::StrContains(reply->headers, "text/plain")) << reply->headers;
  EXPECT_TRUE(absl::StrContains(reply->body, "\nmtasts_domains_in_flight 1\n")) << reply->body;
  EXPECT_TRUE(absl::StrContains(reply->body, "process_resident_memory_bytes"));

  auto other = LoopbackHttpGet((*endpoint)->port(), "/other");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->status, 404);
}

TEST(MetricsEndpoint, LocalhostMeansIpv4Loopback) {
  ServerMetrics metrics;
  auto endpoint = MetricsEndpoint::Start("localhost:0", &metrics);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  auto reply = LoopbackHttpGet((*endpoint)->port(), "/metrics");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
}

TEST(MetricsEndpoint, RefusesBadAddressesNamingTheFlag) {
  ServerMetrics metrics;
  for (const char* bad : {"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "example.com:9090",
                          "[::1]:0", ":9090"}) {
    auto endpoint = MetricsEndpoint::Start(bad, &metrics);
    ASSERT_FALSE(endpoint.ok()) << bad;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(endpoint.status().message(), "--metrics_listen")) << bad;
  }
  auto v6 = MetricsEndpoint::Start("[::1]:0", &metrics);
  EXPECT_TRUE(absl::StrContains(v6.status().message(), "IPv6")) << v6.status();
}

TEST(MetricsEndpoint, APortInUseIsUnavailable) {
  ServerMetrics metrics;
  auto first = MetricsEndpoint::Start("127.0.0.1:0", &metrics);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = MetricsEndpoint::Start(absl::StrCat("127.0.0.1:", (*first)->port()), &metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

}  // namespace
}  // namespace mtasts::server

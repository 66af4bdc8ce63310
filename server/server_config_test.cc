#include "server/server_config.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/server.h"

namespace mtasts::server {
namespace {

TEST(ServerConfigTest, ParsesWeightsAndLimits) {
  auto config = ParseServerConfig(R"(
    weights { key: "policy_content" value: 40 }
    weights { key: "tls_rpt" value: 5 }
    limits { dns_timeout { seconds: 3 } max_cname_depth: 6 fleet_max_inflight: 7 }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->weights().at("policy_content"), 40);
  EXPECT_EQ(config->weights().at("tls_rpt"), 5);
  const EffectiveLimits limits = ResolveLimits(config->limits());
  EXPECT_EQ(limits.dns_timeout, absl::Seconds(3));
  EXPECT_EQ(limits.max_cname_depth, 6);
  EXPECT_EQ(limits.fleet_max_inflight, 7);
  // Unset fields keep the defaults.
  EXPECT_EQ(limits.check_timeout, absl::Seconds(75));
  EXPECT_EQ(limits.max_inflight, 2000);
  EXPECT_EQ(limits.dns_tries, 2);
}

TEST(ServerConfigTest, EmptyConfigMeansDefaults) {
  auto config = ParseServerConfig("");
  ASSERT_TRUE(config.ok());
  const EffectiveLimits limits = ResolveLimits(config->limits());
  EXPECT_EQ(limits.max_txt_record_bytes, 4096);
  EXPECT_EQ(limits.max_mx_hosts, 32);
  EXPECT_EQ(limits.shutdown_grace, absl::Seconds(10));
}

TEST(ServerConfigTest, DnsMaxOutstanding) {
  auto config = ParseServerConfig("limits { dns_max_outstanding: 64 }");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(ResolveLimits(config->limits()).dns_max_outstanding, 64);
  EXPECT_EQ(ResolveLimits(v1::Limits()).dns_max_outstanding, 256);
  config = ParseServerConfig("limits { dns_max_outstanding: -1 }");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("limits.dns_max_outstanding"), std::string::npos);
}

TEST(ServerConfigTest, ProbeLimitsFromConfig) {
  auto config = ParseServerConfig(
      "limits { policy_connect_timeout { seconds: 2 } policy_response_timeout { seconds: 4 }\n"
      "  max_policy_header_bytes: 8192 max_policy_body_bytes: 32768 max_policy_addresses: 3\n"
      "  smtp_greeting_timeout { seconds: 12 } smtp_command_timeout { seconds: 6 } }");
  ASSERT_TRUE(config.ok()) << config.status();
  const EffectiveLimits limits = ResolveLimits(config->limits());
  EXPECT_EQ(limits.policy_fetch.connect_timeout, absl::Seconds(2));
  // Unset phases may use the whole fetch timeout (RFC 8461 §3.3's minute).
  EXPECT_EQ(limits.policy_fetch.total_timeout, absl::Seconds(60));
  EXPECT_EQ(limits.policy_fetch.handshake_timeout, absl::Seconds(60));
  EXPECT_EQ(limits.policy_fetch.first_byte_timeout, absl::Seconds(60));
  EXPECT_EQ(limits.policy_fetch.response_timeout, absl::Seconds(4));
  EXPECT_EQ(limits.policy_fetch.http.max_header_bytes, 8192u);
  EXPECT_EQ(limits.policy_fetch.http.max_body_bytes, 32768u);
  EXPECT_EQ(limits.max_policy_addresses, 3);
  EXPECT_EQ(limits.mx_probe.greeting_timeout, absl::Seconds(12));
  EXPECT_EQ(limits.mx_probe.ehlo_timeout, absl::Seconds(6));
  EXPECT_EQ(limits.mx_probe.starttls_timeout, absl::Seconds(6));
  EXPECT_EQ(limits.mx_probe.connect_timeout, absl::Seconds(10));  // default
}

TEST(ServerConfigTest, FetchTimeoutAndSlowThresholds) {
  EXPECT_EQ(ResolveLimits(v1::Limits()).policy_fetch_slow_after, absl::Seconds(5));
  EXPECT_EQ(ResolveLimits(v1::Limits()).smtp_greeting_slow_after, absl::Seconds(10));
  EXPECT_EQ(ResolveLimits(v1::Limits()).mx_probe.greeting_timeout, absl::Seconds(60));
  auto config = ParseServerConfig(
      "limits { policy_fetch_timeout { seconds: 30 } policy_connect_timeout { seconds: 3 }\n"
      "  policy_fetch_slow_after { seconds: 2 } smtp_greeting_slow_after { seconds: 20 } }");
  ASSERT_TRUE(config.ok()) << config.status();
  const EffectiveLimits limits = ResolveLimits(config->limits());
  EXPECT_EQ(limits.policy_fetch.total_timeout, absl::Seconds(30));
  EXPECT_EQ(limits.policy_fetch.connect_timeout, absl::Seconds(3));
  // A shorter fetch timeout shortens the unset phases with it.
  EXPECT_EQ(limits.policy_fetch.first_byte_timeout, absl::Seconds(30));
  EXPECT_EQ(limits.policy_fetch.response_timeout, absl::Seconds(30));
  EXPECT_EQ(limits.policy_fetch_slow_after, absl::Seconds(2));
  EXPECT_EQ(limits.smtp_greeting_slow_after, absl::Seconds(20));
  for (const char* field : {"policy_fetch_timeout", "policy_fetch_slow_after",
                            "smtp_greeting_slow_after"}) {
    auto bad = ParseServerConfig(absl::StrCat("limits { ", field, " { seconds: -1 } }"));
    ASSERT_FALSE(bad.ok()) << field;
    EXPECT_NE(bad.status().message().find(absl::StrCat("limits.", field)), std::string::npos)
        << bad.status().message();
  }
}

TEST(ServerConfigTest, SyntaxErrorNamesTheLine) {
  auto config = ParseServerConfig("weights {\n  txt: fifteen\n}\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("line 2"), std::string::npos)
      << config.status().message();
}

TEST(ServerConfigTest, UnknownFieldIsAnError) {
  auto config = ParseServerConfig("limits { max_everything: 3 }");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ServerConfigTest, NegativeValuesAreRejectedByName) {
  auto config = ParseServerConfig("limits { max_inflight: -1 }");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("limits.max_inflight"), std::string::npos);
  config = ParseServerConfig("limits { dns_timeout { seconds: -2 } }");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("limits.dns_timeout"), std::string::npos);
}

TEST(ServerConfigTest, MissingFileIsNotFound) {
  auto config = LoadServerConfig("/nonexistent/mtasts.textproto");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "--config /nonexistent/mtasts.textproto: No such file or directory");
}

// A directory opens fine and used to be read as an empty file: the defaults.
TEST(ServerConfigTest, ADirectoryIsRefusedNotTakenForDefaults) {
  const std::string dir = ::testing::TempDir();
  auto config = LoadServerConfig(dir);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "--config " + dir + ": is a directory, not a file");
}

TEST(ServerConfigTest, LoadsFromFile) {
  const std::string path = ::testing::TempDir() + "/config.textproto";
  std::ofstream(path) << "limits { check_timeout { seconds: 20 } }\n";
  auto config = LoadServerConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(ResolveLimits(config->limits()).check_timeout, absl::Seconds(20));
}

}  // namespace
}  // namespace mtasts::server

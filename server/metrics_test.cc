// ServerMetrics on its own: events in, text exposition out, as a scrape sees it.
#include "server/metrics.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/observer.h"
#include "gtest/gtest.h"
#include "server/exposition_sample.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::server {
namespace {

v1::DomainReport Report() {
  v1::DomainReport report;
  report.set_domain("example.com");
  report.set_state(v1::MTA_STS_STATE_ENFORCED);
  report.set_grade(v1::GRADE_B);
  report.mutable_duration()->set_seconds(2);
  v1::CheckResult* txt = report.add_checks();
  txt->set_check("txt");
  txt->set_status(v1::CHECK_STATUS_PASS);
  txt->mutable_duration()->set_nanos(30'000'000);
  v1::CheckResult* fetch = report.add_checks();
  fetch->set_check("policy_fetch");
  fetch->set_status(v1::CHECK_STATUS_FAIL);
  fetch->mutable_duration()->set_seconds(1);
  fetch->add_findings()->set_code(v1::POLICY_HTTP_NOT_FOUND);
  fetch->add_findings()->set_code(v1::POLICY_CONTENT_TYPE_NO_CHARSET);
  v1::CheckResult* skipped = report.add_checks();
  skipped->set_check("mx_tls");
  skipped->set_status(v1::CHECK_STATUS_NOT_RUN);
  return report;
}

// Expects each series (name with labels) to have its value in `text`; -1: no
// such sample.
void ExpectSamples(const std::string& text,
                   const std::vector<std::pair<std::string, double>>& want) {
  for (const auto& [series, value] : want) {
    EXPECT_EQ(SampleValue(text, series), value) << series << " in\n" << text;
  }
}

TEST(EnumLabel, DropsThePrefixAndLowersTheCase) {
  EXPECT_EQ(EnumLabel("CHECK_STATUS_NOT_RUN", "CHECK_STATUS_"), "not_run");
  EXPECT_EQ(EnumLabel("GRADE_A", "GRADE_"), "a");
  EXPECT_EQ(EnumLabel("", "GRADE_"), "unknown");
}

TEST(ServerMetrics, ReportsCountByStateGradeCheckAndPolicyFetchCause) {
  ServerMetrics metrics;
  metrics.OnRunStarted();
  metrics.OnRunStarted();
  std::string text = metrics.Scrape();
  EXPECT_EQ(SampleValue(text, "mtasts_domains_in_flight"), 2);

  metrics.OnRunFinished(Report());
  metrics.OnRunFinished(absl::CancelledError("gone"));
  text = metrics.Scrape();
  ExpectSamples(text, {
      {"mtasts_domains_in_flight", 0},
      {"mtasts_domains_checked_total{grade=\"b\",state=\"enforced\"}", 1},
      {"mtasts_domain_checks_aborted_total{reason=\"cancelled\"}", 1},
      {"mtasts_checks_total{check=\"txt\",status=\"pass\"}", 1},
      {"mtasts_checks_total{check=\"policy_fetch\",status=\"fail\"}", 1},
      {"mtasts_checks_total{check=\"mx_tls\",status=\"not_run\"}", 1},
      // Durations: txt took 30 ms, so it is in the 0.05 bucket but not 0.025.
      {"mtasts_check_duration_seconds_bucket{check=\"txt\",le=\"0.025\"}", 0},
      {"mtasts_check_duration_seconds_bucket{check=\"txt\",le=\"0.05\"}", 1},
      {"mtasts_check_duration_seconds_count{check=\"policy_fetch\"}", 1},
      // A check that did not run has no duration.
      {"mtasts_check_duration_seconds_count{check=\"mx_tls\"}", -1},
      {"mtasts_domain_check_duration_seconds_sum", 2},
      // One failure, blamed on its most severe (first) finding only.
      {"mtasts_policy_fetch_failures_total{cause=\"policy_http_not_found\"}", 1},
  });
  EXPECT_FALSE(absl::StrContains(text, "policy_content_type_no_charset"));
  EXPECT_FALSE(absl::StrContains(text, "example.com")) << "never a domain in a label";
}

TEST(ServerMetrics, RpcsCountByMethodAndCodeAndFleetStreamsOpen) {
  ServerMetrics metrics;
  const std::string fleet = "/mtasts.v1.MtaStsChecker/StreamFleet";
  const std::string check = "/mtasts.v1.MtaStsChecker/CheckDomain";
  metrics.OnRpcStarted(fleet);
  metrics.OnRpcStarted(fleet);
  metrics.OnRpcStarted(check);
  EXPECT_EQ(SampleValue(metrics.Scrape(), "mtasts_fleet_streams_open"), 2);
  metrics.OnRpcFinished(fleet, absl::StatusCode::kOk, absl::Seconds(3));
  metrics.OnRpcFinished(check, absl::StatusCode::kInvalidArgument, absl::Milliseconds(1));
  metrics.OnRpcStarted("/weird name/x");
  metrics.OnRpcFinished("/weird name/x", absl::StatusCode::kUnimplemented, absl::Milliseconds(1));
  const std::string service = ",service=\"mtasts.v1.MtaStsChecker\"}";
  ExpectSamples(metrics.Scrape(), {
      {"mtasts_fleet_streams_open", 1},
      {"mtasts_rpcs_total{code=\"OK\",method=\"StreamFleet\"" + service, 1},
      {"mtasts_rpcs_total{code=\"INVALID_ARGUMENT\",method=\"CheckDomain\"" + service, 1},
      {"mtasts_rpcs_total{code=\"UNIMPLEMENTED\",method=\"other\",service=\"other\"}", 1},
      {"mtasts_rpc_duration_seconds_sum{method=\"StreamFleet\"" + service, 3},
  });
}

TEST(ServerMetrics, FleetStreamInFlightHistogramAndLargestGauge) {
  ServerMetrics metrics;
  std::string text = metrics.Scrape();
  EXPECT_EQ(SampleValue(text, "mtasts_fleet_stream_domains_in_flight_count"), 0) << text;
  EXPECT_EQ(SampleValue(text, "mtasts_fleet_stream_domains_in_flight_max"), -1)
      << "no source yet";
  for (int n : {1, 2, 3, 100, 101}) metrics.OnFleetEntryStarted(n);
  int largest = 7;
  metrics.SetSources({.fleet_stream_largest_in_flight = [&] { return largest; }});
  text = metrics.Scrape();
  ExpectSamples(text, {
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"1\"}", 1},
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"2\"}", 2},
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"5\"}", 3},
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"100\"}", 4},
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"200\"}", 5},
      {"mtasts_fleet_stream_domains_in_flight_bucket{le=\"+Inf\"}", 5},
      {"mtasts_fleet_stream_domains_in_flight_sum", 207},
      {"mtasts_fleet_stream_domains_in_flight_max", 7},
  });
  EXPECT_TRUE(absl::StrContains(text, "# TYPE mtasts_fleet_stream_domains_in_flight histogram"));
  EXPECT_TRUE(absl::StrContains(text, "# TYPE mtasts_fleet_stream_domains_in_flight_max gauge"));
  largest = 0;  // read live at each scrape
  EXPECT_EQ(SampleValue(metrics.Scrape(), "mtasts_fleet_stream_domains_in_flight_max"), 0);
}

TEST(ServerMetrics, DnsQueriesRetriesAndTimeoutsByOutcome) {
  ServerMetrics metrics;
  metrics.OnDnsQuery({.outcome = v1::DNS_OUTCOME_ANSWER, .attempts = 1});
  metrics.OnDnsQuery({.outcome = v1::DNS_OUTCOME_ANSWER, .attempts = 2, .attempt_timeouts = 1});
  metrics.OnDnsQuery(
      {.outcome = v1::DNS_OUTCOME_TIMEOUT, .attempts = 3, .attempt_timeouts = 3});
  metrics.OnDnsQuery({.outcome = v1::DNS_OUTCOME_ANSWER, .attempts = 1, .used_tcp = true});
  ExpectSamples(metrics.Scrape(), {
      {"mtasts_dns_queries_total{outcome=\"answer\"}", 3},
      {"mtasts_dns_queries_total{outcome=\"timeout\"}", 1},
      {"mtasts_dns_retries_total{outcome=\"answer\"}", 1},
      {"mtasts_dns_retries_total{outcome=\"timeout\"}", 2},
      {"mtasts_dns_attempt_timeouts_total{outcome=\"timeout\"}", 3},
      {"mtasts_dns_tcp_fallbacks_total", 1},
  });
}

TEST(ServerMetrics, PulledSourcesAndProcessMetricsAppearAtScrapeTime) {
  ServerMetrics metrics;
  std::string text = metrics.Scrape();
  EXPECT_FALSE(absl::StrContains(text, "mtasts_mx_probe_cache_lookups_total"))
      << "no sources yet";
  EXPECT_GT(SampleValue(text, "process_resident_memory_bytes"), 0);
  EXPECT_GE(SampleValue(text, "process_threads"), 1);
  EXPECT_GT(SampleValue(text, "process_open_fds"), 0);
  EXPECT_GE(SampleValue(text, "process_cpu_seconds_total"), 0);

  int waiting = 4;
  engine::ProbeCacheCounters cache{.hits = 5, .joined = 1, .misses = 2};
  metrics.SetSources({.fleet_streams_waiting = [&] { return waiting; },
                      .probe_cache = [&] { return cache; },
                      .max_inflight = 2000});
  text = metrics.Scrape();
  ExpectSamples(text, {
      {"mtasts_fleet_streams_waiting", 4},
      {"mtasts_domains_in_flight_limit", 2000},
      {"mtasts_mx_probe_cache_lookups_total{result=\"hit\"}", 5},
      {"mtasts_mx_probe_cache_lookups_total{result=\"joined\"}", 1},
      {"mtasts_mx_probe_cache_lookups_total{result=\"miss\"}", 2},
  });
  cache.misses = 3;  // read live at each scrape
  EXPECT_EQ(SampleValue(metrics.Scrape(), "mtasts_mx_probe_cache_lookups_total{result=\"miss\"}"), 3);
  EXPECT_TRUE(absl::StrContains(text, "# TYPE mtasts_mx_probe_cache_lookups_total counter"));
}

}  // namespace
}  // namespace mtasts::server

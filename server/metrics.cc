#include "server/metrics.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "mtasts/v1/findings.pb.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "server/process_stats.h"

namespace mtasts::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds: from a cached answer (milliseconds) to the 15 s default check
// timeout and a long fleet call.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 300};
  return *buckets;
}

// Domains one fleet stream has in flight: 1 up to past the default
// fleet_max_inflight of 100 (larger limits land in the top buckets).
const prometheus::Histogram::BucketBoundaries& StreamInFlightBuckets() {
  static const auto* buckets =
      new prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  return *buckets;
}

// A method name gRPC dispatched is one the server registered, so the label
// set is bounded already; anything odd still collapses into "other".
bool IsIdentifier(absl::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

std::pair<std::string, std::string> SplitMethod(absl::string_view full_method) {
  // "/package.Service/Method"
  if (absl::ConsumePrefix(&full_method, "/")) {
    const size_t slash = full_method.find('/');
    if (slash != absl::string_view::npos) {
      absl::string_view service = full_method.substr(0, slash);
      absl::string_view method = full_method.substr(slash + 1);
      if (IsIdentifier(service) && IsIdentifier(method)) {
        return {std::string(service), std::string(method)};
      }
    }
  }
  return {"other", "other"};
}

// Check names come from the registered checks, never from requests; the
// bound is a guard against a check named oddly.
std::string CheckLabel(const std::string& name) {
  return IsIdentifier(name) ? name : "other";
}

ClientMetric Sample(double value, MetricType type,
                    std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

MetricFamily Family(std::string name, std::string help, MetricType type,
                    std::vector<ClientMetric> metrics) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  family.metric = std::move(metrics);
  return family;
}

}  // namespace

std::string EnumLabel(absl::string_view value_name, absl::string_view prefix) {
  absl::ConsumePrefix(&value_name, prefix);
  if (value_name.empty()) return "unknown";
  return absl::AsciiStrToLower(value_name);
}

// Metrics computed at scrape time: gauges and counters owned elsewhere, and
// the process's resource use.
class ServerMetrics::PulledMetrics : public prometheus::Collectable {
 public:
  void SetSources(Sources sources) {
    absl::MutexLock lock(&mu_);
    sources_ = std::move(sources);
  }

  std::vector<MetricFamily> Collect() const override {
    Sources sources;
    {
      absl::MutexLock lock(&mu_);
      sources = sources_;
    }
    std::vector<MetricFamily> out;
    if (sources.max_inflight > 0) {
      out.push_back(Family("mtasts_domains_in_flight_limit",
                           "Most domains the server checks at once (--max_inflight).",
                           MetricType::Gauge,
                           {Sample(sources.max_inflight, MetricType::Gauge)}));
    }
    if (sources.fleet_streams_waiting) {
      out.push_back(Family("mtasts_fleet_streams_waiting",
                           "Fleet streams waiting for a server-wide slot.", MetricType::Gauge,
                           {Sample(sources.fleet_streams_waiting(), MetricType::Gauge)}));
    }
    if (sources.fleet_stream_largest_in_flight) {
      out.push_back(Family("mtasts_fleet_stream_domains_in_flight_max",
                           "The most domains any one open fleet stream is checking now.",
                           MetricType::Gauge,
                           {Sample(sources.fleet_stream_largest_in_flight(), MetricType::Gauge)}));
    }
    if (sources.probe_cache) {
      const engine::ProbeCacheCounters c = sources.probe_cache();
      out.push_back(Family(
          "mtasts_mx_probe_cache_lookups_total",
          "MX STARTTLS probe cache lookups by result: hit (a cached result), joined (a "
          "probe under way), miss (a new probe).",
          MetricType::Counter,
          {Sample(static_cast<double>(c.hits), MetricType::Counter, {{"result", "hit"}}),
           Sample(static_cast<double>(c.joined), MetricType::Counter, {{"result", "joined"}}),
           Sample(static_cast<double>(c.misses), MetricType::Counter, {{"result", "miss"}})}));
    }
    // The names every Prometheus client library uses for these.
    auto stats = ReadProcessStats();
    if (stats.ok()) {
      auto gauge = [&](const char* name, const char* help, double value) {
        out.push_back(Family(name, help, MetricType::Gauge, {Sample(value, MetricType::Gauge)}));
      };
      out.push_back(Family("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.",
                           MetricType::Counter,
                           {Sample(stats->cpu_seconds, MetricType::Counter)}));
      gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            static_cast<double>(stats->resident_bytes));
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            static_cast<double>(stats->virtual_bytes));
      gauge("process_threads", "Number of OS threads in the process.",
            static_cast<double>(stats->threads));
      gauge("process_open_fds", "Number of open file descriptors.",
            static_cast<double>(stats->open_fds));
      gauge("process_max_fds", "Maximum number of open file descriptors.",
            static_cast<double>(stats->max_fds));
      if (stats->start_time_seconds > 0) {
        gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.",
              stats->start_time_seconds);
      }
    }
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  Sources sources_ ABSL_GUARDED_BY(mu_);
};

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      pulled_(std::make_shared<PulledMetrics>()),
      rpcs_(BuildCounter()
                .Name("mtasts_rpcs_total")
                .Help("gRPC calls handled, by service, method and status code.")
                .Register(*registry_)),
      rpc_duration_(BuildHistogram()
                        .Name("mtasts_rpc_duration_seconds")
                        .Help("Time from a call's start to its status, by service and method.")
                        .Register(*registry_)),
      fleet_streams_open_(BuildGauge()
                              .Name("mtasts_fleet_streams_open")
                              .Help("StreamFleet calls open.")
                              .Register(*registry_)
                              .Add({})),
      domains_in_flight_(BuildGauge()
                             .Name("mtasts_domains_in_flight")
                             .Help("Domains being checked now (whole server).")
                             .Register(*registry_)
                             .Add({})),
      stream_domains_in_flight_(
          BuildHistogram()
              .Name("mtasts_fleet_stream_domains_in_flight")
              .Help("Domains its fleet stream had in flight when an entry started, that "
                    "entry included (one observation per entry a stream checks).")
              .Register(*registry_)
              .Add({}, StreamInFlightBuckets())),
      domains_checked_(BuildCounter()
                           .Name("mtasts_domains_checked_total")
                           .Help("Domain reports delivered, by MTA-STS state and grade.")
                           .Register(*registry_)),
      runs_aborted_(BuildCounter()
                        .Name("mtasts_domain_checks_aborted_total")
                        .Help("Domain checks that ended without a report, by reason "
                              "(cancelled: the caller went away).")
                        .Register(*registry_)),
      domain_duration_(BuildHistogram()
                           .Name("mtasts_domain_check_duration_seconds")
                           .Help("Time to check one domain, all its checks together.")
                           .Register(*registry_)
                           .Add({}, DurationBuckets())),
      checks_(BuildCounter()
                  .Name("mtasts_checks_total")
                  .Help("Per-check results in delivered reports, by check and status.")
                  .Register(*registry_)),
      check_duration_(BuildHistogram()
                          .Name("mtasts_check_duration_seconds")
                          .Help("Time one check took for one domain, by check (checks run).")
                          .Register(*registry_)),
      policy_fetch_failures_(
          BuildCounter()
              .Name("mtasts_policy_fetch_failures_total")
              .Help("Policy fetches that failed (policy_fetch FAIL or INCONCLUSIVE), by "
                    "cause: the most severe finding code, lower case.")
              .Register(*registry_)),
      dns_queries_(BuildCounter()
                       .Name("mtasts_dns_queries_total")
                       .Help("DNS questions finished by the resolver, by final outcome.")
                       .Register(*registry_)),
      dns_retries_(BuildCounter()
                       .Name("mtasts_dns_retries_total")
                       .Help("DNS queries re-sent after a try got no usable answer, by the "
                             "question's final outcome.")
                       .Register(*registry_)),
      dns_attempt_timeouts_(BuildCounter()
                                .Name("mtasts_dns_attempt_timeouts_total")
                                .Help("DNS tries that got no answer in time, by the "
                                      "question's final outcome.")
                                .Register(*registry_)),
      dns_tcp_fallbacks_(BuildCounter()
                             .Name("mtasts_dns_tcp_fallbacks_total")
                             .Help("DNS questions retried over TCP after a truncated answer.")
                             .Register(*registry_)
                             .Add({})) {}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::SetSources(Sources sources) { pulled_->SetSources(std::move(sources)); }

void ServerMetrics::OnRunStarted() { domains_in_flight_.Increment(); }

void ServerMetrics::OnRunFinished(const absl::StatusOr<v1::DomainReport>& result) {
  domains_in_flight_.Decrement();
  if (!result.ok()) {
    runs_aborted_
        .Add({{"reason", result.status().code() == absl::StatusCode::kCancelled ? "cancelled"
                                                                                : "error"}})
        .Increment();
    return;
  }
  const v1::DomainReport& report = *result;
  domains_checked_
      .Add({{"state", EnumLabel(v1::MtaStsState_Name(report.state()), "MTA_STS_STATE_")},
            {"grade", EnumLabel(v1::Grade_Name(report.grade()), "GRADE_")}})
      .Increment();
  domain_duration_.Observe(static_cast<double>(report.duration().seconds()) +
                           report.duration().nanos() * 1e-9);
  for (const v1::CheckResult& check : report.checks()) {
    const std::string name = CheckLabel(check.check());
    checks_
        .Add({{"check", name},
              {"status", EnumLabel(v1::CheckStatus_Name(check.status()), "CHECK_STATUS_")}})
        .Increment();
    if (check.status() != v1::CHECK_STATUS_NOT_RUN) {
      check_duration_.Add({{"check", name}}, DurationBuckets())
          .Observe(static_cast<double>(check.duration().seconds()) +
                   check.duration().nanos() * 1e-9);
    }
    if (check.check() == "policy_fetch" && (check.status() == v1::CHECK_STATUS_FAIL ||
                                            check.status() == v1::CHECK_STATUS_INCONCLUSIVE)) {
      // Findings come most severe first: the first is the cause.
      std::string cause = "unspecified";
      if (check.findings_size() > 0) cause = EnumLabel(v1::FindingCode_Name(check.findings(0).code()), "");
      policy_fetch_failures_.Add({{"cause", cause}}).Increment();
    }
  }
}

void ServerMetrics::OnDnsQuery(const engine::DnsQueryEvent& event) {
  const prometheus::Labels labels = {
      {"outcome", EnumLabel(v1::DnsOutcome_Name(event.outcome), "DNS_OUTCOME_")}};
  dns_queries_.Add(labels).Increment();
  if (event.attempts > 1) dns_retries_.Add(labels).Increment(event.attempts - 1);
  if (event.attempt_timeouts > 0) {
    dns_attempt_timeouts_.Add(labels).Increment(event.attempt_timeouts);
  }
  if (event.used_tcp) dns_tcp_fallbacks_.Increment();
}

void ServerMetrics::OnFleetEntryStarted(int stream_in_flight) {
  stream_domains_in_flight_.Observe(stream_in_flight);
}

void ServerMetrics::OnRpcStarted(absl::string_view full_method) {
  if (SplitMethod(full_method).second == "StreamFleet") fleet_streams_open_.Increment();
}

void ServerMetrics::OnRpcFinished(absl::string_view full_method, absl::StatusCode code,
                                  absl::Duration duration) {
  auto [service, method] = SplitMethod(full_method);
  if (method == "StreamFleet") fleet_streams_open_.Decrement();
  rpcs_
      .Add({{"service", service},
            {"method", method},
            {"code", absl::StatusCodeToString(code)}})
      .Increment();
  rpc_duration_.Add({{"service", service}, {"method", method}}, DurationBuckets())
      .Observe(absl::ToDoubleSeconds(duration));
}

std::vector<std::weak_ptr<prometheus::Collectable>> ServerMetrics::Collectables() const {
  return {registry_, pulled_};
}

std::string ServerMetrics::Scrape() const {
  std::vector<MetricFamily> families = registry_->Collect();
  for (MetricFamily& family : pulled_->Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace mtasts::server

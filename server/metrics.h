// ServerMetrics: the server's Prometheus metrics (docs/metrics.md).
//
// Fed three ways: the engine tells it about runs (it is the engine's
// EngineObserver), the RPC interceptor (metrics_interceptor.h) about calls,
// and at scrape time it pulls gauges and the probe cache's counters from
// Sources and the process's resource use from /proc/self. Label values are
// bounded: enum names, registered check and method names; never a domain.
//
//   ServerMetrics metrics;
//   engine_options.observer = &metrics;
//   metrics.SetSources({...});           // once the service exists
//   std::string text = metrics.Scrape(); // or serve Collectables() over HTTP
//
// Thread-safe; must outlive the engine and the gRPC server that feed it.
#ifndef MTASTS_SERVER_METRICS_H_
#define MTASTS_SERVER_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/engine.h"
#include "engine/observer.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mtasts::server {

class ServerMetrics final : public engine::EngineObserver {
 public:
  // Read at scrape time, on the HTTP server's thread: each must be
  // thread-safe. Unset ones are left out of the exposition.
  struct Sources {
    std::function<int()> fleet_streams_waiting;  // streams waiting for a slot
    // The most domains any one open fleet stream is checking now.
    std::function<int()> fleet_stream_largest_in_flight;
    std::function<engine::ProbeCacheCounters()> probe_cache;
    int max_inflight = 0;  // the server-wide limit (0: not exposed)
  };

  ServerMetrics();
  ~ServerMetrics() override;
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  void SetSources(Sources sources);

  // engine::EngineObserver.
  void OnRunStarted() override;
  void OnRunFinished(const absl::StatusOr<v1::DomainReport>& result) override;
  void OnDnsQuery(const engine::DnsQueryEvent& event) override;

  // A fleet stream started checking an entry; `stream_in_flight` is that
  // stream's domains in flight, this one included (ServiceOptions::
  // on_fleet_entry_started). Per-stream load without a per-stream label.
  void OnFleetEntryStarted(int stream_in_flight);

  // A call started / ended, `full_method` as gRPC names it
  // ("/mtasts.v1.MtaStsChecker/CheckDomain").
  void OnRpcStarted(absl::string_view full_method);
  void OnRpcFinished(absl::string_view full_method, absl::StatusCode code,
                     absl::Duration duration);

  // What an HTTP exposer serves: the registry, the pulled metrics and the
  // process metrics. Valid while this object lives.
  std::vector<std::weak_ptr<prometheus::Collectable>> Collectables() const;
  // The text exposition of all of them, as a scrape returns it.
  std::string Scrape() const;

 private:
  class PulledMetrics;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<PulledMetrics> pulled_;

  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_duration_;
  prometheus::Gauge& fleet_streams_open_;
  prometheus::Gauge& domains_in_flight_;
  prometheus::Histogram& stream_domains_in_flight_;
  prometheus::Family<prometheus::Counter>& domains_checked_;
  prometheus::Family<prometheus::Counter>& runs_aborted_;
  prometheus::Histogram& domain_duration_;
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Family<prometheus::Histogram>& check_duration_;
  prometheus::Family<prometheus::Counter>& policy_fetch_failures_;
  prometheus::Family<prometheus::Counter>& dns_queries_;
  prometheus::Family<prometheus::Counter>& dns_retries_;
  prometheus::Family<prometheus::Counter>& dns_attempt_timeouts_;
  prometheus::Counter& dns_tcp_fallbacks_;
};

// "pass" for CHECK_STATUS_PASS and so on: an enum value's name without the
// enum's prefix, lower case; the label value of every enum-valued label.
std::string EnumLabel(absl::string_view value_name, absl::string_view prefix);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_METRICS_H_

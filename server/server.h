// MtaStsServer: the whole service in one object (engine, gRPC server with
// health and, unless switched off, reflection), so main.cc and the integration tests start exactly
// the same thing.
#ifndef MTASTS_SERVER_SERVER_H_
#define MTASTS_SERVER_SERVER_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/inputs/run_inputs.h"
#include "checks/probe_settings.h"
#include "engine/engine.h"
#include "grpcpp/server.h"
#include "mtasts/v1/config.pb.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_transport.h"
#include "server/call_log.h"
#include "server/metrics.h"
#include "server/metrics_endpoint.h"
#include "server/service.h"

namespace mtasts::server {

struct ServerSettings {
  // "ipv4:port", "[ipv6]:port" or "localhost:port"; port 1-65535, or 0 for
  // a free port the kernel picks (port() says which). Anything else is
  // refused, never wrapped or defaulted.
  std::string listen = "127.0.0.1:50051";
  std::vector<net::DnsServer> dns_servers;  // empty: system resolver configuration
  // --dns_transport=tls|https: the resolvers (dns_stream_endpoints, parsed
  // from --dns_servers) are reached through a net::DnsForwarder, and
  // dns_servers is ignored. udp: dns_servers as they are.
  net::DnsTransportKind dns_transport = net::DnsTransportKind::kUdp;
  std::vector<net::DnsStreamEndpoint> dns_stream_endpoints;
  v1::ServerConfig config;                  // weights and limits (zero: defaults)
  // TLS for the gRPC port; all empty: plaintext. client_ca set: mutual TLS.
  // Checked at Start (server/tls_files.h).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int reactor_threads = 2;
  // Server reflection (grpcurl's list/describe and calls without a .proto).
  // Off for locked-down deployments; clients then need the descriptor set
  // (//proto/mtasts/v1:mtasts_descriptor_set).
  bool reflection = true;
  std::string allow_targets;  // --allow_targets CIDRs, comma-separated
  std::string ca_file;        // --ca_file; empty: the system trust store
  std::string ca_intermediates_file;  // --ca_intermediates_file; optional
  // Ports, EHLO name, probe cache, DNSSEC trust anchor (--https_port, ...).
  // Its limits are overwritten from config.limits.
  checks::ProbeSettings probe;
  FILE* log = stderr;  // call log; null: off
  // Prometheus metrics over HTTP (--metrics_listen): "ipv4:port" or
  // "localhost:port", port 0 for a free one; empty: no metrics endpoint.
  std::string metrics_listen;
  // Makes the checks to run, in report order; unset: checks::BuiltinChecks().
  // For tests that run a check of their own.
  std::function<std::vector<std::unique_ptr<checks::Check>>()> make_checks;
};

class MtaStsServer {
 public:
  // Builds the engine and starts serving. Errors: bad settings, a bad listen
  // address, unreadable or unusable TLS files (INVALID_ARGUMENT, naming the
  // flag); the address cannot be bound (UNAVAILABLE).
  static absl::StatusOr<std::unique_ptr<MtaStsServer>> Start(ServerSettings settings);
  // Start's checks without starting (--check_config): addresses, TLS files,
  // the engine's settings. Binds nothing.
  static absl::Status Check(const ServerSettings& settings);
  ~MtaStsServer();  // Shutdown(0) if not done

  // The port actually bound.
  int port() const { return port_; }
  MtaStsService& service() { return *service_; }
  // The metrics port actually bound; 0 without --metrics_listen.
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->port() : 0; }

  // Stops accepting calls, lets calls in flight finish for up to `grace`, then
  // cancels them (their runs stop their network work) and waits for them.
  void Shutdown(absl::Duration grace);

 private:
  MtaStsServer() = default;

  // Declared first so it goes last: the engine, the gRPC server (its
  // interceptor) and the endpoint report to it until they are gone.
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<CallLog> log_;
  // The DoT/DoH relay c-ares and libunbound use (null with udp); declared
  // before the engine so it outlives every DNS session.
  std::unique_ptr<net::DnsForwarder> dns_forwarder_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<MtaStsService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Effective limits: config values where set, else the built-in defaults.
struct EffectiveLimits {
  absl::Duration dns_timeout = absl::Seconds(2);
  int dns_tries = 2;
  int max_cname_depth = 8;
  int dns_max_outstanding = net::kDefaultDnsMaxOutstanding;
  // RFC 8461 §3.3's one-minute policy fetch plus the lookups before it.
  absl::Duration check_timeout = absl::Seconds(75);
  int max_inflight = 2000;
  int fleet_max_inflight = 100;
  int max_txt_record_bytes = 4096;
  int max_txt_records = 32;
  int max_mx_hosts = checks::kDefaultMaxMxHosts;
  absl::Duration shutdown_grace = absl::Seconds(10);
  net::HttpsLimits policy_fetch;  // deadline: per run
  net::SmtpLimits mx_probe;       // deadline: per probe
  // Slowness reported as a finding (POLICY_FETCH_SLOW, MX_TLS_GREETING_SLOW).
  absl::Duration policy_fetch_slow_after = checks::kDefaultPolicyFetchSlowAfter;
  absl::Duration smtp_greeting_slow_after = checks::kDefaultGreetingSlowAfter;
  int max_policy_addresses = 8;
};
EffectiveLimits ResolveLimits(const v1::Limits& limits);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_SERVER_H_

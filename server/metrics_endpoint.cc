#include "server/metrics_endpoint.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/host_port.h"
#include "prometheus/exposer.h"

namespace mtasts::server {

absl::StatusOr<std::string> MetricsEndpoint::CheckListen(const std::string& listen) {
  net::HostPortRules rules;
  rules.port_required = true;
  rules.port_zero_ok = true;
  rules.localhost_ok = true;
  auto parsed = net::ParseHostPort(listen, rules);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen \"", listen, "\": ", parsed.status().message()));
  }
  std::string host = parsed->host == "localhost" ? "127.0.0.1" : parsed->host;
  if (host.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen \"", listen,
                     "\": IPv6 is not supported (Debian's civetweb, which serves the "
                     "metrics, is built without it); use an IPv4 address"));
  }
  return absl::StrCat(host, ":", *parsed->port);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, ServerMetrics* metrics) {
  auto host_port = CheckListen(listen);
  if (!host_port.ok()) return host_port.status();
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  // civetweb options: a bounded pool and a timeout, so slow or idle clients
  // cannot hold the endpoint.
  std::vector<std::string> options = {
      "listening_ports", *host_port,
      "num_threads", "2",
      "request_timeout_ms", "10000",
  };
  // prometheus-cpp reports a failed bind by throwing; nothing else here does.
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(std::move(options));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics_listen: cannot listen on ", listen,
                                               " (address in use or not local): ", e.what()));
  }
  for (const auto& collectable : metrics->Collectables()) {
    endpoint->exposer_->RegisterCollectable(collectable);
  }
  const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError("--metrics_listen: no port bound");
  endpoint->port_ = ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace mtasts::server

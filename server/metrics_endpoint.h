// MetricsEndpoint: the Prometheus text exposition of ServerMetrics over HTTP
// at /metrics on its own port (--metrics_listen), served by prometheus-cpp's
// exposer (civetweb).
#ifndef MTASTS_SERVER_METRICS_ENDPOINT_H_
#define MTASTS_SERVER_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/metrics.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace mtasts::server {

class MetricsEndpoint {
 public:
  // Listens on `listen`: "ipv4:port" or "localhost:port" (127.0.0.1), port
  // 1-65535 or 0 for a free one (port() tells which), the same forms and
  // words as --listen. IPv6 is refused: Debian's civetweb is built without
  // it. `metrics` is not owned and must outlive the endpoint.
  // Errors: INVALID_ARGUMENT naming --metrics_listen for a bad address;
  // UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& listen,
                                                                ServerMetrics* metrics);
  // Start's address check alone: "host:port" for civetweb, or its error.
  static absl::StatusOr<std::string> CheckListen(const std::string& listen);
  ~MetricsEndpoint();  // stops serving; joins the HTTP threads

  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_METRICS_ENDPOINT_H_

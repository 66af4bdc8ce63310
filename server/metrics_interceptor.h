// Counts every gRPC call into ServerMetrics (method, status code, duration,
// fleet streams open) with a server interceptor, so no handler has to.
//
//   builder.experimental().SetInterceptorCreators(MetricsInterceptors(&metrics));
#ifndef MTASTS_SERVER_METRICS_INTERCEPTOR_H_
#define MTASTS_SERVER_METRICS_INTERCEPTOR_H_

#include <memory>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "server/metrics.h"

namespace mtasts::server {

// `metrics` is not owned and must outlive the gRPC server. A call that ends
// without sending a status (the client went away first) counts as CANCELLED.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MetricsInterceptors(ServerMetrics* metrics);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_METRICS_INTERCEPTOR_H_

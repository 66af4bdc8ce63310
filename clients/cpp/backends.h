// The backends a fleet is spread over: one per address of the target.
//
//   "ipv4:10.0.0.1:50051,10.0.0.2:50051"  -> ipv4:10.0.0.1:50051, ipv4:10.0.0.2:50051
//   "ipv6:[::1]:1,[::1]:2"                -> ipv6:[::1]:1, ipv6:[::1]:2
//   "dns:///checker.internal:50051"       -> every address the system resolver
//                                            (getaddrinfo) gives, as ipv4:/ipv6:,
//                                            with authority "checker.internal:50051"
//   anything else ("host:port", "unix:...", "dns://server/name:port")
//                                          -> one backend, the target as given
//                                            (gRPC resolves it as usual)
//
// A plain "host:port" stays one backend on purpose: "localhost:50051" often
// resolves to 127.0.0.1 and ::1, the same server twice.
#ifndef MTASTS_CLIENTS_CPP_BACKENDS_H_
#define MTASTS_CLIENTS_CPP_BACKENDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mtasts::client {

struct Backend {
  std::string target;     // what grpc::CreateChannel gets
  std::string authority;  // for TLS name checks and :authority; empty: gRPC's default
  bool operator==(const Backend& o) const {
    return target == o.target && authority == o.authority;
  }
};

// Errors: INVALID_ARGUMENT for a malformed list (an empty address, a port
// that is not 1-65535); UNAVAILABLE when a dns:/// name does not resolve.
absl::StatusOr<std::vector<Backend>> ResolveBackends(const std::string& target);

}  // namespace mtasts::client

#endif  // MTASTS_CLIENTS_CPP_BACKENDS_H_

// The one place where absl::Status becomes grpc::Status.
#ifndef MTASTS_SERVER_GRPC_STATUS_H_
#define MTASTS_SERVER_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace mtasts::server {

// Canonical codes share their numbers in Abseil and gRPC.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_GRPC_STATUS_H_

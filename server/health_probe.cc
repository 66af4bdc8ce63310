// mtasts_health_probe: asks a server's gRPC health service (grpc.health.v1)
// whether it is SERVING; exit 0 if so, 1 otherwise. The container image's
// HEALTHCHECK runs it (Kubernetes has native gRPC probes; podman and docker
// do not, and Debian 12 packages no grpc_health_probe).
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Server address (gRPC target syntax)");
ABSL_FLAG(std::string, service, "",
          "Service name to ask about; empty means the server as a whole");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(3), "Deadline for the call");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Exit 0 when the server's gRPC health service answers SERVING, 1 otherwise.\n"
      "  mtasts_health_probe --target=127.0.0.1:50051 [--service=mtasts.v1.MtaStsChecker]");
  absl::ParseCommandLine(argc, argv);
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout <= absl::ZeroDuration()) {
    fprintf(stderr, "mtasts_health_probe: --timeout must be positive\n");
    return 2;
  }
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    fprintf(stderr, "mtasts_health_probe: %s: status %d: %s\n",
            absl::GetFlag(FLAGS_target).c_str(), static_cast<int>(status.error_code()),
            status.error_message().c_str());
    return 1;
  }
  const std::string name =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  printf("%s\n", name.c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

// The gRPC edge: MtaStsChecker on the callback API.
//
// The methods are registered raw (bytes in, bytes out; see raw_request.h for
// why) and decode requests themselves, so a request the generated parser
// would refuse (a domain that is not UTF-8) still gets a clear answer.
// CheckDomain and StreamFleet validate input, admit the work against the
// server-wide in-flight limit (RESOURCE_EXHAUSTED beyond it, never a queue),
// derive a deadline from the call's, the request's timeout and
// --check_timeout, and hand the domain to the engine. Cancellation of a call
// cancels its runs, which stops their DNS queries.
#ifndef MTASTS_SERVER_SERVICE_H_
#define MTASTS_SERVER_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/engine.h"
#include "grpcpp/support/byte_buffer.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "server/call_log.h"
#include "server/domain_name.h"

namespace mtasts::server {

struct ServiceOptions {
  int max_inflight = 2000;        // domains in flight in the whole server
  int fleet_max_inflight = 100;   // domains in flight (or awaiting the client) per stream
  absl::Duration check_timeout = absl::Seconds(15);
  CallLog* log = nullptr;         // not owned; may be null
};

// A validated request: the normalized domain and its run deadline.
struct AdmittedDomain {
  DomainName name;
  v1::CheckOptions options;
  absl::Time deadline;
};

// Both methods on the callback API, raw.
using RawCallbackService = v1::MtaStsChecker::WithRawCallbackMethod_CheckDomain<
    v1::MtaStsChecker::WithRawCallbackMethod_StreamFleet<v1::MtaStsChecker::Service>>;

class MtaStsService final : public RawCallbackService {
 public:
  // `engine` is not owned and must outlive the service.
  MtaStsService(engine::Engine* engine, ServiceOptions options);

  // `request` is a serialized CheckDomainRequest; `response` receives a
  // serialized DomainReport.
  grpc::ServerUnaryReactor* CheckDomain(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  // Reads serialized FleetRequests, writes serialized FleetEvents.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamFleet(
      grpc::CallbackServerContext* context) override;

  // Validates domain and options; the deadline is the earliest of the
  // request's timeout, --check_timeout and (with a margin to answer in) the
  // call's deadline. INVALID_ARGUMENT with a message saying what is wrong.
  absl::StatusOr<AdmittedDomain> Validate(const std::string& domain,
                                          const v1::CheckOptions& options,
                                          absl::Time call_deadline) const;

  // Server-wide admission. TryAdmit is false at the limit; every admitted
  // domain is released exactly once.
  bool TryAdmit();
  void Release();
  // The refusal for a domain TryAdmit turned away; one wording for both RPCs.
  absl::Status AtInflightLimit() const;
  int InFlight() const { return inflight_.load(); }

  engine::Engine& engine() { return *engine_; }
  const ServiceOptions& options() const { return options_; }

 private:
  engine::Engine* const engine_;
  const ServiceOptions options_;
  std::atomic<int> inflight_{0};
};

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_SERVICE_H_

// The gRPC edge: MtaStsChecker on the callback API.
//
// The methods are registered raw (bytes in, bytes out; see raw_request.h for
// why) and decode requests themselves, so a request the generated parser
// would refuse (a domain that is not UTF-8) still gets a clear answer.
// CheckDomain and StreamFleet validate input, admit the work against the
// server-wide in-flight limit, derive a deadline from the call's, the
// request's timeout and --check_timeout, and hand the domain to the engine. Cancellation of a call
// cancels its runs, which stops their DNS queries.
//
// At the server-wide limit CheckDomain is refused (RESOURCE_EXHAUSTED), while
// a fleet stream holds the entry it read, stops reading (flow control holds
// its sender back) and waits its turn: freed slots go to waiting streams
// first come, first served.
//
// Draining (BeginDrain, on SIGTERM): open fleet streams stop reading, answer
// the entries they admitted, then end with UNAVAILABLE "server draining" (a
// stream the client already half-closed ends normally, with its summary);
// entries read but not admitted get no event, so a client resends every
// unanswered entry elsewhere. New streams end so at once. CheckDomain is
// served as before until the gRPC server stops accepting calls.
#ifndef MTASTS_SERVER_SERVICE_H_
#define MTASTS_SERVER_SERVICE_H_

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  absl::Duration check_timeout = absl::Seconds(75);
  CallLog* log = nullptr;         // not owned; may be null
  // Called each time a fleet stream starts checking an entry, with that
  // stream's domains in flight counting it (1..fleet_max_inflight); for the
  // per-stream histogram (ServerMetrics::OnFleetEntryStarted). Runs with the
  // stream's lock held: must not call back into the service. May be empty.
  std::function<void(int)> on_fleet_entry_started;
};

// A validated request: the normalized domain and its run deadline.
struct AdmittedDomain {
  DomainName name;
  v1::CheckOptions options;
  absl::Time deadline;
};

// A fleet stream waiting for a server-wide slot (MtaStsService::AdmitOrWait).
class AdmissionWaiter {
 public:
  // The slot the waiter asked for, now admitted: the waiter must Release it
  // exactly once. Called without the service's lock, on the thread of the
  // Release that freed the slot; the caller holds no reactor's lock either.
  virtual void OnAdmitted() = 0;

 protected:
  ~AdmissionWaiter() = default;
};

// An open fleet stream, as the service's drain sees it.
class DrainableStream {
 public:
  // Stop reading entries; end the stream once the admitted ones are answered.
  // Called with the service's stream registry locked; may take the stream's
  // own lock. A no-op for a stream that has already ended.
  virtual void Drain() = 0;
  // Its domains being checked now (runs not yet called back). Called with
  // the service's stream registry locked; takes the stream's own lock.
  virtual int DomainsInFlight() = 0;

 protected:
  ~DrainableStream() = default;
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

  // Server-wide admission; every admitted domain is released exactly once.
  // TryAdmit (CheckDomain) is false at the limit, or while streams wait.
  bool TryAdmit();
  // For a fleet stream: true when admitted now; otherwise `waiter` is queued
  // (FIFO) and gets OnAdmitted once a slot is free, unless CancelWait takes
  // it out first. A waiter waits for one slot at a time. The caller may hold
  // its own lock (the service never calls a waiter under its lock).
  bool AdmitOrWait(AdmissionWaiter* waiter);
  // Takes `waiter` out of the queue: true if it was there (no OnAdmitted will
  // come); false if it was not (OnAdmitted has run or is under way).
  bool CancelWait(AdmissionWaiter* waiter);
  // Frees a slot, handing it to the first waiter if any. The caller must not
  // hold a waiter's lock: the handover calls OnAdmitted.
  void Release();
  // The refusal for a domain TryAdmit turned away.
  absl::Status AtInflightLimit() const;
  int InFlight() const;
  // The most domains ever admitted at once (never above max_inflight).
  int PeakInFlight() const;
  // Streams waiting for a slot.
  int Waiting() const;
  // The most domains any one open fleet stream is checking now (0 with no
  // stream). Walks the open streams: O(streams), for a scrape.
  int LargestStreamInFlight() const;

  // Starts draining (see above); idempotent. Call after health turned
  // NOT_SERVING, so that balancers stop sending first.
  void BeginDrain();
  bool draining() const;
  // Waits until every fleet stream is gone, or `deadline`; true if none is left.
  bool AwaitStreamsClosed(absl::Time deadline) const;
  // A new stream registers itself; false while draining (it must then end
  // with DrainingStatus() and not register). A registered stream
  // unregisters when it is destroyed.
  bool RegisterStream(DrainableStream* stream);
  void UnregisterStream(DrainableStream* stream);
  // The status a stream ends with when the server drains.
  static absl::Status DrainingStatus(int answered);

  engine::Engine& engine() { return *engine_; }
  const ServiceOptions& options() const { return options_; }

 private:
  engine::Engine* const engine_;
  const ServiceOptions options_;
  mutable absl::Mutex mu_;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_inflight_ ABSL_GUARDED_BY(mu_) = 0;
  // Non-empty only at the limit: Release hands each freed slot to the front.
  std::deque<AdmissionWaiter*> waiters_ ABSL_GUARDED_BY(mu_);
  // Lock order: streams_mu_, then a stream's lock, then mu_.
  mutable absl::Mutex streams_mu_;
  bool draining_ ABSL_GUARDED_BY(streams_mu_) = false;
  std::vector<DrainableStream*> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_SERVICE_H_

// A thin C++ client of mtasts.v1.MtaStsChecker: one domain, or a fleet over
// one flow-controlled stream. What it adds to the generated stub:
//   - targets with several addresses balanced round-robin ("dns:///h:p",
//     "ipv4:10.0.0.1:50051,10.0.0.2:50051", or plain "host:port");
//   - TLS and mutual TLS;
//   - CheckDomain retried with backoff on RESOURCE_EXHAUSTED and UNAVAILABLE
//     (it is read-only, so safe), by gRPC's own retry policy, within the
//     call's timeout; StreamFleet is never retried;
//   - a fleet spread over every backend of the target (one stream per
//     backend, entries to whichever has room), with failover: entries a
//     backend did not answer (killed, draining, unreachable) are re-sent to
//     the others, every entry is reported exactly once, and the summary is
//     the whole fleet's;
//   - errors as absl::Status carrying the gRPC code and message.
//
//   auto client = mtasts::client::Client::Create({.target = "dns:///checker:50051"});
//   absl::StatusOr<v1::DomainReport> report =
//       (*client)->Check("example.com", {"txt", "policy_fetch"}, absl::Seconds(20));
//   if (!report.ok()) ... report.status().code() is the gRPC code ...
//
//   // A fleet: entries are pulled one at a time as the server takes them,
//   // events arrive in completion order, the summary last.
//   absl::Status done = (*client)->Fleet(
//       [&]() -> absl::StatusOr<std::optional<v1::FleetRequest>> { ... next entry ... },
//       [&](const v1::FleetEvent& event) { ... });
#ifndef MTASTS_CLIENTS_CPP_CLIENT_H_
#define MTASTS_CLIENTS_CPP_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/sync_stream.h"
#include "mtasts/v1/service.grpc.pb.h"

namespace mtasts::client {

// Transport security. All empty: TLS with the system's roots.
struct TlsOptions {
  std::string root_certs_pem;   // CA that signed the server; empty: system roots
  std::string cert_chain_pem;   // client certificate chain (mutual TLS)...
  std::string private_key_pem;  // ...and its key; both or neither

  // Reads the PEM files; an empty path leaves that part empty. Errors:
  // INVALID_ARGUMENT naming the file that cannot be read.
  static absl::StatusOr<TlsOptions> FromFiles(const std::string& ca_file,
                                              const std::string& cert_file,
                                              const std::string& key_file);
};

// Retries of CheckDomain (gRPC retry policy: the n-th retry waits a random
// time up to min(initial_backoff * multiplier^(n-1), max_backoff)).
struct RetryOptions {
  int max_attempts = 4;  // 1: no retry; gRPC allows at most 5
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(2);
  double backoff_multiplier = 2;
};

struct ClientOptions {
  // Anything grpc::CreateChannel takes. Several addresses are used round-robin.
  std::string target = "127.0.0.1:50051";
  std::optional<TlsOptions> tls;  // unset: plaintext
  RetryOptions retry;
};

// How Client::Fleet spreads a fleet over the target's backends (see
// clients/cpp/backends.h for what a backend is).
struct FleetOptions {
  // Bounds the whole fleet, failovers included (infinite: no deadline).
  absl::Duration timeout = absl::InfiniteDuration();
  // Entries sent to one backend and not yet answered. The server's own
  // per-stream limit (--fleet_max_inflight, default 100) is the natural value:
  // more only waits in transport buffers, and is re-sent if that backend dies.
  int window = 100;
  // A backend whose streams fail this many times in a row without answering
  // anything is given up for this fleet; when every backend is, the fleet
  // fails with UNAVAILABLE.
  int max_stream_failures = 5;
  // Wait before a failed backend gets a new stream: doubles per failure in a
  // row, up to max_retry_backoff.
  absl::Duration retry_backoff = absl::Milliseconds(250);
  absl::Duration max_retry_backoff = absl::Seconds(4);
  // Called on the thread that calls the EventSink after each batch of events
  // that were ready together, before it waits for more (and after the
  // summary): where a caller that buffers its output flushes it.
  std::function<void()> on_batch_end;
  // The calling thread drives every stream itself (gRPC's async API on one
  // completion queue): it reads the events, passes them on, asks the
  // EntrySource and writes the entries, with no thread woken per entry
  // (18-44% less CPU per domain for the CLI, docs/performance.md). But
  // while the source blocks, no event is read or passed on: for sources
  // that answer at once (a file), not a pipe that may wait for its writer.
  bool drive_on_calling_thread = false;
};

// What a spread fleet did, for the caller's own summary line.
struct FleetStats {
  struct BackendStats {
    std::string address;         // the backend's target, e.g. "ipv4:10.0.0.1:50051"
    int64_t sent = 0;            // entries written to it (re-sends included)
    int64_t answered = 0;        // entries it answered (the events passed on)
    int streams = 0;             // streams opened to it
    int failed_streams = 0;      // streams that ended without answering all they got
    int64_t resent_from = 0;     // of its entries, re-sent elsewhere
    bool given_up = false;       // max_stream_failures reached
    std::string last_error;      // the last failed stream's status
  };
  int backends = 0;
  int64_t entries = 0;     // entries taken from the source
  int64_t answered = 0;    // entries reported (each once)
  int64_t resent = 0;      // entries sent again after their stream ended unanswered
  int64_t duplicates = 0;  // answers dropped because the entry already had one
  std::vector<BackendStats> per_backend;
};

// One StreamFleet call. Send() and Close() may run on one thread while
// Next() runs on another (one of each at a time). Send() blocks while the
// server is not reading (it stops at its per-stream in-flight limit), so
// calling Send() and Next() alternately from a single thread can deadlock:
// read on another thread, or use Client::Fleet.
class FleetCall {
 public:
  ~FleetCall();  // cancels the call if Finish() was not reached

  // Sends one entry. False: the call has ended (Next()/Finish() say why).
  bool Send(const v1::FleetRequest& entry);
  // No more entries: the server answers those in flight, then sends the summary.
  bool Close();
  // The next event in completion order; nullopt once the stream is over.
  std::optional<v1::FleetEvent> Next();
  // Ends the call early from any thread; pending Send()/Next() return.
  void Cancel();
  // After Next() returned nullopt: OK, or the call's gRPC code and message.
  absl::Status Finish();

 private:
  friend class Client;
  FleetCall() = default;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::FleetRequest, v1::FleetEvent>> stream_;
  bool finished_ = false;
};

class Client {
 public:
  // Builds the channel (it connects lazily, on the first call). Errors:
  // INVALID_ARGUMENT for an empty target, a client certificate without key,
  // or retry options gRPC would refuse.
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);

  // Checks one domain. `checks` empty: all. `timeout` bounds the whole call
  // with its retries (infinite: no deadline). Errors: the server's status
  // (INVALID_ARGUMENT for a bad domain or check name, RESOURCE_EXHAUSTED when
  // still at its limit after the retries, ...) or the transport's
  // (UNAVAILABLE, DEADLINE_EXCEEDED).
  absl::StatusOr<v1::DomainReport> Check(const std::string& domain,
                                         const std::vector<std::string>& checks = {},
                                         absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<v1::DomainReport> Check(const v1::CheckDomainRequest& request,
                                         absl::Duration timeout = absl::InfiniteDuration());

  // Starts a StreamFleet call; `timeout` bounds the whole stream.
  std::unique_ptr<FleetCall> StartFleet(absl::Duration timeout = absl::InfiniteDuration());

  // Next entry of a fleet: an entry, nullopt at the end, or an error, which
  // cancels the stream (no summary) and is returned by Fleet().
  using EntrySource = std::function<absl::StatusOr<std::optional<v1::FleetRequest>>()>;
  using EventSink = std::function<void(const v1::FleetEvent&)>;

  // Streams a fleet over every backend of the target (one StreamFleet call
  // per backend at a time). `next_entry` runs on threads of Fleet's own, one
  // call at a time, and is asked for an entry only when a stream has room
  // (FleetOptions::window), or on the calling thread with
  // FleetOptions::drive_on_calling_thread; `on_event` runs on the calling
  // thread for every entry exactly once, in completion order, with the
  // caller's tag, then for the fleet's summary, built from those events (the
  // servers' own per-stream summaries are not passed on). A backend that
  // fails mid-fleet has its unanswered entries re-sent to the others
  // (stats->resent).
  // Returns OK once every entry is answered; otherwise, with no summary: the
  // source's error, DEADLINE_EXCEEDED (the timeout), UNAVAILABLE when every
  // backend was given up, a status no other backend would answer
  // differently (UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED, ...), or
  // INVALID_ARGUMENT for bad options or target. `stats` (may be null) is
  // filled in either case.
  absl::Status Fleet(const EntrySource& next_entry, const EventSink& on_event,
                     const FleetOptions& options, FleetStats* stats = nullptr);
  absl::Status Fleet(const EntrySource& next_entry, const EventSink& on_event,
                     absl::Duration timeout = absl::InfiniteDuration());

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  Client(std::shared_ptr<grpc::Channel> channel, std::string target,
         std::shared_ptr<grpc::ChannelCredentials> credentials, grpc::ChannelArguments args,
         bool tls);
  std::shared_ptr<grpc::Channel> channel_;
  // What the per-backend channels of a fleet are built from.
  const std::string target_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const grpc::ChannelArguments args_;
  const bool tls_;
  std::unique_ptr<v1::MtaStsChecker::Stub> stub_;
};

// The gRPC status as an absl::Status (same code number, same message).
absl::Status FromGrpc(const grpc::Status& status);

// The service config the channel is built with: round_robin, and the
// CheckDomain retry policy (none when max_attempts is 1). Exposed for tests.
std::string ServiceConfigJson(const RetryOptions& retry);

}  // namespace mtasts::client

#endif  // MTASTS_CLIENTS_CPP_CLIENT_H_

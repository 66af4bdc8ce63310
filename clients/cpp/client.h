// A thin C++ client of mtasts.v1.MtaStsChecker: one domain, or a fleet over
// one flow-controlled stream. What it adds to the generated stub:
//   - targets with several addresses balanced round-robin ("dns:///h:p",
//     "ipv4:10.0.0.1:50051,10.0.0.2:50051", or plain "host:port");
//   - TLS and mutual TLS;
//   - CheckDomain retried with backoff on RESOURCE_EXHAUSTED and UNAVAILABLE
//     (it is read-only, so safe), by gRPC's own retry policy, within the
//     call's timeout; StreamFleet is never retried;
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

  // Streams a fleet: `next_entry` runs on a thread of Fleet's own and is asked
  // for the next entry only when the stream takes it (nothing is buffered
  // beyond the transport's window); `on_event` runs on the calling thread for
  // every event, the summary last. Returns when the stream is over: OK, the
  // source's error, or the call's gRPC status.
  absl::Status Fleet(const EntrySource& next_entry, const EventSink& on_event,
                     absl::Duration timeout = absl::InfiniteDuration());

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  explicit Client(std::shared_ptr<grpc::Channel> channel);
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MtaStsChecker::Stub> stub_;
};

// The gRPC status as an absl::Status (same code number, same message).
absl::Status FromGrpc(const grpc::Status& status);

// The service config the channel is built with: round_robin, and the
// CheckDomain retry policy (none when max_attempts is 1). Exposed for tests.
std::string ServiceConfigJson(const RetryOptions& retry);

}  // namespace mtasts::client

#endif  // MTASTS_CLIENTS_CPP_CLIENT_H_

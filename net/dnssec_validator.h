// DnssecValidator: a validating resolver over libunbound, on our reactor.
//
// Answers are validated by us from a trust anchor (DNSKEY or DS lines in a
// file; default Debian's dns-root-data root key), never by trusting a
// resolver's AD bit. Resolution is full recursion from the root hints, or
// through a forwarder (RD queries) that is not trusted for validation.
//
//   auto v = DnssecValidator::Create(reactor, options);      // reactor thread
//   QueryId id = (*v)->Resolve("example.com", kDnsTypeMx,
//                              [](ValidatedResult r) { ... });  // later, same thread
//   (*v)->Cancel(id);                                        // callback never runs
//
// Ownership model: one validator (one ub_ctx, one libunbound worker thread,
// one cache) per reactor, touched only on that reactor's thread; its result
// pipe (ub_fd) is watched on the reactor and drained with ub_process, so no
// thread of ours ever blocks on DNS. Callers that share a validator across
// reactors keep one per reactor.
//
// libunbound has no timeout for async queries: each query gets a reactor
// timer, and at its deadline the query is ub_cancel()ed and reported as
// kTimeout.
#ifndef MTASTS_NET_DNSSEC_VALIDATOR_H_
#define MTASTS_NET_DNSSEC_VALIDATOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/dns_types.h"
#include "net/dnssec_types.h"
#include "net/lifetime.h"
#include "net/reactor.h"

struct ub_ctx;
struct ub_result;

namespace mtasts::net {

// Where Debian's dns-root-data puts the root zone's key.
inline constexpr char kDefaultTrustAnchorFile[] = "/usr/share/dns/root.key";

struct DnssecOptions {
  // DNSKEY or DS lines (zone-file format); empty: kDefaultTrustAnchorFile.
  std::string trust_anchor_file;
  // "ip", "ip:port", "[v6]:port" or "ip@port": send RD queries there instead
  // of recursing; answers are still validated here. Empty: full recursion.
  std::string forwarder;
  // Tests: stub zones ("zone", "ip@port"), e.g. {".", "127.0.0.1@5353"}, so
  // recursion starts at a lab's root server.
  std::vector<std::pair<std::string, std::string>> stubs;
  // Allows queries to 127.0.0.0/8 and ::1 (labs; libunbound refuses by default).
  bool allow_localhost = false;
  // RFC 6761 names libunbound answers NXDOMAIN itself unless told otherwise;
  // labs that use them list them here ("test.", "example.").
  std::vector<std::string> unblock_local_zones;
  absl::Duration query_timeout = absl::Seconds(5);
  // Queries handed to libunbound at once (it drops what is beyond its
  // num-queries-per-thread, and a flood of them only overloads the
  // forwarder). More wait in line, first come first served; one still
  // waiting at its timeout ends kResolverOverloaded: the checker's own load,
  // nothing about the name.
  int max_outstanding = 256;
  // Bounds on what an answer may make us keep; more is dropped and `detail`
  // says so.
  int max_records = 32;
  size_t max_rdata_bytes = 4096;
};

// Which DnssecOptions field an error of Create() or ValidateOptions() is
// about, so that callers can name the setting without reading the message.
enum class DnssecOptionFault {
  kNone,             // OK, or not about one option (INTERNAL, ...)
  kTrustAnchorFile,  // unreadable, no DS/DNSKEY line, or libunbound refused it
  kForwarder,
  kStub,
};
// The fault recorded in `status` by Create() or ValidateOptions(). Any thread.
DnssecOptionFault DnssecOptionFaultOf(const absl::Status& status);

class DnssecValidator : public FdHandler {
 public:
  using Callback = absl::AnyInvocable<void(ValidatedResult)>;
  using QueryId = uint64_t;  // 0 is never a valid id

  // Reactor thread only. Errors: INVALID_ARGUMENT naming the problem for an
  // unreadable trust anchor file or one without DNSKEY/DS lines, a bad
  // forwarder or stub (DnssecOptionFaultOf says which); INTERNAL when
  // libunbound cannot be set up;
  // FAILED_PRECONDITION off the reactor thread.
  static absl::StatusOr<std::unique_ptr<DnssecValidator>> Create(Reactor* reactor,
                                                                 const DnssecOptions& options);
  // The checks Create() makes before touching libunbound (trust anchor file
  // readable with a DS or DNSKEY line, forwarder and stubs are IP addresses
  // with valid ports), for callers that want the error at startup. Any thread.
  static absl::Status ValidateOptions(const DnssecOptions& options);
  // Reactor thread only, while the reactor lives, unless ForgetReactor() was
  // called. Pending callbacks never run.
  ~DnssecValidator() override;

  // Starts a validated lookup. `done` runs exactly once on the reactor thread,
  // never inside this call, unless cancelled first. Reactor thread only.
  QueryId Resolve(const std::string& name, uint16_t type, Callback done);
  // Resolve() with a deadline shorter than options.query_timeout.
  QueryId Resolve(const std::string& name, uint16_t type, absl::Duration timeout,
                  Callback done);
  // Stops a query; its callback never runs. No-op for unknown or finished ids.
  void Cancel(QueryId id);
  // Queries started and not yet delivered (waiting ones included).
  int InFlight() const { return static_cast<int>(pending_.size()); }
  // Of those, the ones waiting for a place (max_outstanding).
  int Waiting() const { return static_cast<int>(pending_.size()) - sent_; }

  // For owners that outlive the reactor (destroyed after it): the destructor
  // then leaves the reactor alone. Call on the reactor thread, or after the
  // reactor is gone.
  void ForgetReactor() {
    for (auto& [id, pending] : pending_) pending.timer.Forget();
    reactor_ = nullptr;
  }

  void OnFdReady(int fd, uint32_t events) override;

 private:
  struct Pending {
    std::string name;
    uint16_t type = 0;
    int async_id = 0;
    bool sent = false;  // handed to libunbound (else waiting for a place)
    ReactorTimer timer;  // the query's timeout, or its early delivery
    Callback done;
  };
  DnssecValidator(Reactor* reactor, DnssecOptions options, ub_ctx* ctx);
  static void OnUnboundResult(void* arg, int err, ub_result* result);
  void Deliver(QueryId id, ValidatedResult result);
  void OnTimeout(QueryId id);
  // Hands `id` to libunbound (it holds one of max_outstanding places).
  void Send(QueryId id);
  // Gives a freed place to the first query still waiting.
  void SendWaiting();
  // Removes a pending query, freeing its place if it held one.
  void Erase(absl::flat_hash_map<QueryId, Pending>::iterator it);

  Reactor* reactor_;
  const DnssecOptions options_;
  ub_ctx* const ctx_;
  int fd_ = -1;
  QueryId next_id_ = 1;
  absl::flat_hash_map<QueryId, Pending> pending_;
  int sent_ = 0;                 // pending_ entries with `sent`
  std::deque<QueryId> waiting_;  // in arrival order; ids gone from pending_ are skipped
  // Set while ub_process() runs, so a callback that destroys us is detected.
  bool* destroyed_flag_ = nullptr;
};

// Parses a ub_result into a ValidatedResult (exposed for tests).
ValidatedResult ToValidatedResult(const std::string& name, uint16_t type, int err,
                                  const ub_result* result, const DnssecOptions& options);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNSSEC_VALIDATOR_H_

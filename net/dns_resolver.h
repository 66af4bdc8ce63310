// Asynchronous DNS over c-ares, driven by a Reactor (c-ares' sockets on our
// epoll loop through ARES_OPT_SOCK_STATE_CB and ares_process_fd; its timeouts on
// a reactor timer; never ares_process polling).
//
// A DnsSession is owned by one CheckRun and lives on one reactor; the
// sessions of a reactor share c-ares channels (a fresh channel every 64
// sessions, so the UDP source port still changes; one channel per run cost
// about 74 KiB of c-ares tables). Cancel() (or destroying the session) drops
// every query it has in flight, and their UDP retries are not sent, so a
// cancelled RPC stops its network work.
//
// Sessions given a shared DnsUpstream (DnsOptions::upstream; the engine gives
// every run the same one) are paced and tell our overload from the domain's
// (docs/design.md, "DNS under load"):
//  - each query holds one of the upstream's slots while c-ares works on it
//    (DnsPacer: a server-wide bound, FIFO beyond it); a query still waiting
//    for a slot at the session's deadline ends kResolverOverloaded, and
//    Cancel() takes waiting queries out of the line;
//  - a lookup whose tries all timed out asks whether our resolver answers at
//    all (DnsUpstream: a shared ". NS" probe) and whether lookups of many
//    other runs timed out at the same time (DnsUpstream's window). Neither:
//    kTimeout, the domain's name servers did not answer. Either: the lookup is sent
//    again after a backoff (overload_backoff, doubling, at most
//    overload_retries times, and only when a whole round of tries still fits
//    before the deadline), then ends kResolverOverloaded.
//
//   auto session = DnsSession::Create(reactor, options);   // on reactor thread
//   (*session)->Query("_mta-sts.example.com", RrType::kTxt,
//                     [](DnsResult r) { ... });             // later, reactor thread
//
// Answers distinguish NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeout; a
// truncated UDP answer is retried over TCP (c-ares does this; `used_tcp` says
// so); CNAME chains are followed up to `max_cname_depth`, loops detected; TXT
// records made of several character-strings are joined without separators
// (RFC 7208 §3.3, RFC 8461 §3.1).
//
// Details worth knowing:
//  - CNAMEs: when a server returns an alias without the target's records (a
//    non-recursive server), the session asks for the target itself; every
//    hop counts towards max_cname_depth. Asking for RrType::kCname returns
//    the alias itself in `cname_chain` and follows nothing.
//  - `used_tcp` is set when a UDP reply to this lookup's question came back
//    truncated (TC, or over 512 bytes): lookups of the same name and type in
//    flight on one channel share the flag.
//  - SERVFAIL and REFUSED are reported as the first server answered them;
//    the session does not fail over to the next server for them (c-ares 1.18
//    would, but then loses the rcode). Timeouts and unreachable servers do
//    move on to the next server.
//  - `ttl` is the minimum over the CNAMEs followed and the records kept (0
//    for anything but kAnswer).
//  - Who answered (`answered_by`, AnsweredBy()) is taken per answer from the
//    socket c-ares read it from: c-ares connects each socket to one server
//    and hands an answer to its callback inside the same ares_process_fd
//    call, right after the read that completed it (a UDP datagram's ID must
//    match too). Through a relay, DnsOptions::answer_origin names the
//    resolver behind it.
#ifndef MTASTS_NET_DNS_RESOLVER_H_
#define MTASTS_NET_DNS_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/dns_types.h"
#include "net/dns_upstream.h"
#include "net/reactor.h"

namespace mtasts::net {

struct DnsServer {
  std::string host;  // IPv4 or IPv6 literal
  int port = 53;
};

// Parses "ip[:port],[v6]:port,..." into servers (port 53 when omitted; a
// bare IPv6 literal without brackets takes no port). Empty input: empty list.
// Errors: INVALID_ARGUMENT naming the bad entry (not an IP literal, bad port,
// empty entry).
absl::StatusOr<std::vector<DnsServer>> ParseDnsServers(const std::string& csv);

struct DnsOptions {
  std::vector<DnsServer> servers;          // empty: system resolver configuration
  absl::Duration attempt_timeout = absl::Seconds(2);
  int tries = 2;
  int max_cname_depth = 8;
  // Bounds on remote input: records beyond these are dropped and `detail` says so.
  int max_records = 32;
  int max_txt_record_bytes = 4096;
  // Shared by every session of the server: pacing and the resolver's health.
  // Null: no pacing, and a timeout is always kTimeout.
  std::shared_ptr<DnsUpstream> upstream;
  // When our own resolver is silent: how often a timed-out lookup is sent
  // again, and the wait before the first resend (doubled for each next).
  int overload_retries = 2;
  absl::Duration overload_backoff = absl::Milliseconds(500);
  // Told of every question that finishes (not of cancelled ones), on the
  // reactor thread, before its callback runs; must be cheap and thread-safe
  // (sessions on other reactors share it). Empty: nobody is told.
  std::function<void(const DnsQueryStats&)> on_question_finished;
  // When `servers` is a relay (the tls/https forwarder): who really answered
  // `answer`, which came in on our socket bound to local port `local_port`
  // ("" when the relay does not know). Called on the reactor thread; must be
  // thread-safe. Empty: the server the answer came from answered it.
  std::function<std::string(uint16_t local_port, const unsigned char* answer, size_t len)>
      answer_origin;
};

class DnsSession {
 public:
  using Callback = absl::AnyInvocable<void(DnsResult)>;

  // Reactor thread only. `deadline`: when the session's owner gives up (the
  // run's deadline); bounds the wait for a slot and the overload resends.
  // Errors: c-ares init failure (INTERNAL), bad servers or options
  // (INVALID_ARGUMENT), called off the reactor thread (FAILED_PRECONDITION).
  static absl::StatusOr<std::unique_ptr<DnsSession>> Create(
      Reactor* reactor, const DnsOptions& options,
      absl::Time deadline = absl::InfiniteFuture());
  // Cancels everything in flight. Reactor thread only, and before the reactor
  // is destroyed.
  virtual ~DnsSession() = default;

  // Starts a lookup. `done` runs exactly once, on the reactor thread, never
  // inside this call, unless the session is cancelled or destroyed first (then
  // it never runs). Reactor thread only.
  virtual void Query(const std::string& name, RrType type, Callback done) = 0;

  // Stops all queries in flight (and takes those waiting for a slot out of
  // the pacer's line); their callbacks never run, nor do those of later
  // Query() calls. Reactor thread only.
  virtual void Cancel() = 0;

  // Queries started and not yet completed, waiting ones included (for tests
  // and metrics).
  virtual int InFlight() const = 0;

  // The resolvers that answered at least one of this session's lookups,
  // each once, in the order of their first answer, at most
  // kMaxAnsweredBy: "ip:port" ("[v6]:port"), spelled as in
  // DnsOptions::servers when the answer's source is one of them, or
  // DnsOptions::answer_origin's word. Reactor thread only.
  static constexpr size_t kMaxAnsweredBy = 8;
  virtual const std::vector<std::string>& AnsweredBy() const = 0;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_RESOLVER_H_

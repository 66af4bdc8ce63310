// DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484) as the resolver
// transport of the whole server (--dns_transport=tls|https), behind a local
// forwarder so that c-ares (DnsSession) and libunbound (DnssecValidator)
// need no transport code of their own: both are pointed at the forwarder's
// 127.0.0.1:<port> (UDP and TCP on the same port) as their only server,
// and the forwarder relays every query over ONE long-lived connection to
// the configured resolver (docs/design.md, "Encrypted resolver transports").
//
//   auto endpoints = ParseDnsStreamEndpoints(DnsTransportKind::kTls,
//                                            "192.0.2.53:853#dns.example");
//   DnsForwarderOptions o; o.endpoints = *endpoints; o.ca_file = "...";
//   auto fwd = DnsForwarder::Start(o);      // its own reactor thread
//   DnsServer local = (*fwd)->local();      // 127.0.0.1:<ephemeral>
//
// The connection: the resolver's certificate is verified (chain against
// ca_file or the system store, name as net/tls_stream.h verifies it); DoT
// queries are pipelined with IDs rewritten so concurrent queries never
// collide and answers are matched by ID and question; DoH queries are
// HTTP/2 streams (POST application/dns-message, ID 0) multiplexed on the
// connection (libnghttp2). A connection that closes or breaks is reopened
// and the queries in flight on it are sent again (at most max_sends times
// each, within their deadline); endpoints are tried in turn. Idle
// connections close after idle_timeout.
//
// When the resolver cannot be reached (refused, timeout, untrusted
// certificate), queries get no answer at all: to the client that is a
// silent resolver, which DnsUpstream reports as our own overload
// (RESOLVER_OVERLOADED), never as the domain's failure; last_error() says
// why, and reports carry it (ResolverVantage.transport_error).
//
// Who answered: every relayed answer is remembered (bounded, oldest
// forgotten first) under the local client's port, the ID it got back and the
// question, with the resolver whose connection carried it; the client's
// DnsSession asks AnsweredBy() with the answer it read (DnsOptions::
// answer_origin), so reports name the resolver that answered each lookup.
//
// Bounds: max_queries waiting or in flight (more are dropped unanswered),
// answers of at most 65535 bytes, HTTP/2 headers of at most 16 KiB per
// response, max_tcp_clients local TCP clients with bounded buffers.
#ifndef MTASTS_NET_DNS_STREAM_TRANSPORT_H_
#define MTASTS_NET_DNS_STREAM_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/dns_resolver.h"
#include "net/reactor.h"

namespace mtasts::net {

enum class DnsTransportKind { kUdp, kTls, kHttps };

// "udp", "tls", "https". Errors: INVALID_ARGUMENT naming the accepted values.
absl::StatusOr<DnsTransportKind> ParseDnsTransportKind(const std::string& text);
const char* DnsTransportName(DnsTransportKind kind);

// One encrypted resolver.
struct DnsStreamEndpoint {
  std::string address;      // IP literal connected to
  uint16_t port = 853;
  std::string verify_name;  // certificate name (or IP literal, as iPAddress)
  std::string path;         // DoH only: the URL path, e.g. "/dns-query"
  std::string authority;    // DoH only: the :authority (host[:port])
  std::string display;      // as written in --dns_servers
};

// Parses --dns_servers for a stream transport, comma-separated:
//  tls:   "ip[:port][#name]" ("[v6]:port#name"); port 853 when omitted; the
//         certificate is verified for `name`, or for the IP itself.
//  https: "https://ip[:port]/path" (the certificate must name the IP), or
//         "https://name[:port]/path#ip" (connect to ip, verify name).
// No name is resolved here: the address to connect to is always written, so
// finding the resolver never depends on another resolver.
// Errors: INVALID_ARGUMENT naming the bad entry; an empty list.
absl::StatusOr<std::vector<DnsStreamEndpoint>> ParseDnsStreamEndpoints(
    DnsTransportKind kind, const std::string& csv);

struct DnsForwarderOptions {
  DnsTransportKind kind = DnsTransportKind::kTls;
  std::vector<DnsStreamEndpoint> endpoints;  // tried in turn on failure
  std::string ca_file;                       // empty: the system trust store
  absl::Duration connect_timeout = absl::Seconds(5);  // TCP and TLS handshake each
  // How long a query is kept (waiting for a connection, or in flight);
  // after that it is dropped unanswered: the client has given up by then.
  absl::Duration query_timeout = absl::Seconds(10);
  int max_sends = 3;  // first send plus resends after a broken connection
  int max_queries = 8192;
  int max_tcp_clients = 512;
  absl::Duration idle_timeout = absl::Seconds(30);
  // First wait before reconnecting after a failed attempt (doubling, at
  // most 5 s); the first reconnect after a working connection closed is
  // immediate.
  absl::Duration reconnect_backoff = absl::Milliseconds(100);
  // How many relayed answers AnsweredBy() can still attribute (oldest
  // forgotten first). An entry is needed only from the relay until the
  // client reads the answer from its socket; answers nobody asks about
  // (libunbound's) are what the bound throws away.
  int answers_remembered = 8192;
};

// Counters (thread-safe reads).
struct DnsForwarderStats {
  int64_t connections_opened = 0;  // TLS handshakes that succeeded
  int64_t connect_failures = 0;    // attempts that did not get that far
  int64_t queries = 0;             // accepted from local clients
  int64_t answers = 0;             // relayed back
  int64_t resent = 0;              // sent again after a connection broke
  int64_t dropped = 0;             // unanswered: deadline, bounds, bad answers
};

class DnsForwarder {
 public:
  // Binds 127.0.0.1:<ephemeral> (UDP and TCP) and starts the forwarder's
  // reactor thread; connects lazily, on the first query. Errors:
  // INVALID_ARGUMENT (no endpoints, kind udp, bad ca_file), INTERNAL (sockets).
  static absl::StatusOr<std::unique_ptr<DnsForwarder>> Start(const DnsForwarderOptions& options);
  virtual ~DnsForwarder() = default;

  // Where c-ares and libunbound send their queries.
  virtual DnsServer local() const = 0;
  virtual DnsForwarderStats stats() const = 0;
  // The last failure, "<resolver as configured>: <why>": of a connection
  // (refused, untrusted certificate, closed mid-answer) or of a response the
  // resolver sent (HTTP status 500, an answer too large). Cleared when a
  // connection comes up; empty when none failed yet. Thread-safe.
  virtual std::string last_error() const = 0;
  // Which resolver (as configured, DnsStreamEndpoint::display) sent
  // `answer`, an answer this forwarder relayed to the local client whose
  // socket has port `client_port`: matched by the client's port, the ID it
  // got back and the question. Each relayed answer can be asked about once;
  // "" for one never relayed, asked about already, or forgotten (beyond
  // answers_remembered). Thread-safe.
  virtual std::string AnsweredBy(uint16_t client_port, absl::string_view answer) = 0;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_STREAM_TRANSPORT_H_

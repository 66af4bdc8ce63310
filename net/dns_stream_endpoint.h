// The forwarder's resolvers (net/dns_stream_transport.h), internal to it:
// the TLS context every connection to them shares, and which of them the
// next connection tries and after what pause. Parsing --dns_servers into
// DnsStreamEndpoint (declared in the public header) lives in the .cc too.
#ifndef MTASTS_NET_DNS_STREAM_ENDPOINT_H_
#define MTASTS_NET_DNS_STREAM_ENDPOINT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/dns_stream_transport.h"
#include "net/tls_client_context.h"

namespace mtasts::net {

// The forwarder's own TLS client context: chains verified against `ca_file`
// (empty: the system store); for DoH it offers ALPN "h2" (RFC 8484 §5.2), which
// is why the checks' contexts are not shared. Errors: as
// TlsClientContext::Create; INTERNAL when ALPN cannot be set.
absl::StatusOr<std::unique_ptr<TlsClientContext>> NewDnsStreamTlsContext(
    DnsTransportKind kind, const std::string& ca_file);

// The resolvers in turn: a connection that never came up moves on to the
// next one and makes the pause before the next attempt grow (doubling from
// `first_pause`, at most 5 s); one that came up resets the pause. The pause
// is forwarder-wide, not per resolver. Reactor thread only.
class DnsEndpointRotation {
 public:
  // `endpoints` is not empty.
  DnsEndpointRotation(std::vector<DnsStreamEndpoint> endpoints, absl::Duration first_pause)
      : endpoints_(std::move(endpoints)), first_pause_(first_pause), pause_(first_pause) {}

  // The resolver the next connection goes to.
  const DnsStreamEndpoint& current() const { return endpoints_[index_ % endpoints_.size()]; }
  // A connection came up: the next failure waits first_pause again.
  void Connected() { pause_ = first_pause_; }
  // A connection never came up: the next attempt tries the next resolver.
  void ConnectFailed() { ++index_; }
  // How long to wait before reconnecting after a failure; each call doubles
  // the pause the next one returns.
  absl::Duration TakePause();

 private:
  const std::vector<DnsStreamEndpoint> endpoints_;
  const absl::Duration first_pause_;
  absl::Duration pause_;
  size_t index_ = 0;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_STREAM_ENDPOINT_H_

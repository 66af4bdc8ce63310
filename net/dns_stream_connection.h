// One upstream connection of the forwarder (net/dns_stream_transport.h),
// internal to it: a TLS stream to one resolver carrying many queries at
// once, DoT (RFC 7858: framed, pipelined, IDs of ours) or DoH (RFC 8484:
// one HTTP/2 stream per query, libnghttp2). It pairs answers with queries
// and reports to the forwarder through ConnectionEvents; what to do with a
// query that failed (send again, drop) is the forwarder's call.
#ifndef MTASTS_NET_DNS_STREAM_CONNECTION_H_
#define MTASTS_NET_DNS_STREAM_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/dns_stream_transport.h"
#include "net/lifetime.h"
#include "net/reactor.h"
#include "net/tls_client_context.h"
#include "net/tls_stream.h"

namespace mtasts::net {

// Both kinds live on the forwarder's reactor and report to it through
// ConnectionEvents; neither is destroyed inside its own callbacks (the
// forwarder posts their destruction).

class UpstreamConnection;

class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void OnReady(UpstreamConnection* c) = 0;
  virtual void OnAnswer(UpstreamConnection* c, uint64_t key, std::string answer) = 0;
  // A query the resolver will not answer on this connection; `retry`: the
  // stream was refused (HTTP/2 REFUSED_STREAM, GOAWAY), so send it again.
  virtual void OnUnanswered(UpstreamConnection* c, uint64_t key, bool retry,
                            const std::string& why) = 0;
  // The connection is finished (failed, closed by the peer, or broke). No
  // more events follow.
  virtual void OnClosed(UpstreamConnection* c, const std::string& why, bool was_ready) = 0;
};

class UpstreamConnection {
 public:
  UpstreamConnection(Reactor* reactor, const TlsClientContext* tls, DnsStreamEndpoint endpoint,
                     absl::Duration connect_timeout, ConnectionEvents* events)
      : reactor_(reactor),
        tls_(tls),
        endpoint_(std::move(endpoint)),
        connect_timeout_(connect_timeout),
        events_(events) {}
  virtual ~UpstreamConnection() { lifetime_.Expire(); }

  // TCP, then the TLS handshake verifying endpoint().verify_name; OnReady
  // or OnClosed follows.
  void Connect();
  // Buffered until the connection is ready. False: this connection takes
  // no new queries (send it elsewhere).
  virtual bool Send(uint64_t key, const std::string& query, const std::string& question) = 0;
  // The query is no longer wanted (expired).
  virtual void Forget(uint64_t key) = 0;
  virtual size_t carried() const = 0;
  bool ready() const { return ready_ && !failed_; }
  bool failed() const { return failed_; }
  const DnsStreamEndpoint& endpoint() const { return endpoint_; }
  // Closes without an error (idle); OnClosed follows.
  void CloseIdle() { Fail(""); }

 protected:
  virtual void OnConnected() = 0;
  virtual void OnBytes(absl::string_view bytes) = 0;

  void Fail(const std::string& why);

  // Queues bytes for the wire; one Write in flight at a time.
  void Queue(std::string bytes) {
    out_.append(bytes);
    Flush();
  }
  void Flush();
  virtual void AfterWrite() { Flush(); }
  bool writing() const { return writing_; }

  void ReadMore();

  Reactor* const reactor_;
  const TlsClientContext* const tls_;
  const DnsStreamEndpoint endpoint_;
  const absl::Duration connect_timeout_;
  ConnectionEvents* const events_;
  LifetimeToken lifetime_;

 private:
  std::unique_ptr<TlsStream> stream_;
  bool ready_ = false;
  bool failed_ = false;
  bool writing_ = false;
  std::string out_;
};

// A DoH connection for kHttps, a DoT one otherwise; not connected yet.
std::unique_ptr<UpstreamConnection> NewUpstreamConnection(
    DnsTransportKind kind, Reactor* reactor, const TlsClientContext* tls,
    const DnsStreamEndpoint& endpoint, absl::Duration connect_timeout,
    ConnectionEvents* events);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_STREAM_CONNECTION_H_

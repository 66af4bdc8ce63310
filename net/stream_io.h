// One non-blocking read or write of a TlsStream, on the plaintext socket or
// through its TLS session, with the failure in words. Internal to the TLS
// client.
#ifndef MTASTS_NET_STREAM_IO_H_
#define MTASTS_NET_STREAM_IO_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/socket_bio.h"
#include "net/tls_types.h"
#include "net/tls_verify.h"

namespace mtasts::net {

// Where the bytes go. Pointers are not owned and must outlive the call.
struct IoTarget {
  int fd = -1;
  SSL* ssl = nullptr;  // null: plaintext on `fd`
  SocketBio* bio = nullptr;                // TLS only
  const HandshakeRecord* record = nullptr;  // TLS only: alerts for messages
  const std::string* peer = nullptr;        // "192.0.2.1:443", for messages
};

struct IoResult {
  enum Kind { kOk, kWouldBlock, kEof, kError };
  Kind kind = kOk;
  size_t bytes = 0;          // kOk: bytes read or written (at least 1 read)
  uint32_t wants = 0;        // kWouldBlock: the epoll event to wait for
  bool close_notify = false;  // kEof over TLS: the peer sent close_notify first
  bool ssl_dead = false;      // a fatal TLS error: no SSL_shutdown afterwards
  NetError error;             // kError: why
};

// Reads at most `cap` bytes. A TCP FIN without close_notify over TLS is
// kEof with close_notify false (RFC 8446 §6.1 wants one; many servers skip it).
IoResult ReadSome(const IoTarget& target, char* buf, size_t cap);
// Writes at most `len` bytes.
IoResult WriteSome(const IoTarget& target, const char* data, size_t len);

}  // namespace mtasts::net

#endif  // MTASTS_NET_STREAM_IO_H_

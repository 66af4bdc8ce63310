// An OpenSSL BIO over a non-blocking socket, for the TLS client: send()
// with MSG_NOSIGNAL (OpenSSL's socket BIO uses write(), which raises SIGPIPE
// on a closed connection), the errno kept for diagnosis, and the first bytes
// received kept to recognise a peer that does not speak TLS. Internal to the
// TLS client.
#ifndef MTASTS_NET_SOCKET_BIO_H_
#define MTASTS_NET_SOCKET_BIO_H_

#include <openssl/bio.h>

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mtasts::net {

// Bytes of the peer's first answer kept to tell TLS from plaintext.
inline constexpr size_t kSniffBytes = 48;

// The state behind one BIO; owned by the stream, which outlives the BIO's use.
struct SocketBio {
  int fd = -1;
  int last_errno = 0;  // of the last failed call, 0 after EOF or success
  bool eof = false;
  std::string first_bytes;  // at most kSniffBytes
};

// A BIO reading and writing `state->fd`; `state` is not owned and must
// outlive the BIO. Null when OpenSSL cannot allocate one.
BIO* NewSocketBio(SocketBio* state);

// RFC 8446 §5.1 / RFC 5246 §6.2.1: a record starts with a content type
// (20..24) and a 3.x version. True when `first` is too short to say.
bool LooksLikeTls(absl::string_view first);

}  // namespace mtasts::net

#endif  // MTASTS_NET_SOCKET_BIO_H_

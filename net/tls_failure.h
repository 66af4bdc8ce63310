// Failure classification for the TLS client: a socket errno, a failed
// handshake or a refused certificate turned into a NetError with one
// plain-English sentence. Trust (self-signed, unknown issuer, incomplete
// chain) before dates before the name; the other errors are appended.
// Internal to the TLS client.
#ifndef MTASTS_NET_TLS_FAILURE_H_
#define MTASTS_NET_TLS_FAILURE_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "net/socket_bio.h"
#include "net/tls_types.h"
#include "net/tls_verify.h"

namespace mtasts::net {

NetError MakeNetError(NetFailure failure, NetPhase phase, std::string message);

// A socket errno during `phase` with `peer` ("192.0.2.1:443"), in words.
NetError ErrnoError(int err, NetPhase phase, const std::string& peer);

// Why SSL_connect failed with `ssl_error` (SSL_get_error), from the socket
// (`bio`), the alerts in `record` and OpenSSL's error queue (drained).
// Certificate errors are not considered: see CertificateFailure.
NetError ClassifyHandshakeError(int ssl_error, const HandshakeRecord& record,
                                const SocketBio& bio, const std::string& peer);

// The certificate cause from the recorded verification errors (at least
// one), for the verified name `host`. `find_missing_intermediates` is asked
// only for a missing-issuer error; what it finds is stored in
// info->missing_intermediates. `info` holds the chain the peer sent.
NetError CertificateFailure(
    const HandshakeRecord& record, const std::string& host,
    absl::FunctionRef<std::vector<std::string>()> find_missing_intermediates, TlsInfo* info);

}  // namespace mtasts::net

#endif  // MTASTS_NET_TLS_FAILURE_H_

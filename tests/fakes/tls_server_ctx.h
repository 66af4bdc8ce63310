// The server side of TLS for the fakes (FakeHttpsServer, FakeSmtpServer):
// an SSL_CTX presenting a test certificate with exactly the chain the test
// chose, in the TLS versions the test asks for.
#ifndef MTASTS_TESTS_FAKES_TLS_SERVER_CTX_H_
#define MTASTS_TESTS_FAKES_TLS_SERVER_CTX_H_

#include <openssl/ssl.h>

#include <string>

#include "absl/status/statusor.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::fakes {

enum class FakeTlsVersion {
  kDefault,
  kTls1_0,
  kTls1_1,
  kTls1_2,
  kTls1_3,
  // As a max version: TLS 1.1, but a version-intolerant server, as some old
  // stacks are: a ClientHello offering TLS 1.2 or later is refused with a
  // handshake_failure alert instead of negotiated down.
  kTls1_1Intolerant,
};

// A TLS server context for `cert` (its key checked, its chain_pem sent as is,
// no session resumption). A range below TLS 1.2 also lowers the security
// level to 0 (OpenSSL 3 refuses TLS 1.0/1.1 otherwise). Errors:
// INVALID_ARGUMENT for a certificate, key or chain that does not load;
// INTERNAL for other OpenSSL failures. The caller owns the context.
absl::StatusOr<SSL_CTX*> MakeTlsServerCtx(const TestCert& cert, FakeTlsVersion min_version,
                                          FakeTlsVersion max_version);

// Blocks SIGPIPE in the calling thread (and threads it starts later), so a
// write to a closed client fails with EPIPE instead of killing the test.
void BlockSigpipe();

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_TLS_SERVER_CTX_H_

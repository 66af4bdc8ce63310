// Certificate verification for the TLS client: OpenSSL's verify and info
// callbacks record every verification error and alert of a handshake
// (instead of aborting at the first), so the evidence is complete and the
// stream can name the most telling cause once the handshake is over; and a
// second verification with known intermediates tells an incomplete chain
// from an unknown issuer. Internal to the TLS client.
#ifndef MTASTS_NET_TLS_VERIFY_H_
#define MTASTS_NET_TLS_VERIFY_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "net/tls_types.h"

namespace mtasts::net {

// What the callbacks saw during one handshake.
struct HandshakeRecord {
  // Every distinct (code, depth) verification error, in the order reported.
  std::vector<CertificateError> verify_errors;
  // Parallel to verify_errors: the issuer (RFC 2253) of the certificate at
  // fault; empty when unknown.
  std::vector<std::string> issuers;
  // The first non-close_notify alert received (the last one wins) and the
  // first we sent; -1 when none.
  int alert_received = -1;
  std::string alert_received_text;
  int alert_sent = -1;
  std::string alert_sent_text;
};

// The verify callback to install with SSL_CTX_set_verify: records the error
// in the HandshakeRecord of the SSL (RecordHandshake) and lets the
// handshake go on. Refuses (returns 0) on an SSL without a record.
int RecordingVerifyCallback(int preverify_ok, X509_STORE_CTX* store);

// Makes the callbacks of `ssl` record into `record`, which must outlive
// the SSL's handshakes and I/O (alerts arrive later too).
void RecordHandshake(SSL* ssl, HandshakeRecord* record);

// Verification errors, most telling first (0): a sender that stops at the
// first error would report trust before dates before names.
int VerifyErrorRank(int code);

// Verifies the peer's chain of `ssl` again with `intermediates` added as
// untrusted certificates, against the trust store of `ctx`. When that gets
// past the missing-issuer error the server simply left them out: returns the
// subjects it should have sent; else (or with no intermediates) empty.
std::vector<std::string> FindMissingIntermediates(SSL* ssl, SSL_CTX* ctx,
                                                  STACK_OF(X509)* intermediates);

}  // namespace mtasts::net

#endif  // MTASTS_NET_TLS_VERIFY_H_

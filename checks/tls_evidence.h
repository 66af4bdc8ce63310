// The report's CertificateEvidence from what a TLS handshake saw, shared by
// every check that connects with TLS (policy_fetch, mx_tls).
#ifndef MTASTS_CHECKS_TLS_EVIDENCE_H_
#define MTASTS_CHECKS_TLS_EVIDENCE_H_

#include "mtasts/v1/report.pb.h"
#include "net/tls_types.h"

namespace mtasts::checks {

// The leaf certificate (when one was presented), TLS version and cipher, and
// validation_error = error.message when `error` is a certificate failure.
// Strings are sanitized for the report (valid UTF-8).
v1::CertificateEvidence CertificateEvidenceFrom(const net::TlsInfo& tls,
                                                const net::NetError& error);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_EVIDENCE_H_

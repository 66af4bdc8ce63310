// A certificate described for a report (CertificateInfo), and the X.509
// name and time conversions the TLS client's messages use. Internal to the
// TLS client (tls_stream, tls_verify, tls_failure).
#ifndef MTASTS_NET_CERTIFICATE_INFO_H_
#define MTASTS_NET_CERTIFICATE_INFO_H_

#include <openssl/x509.h>

#include <string>

#include "absl/time/time.h"
#include "net/tls_types.h"

namespace mtasts::net {

// Subject, issuer, subjectAltNames, validity, serial, fingerprints and the
// DANE digests of `cert`; days_to_expiry counted from `now`.
CertificateInfo DescribeCertificate(X509* cert, absl::Time now);

// RFC 2253 text (ASCII whatever the name holds); "" for null.
std::string NameToString(const X509_NAME* name);

// InfinitePast() for null or unparsable times.
absl::Time Asn1TimeToTime(const ASN1_TIME* t);

}  // namespace mtasts::net

#endif  // MTASTS_NET_CERTIFICATE_INFO_H_

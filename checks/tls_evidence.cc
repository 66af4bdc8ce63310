#include "checks/tls_evidence.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/time/time.h"
#include "checks/findings/report_text.h"
#include "google/protobuf/util/time_util.h"

namespace mtasts::checks {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  // Certificates can carry dates outside what Timestamp allows; clamp.
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp ts;
  ts.set_seconds(std::clamp<int64_t>(seconds, -62135596800LL, 253402300799LL));
  return ts;
}

}  // namespace

v1::CertificateEvidence CertificateEvidenceFrom(const net::TlsInfo& tls,
                                                const net::NetError& error) {
  v1::CertificateEvidence ev;
  ev.set_tls_version(tls.version);
  ev.set_cipher(tls.cipher);
  if (tls.certificate_presented()) {
    const net::CertificateInfo& leaf = tls.leaf();
    ev.set_subject(SanitizeForReport(leaf.subject));
    ev.set_issuer(SanitizeForReport(leaf.issuer));
    for (const auto& name : leaf.dns_names) ev.add_san_dns_names(SanitizeForReport(name));
    *ev.mutable_not_before() = ToProto(leaf.not_before);
    *ev.mutable_not_after() = ToProto(leaf.not_after);
    ev.set_days_to_expiry(static_cast<int32_t>(
        std::clamp<int64_t>(leaf.days_to_expiry, INT32_MIN, INT32_MAX)));
  }
  if (net::IsCertificateFailure(error.failure)) {
    ev.set_validation_error(SanitizeForReport(error.message));
  }
  return ev;
}

}  // namespace mtasts::checks

// DANE for SMTP (RFC 7672): TLSA records parsed and matched against the
// certificate digests the mx_tls probe recorded (MxTlsResult.chain). Pure.
//
//   auto rec = ParseTlsaRdata(wire);            // {3, 1, 1, <32 bytes>}
//   DaneMatch m = MatchTlsa({*rec}, chain);     // m.matched, m.record
//   AnnotateDane(&report);                      // after every check ran
#ifndef MTASTS_CHECKS_DNSSEC_DANE_H_
#define MTASTS_CHECKS_DNSSEC_DANE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {

// RFC 6698 §2.1 fields.
struct TlsaRecord {
  uint8_t usage = 0;          // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
  uint8_t selector = 0;       // 0 full certificate, 1 SubjectPublicKeyInfo
  uint8_t matching_type = 0;  // 0 full, 1 SHA-256, 2 SHA-512
  std::string data;           // raw bytes
};

// Wire RDATA. INVALID_ARGUMENT when shorter than 4 bytes or when a SHA-256 /
// SHA-512 digest has the wrong length.
absl::StatusOr<TlsaRecord> ParseTlsaRdata(absl::string_view rdata);
// "3 1 1 ab12..." (RFC 6698 §2.2), as stored in DaneEvidence.tlsa_records.
absl::StatusOr<TlsaRecord> ParseTlsaPresentation(absl::string_view text);
std::string TlsaPresentation(const TlsaRecord& record);

// Why SMTP cannot use a record; "" when it can: DANE-TA/DANE-EE with a known
// selector and matching type (RFC 7672 §3.1.3: PKIX-TA/EE are not used).
std::string TlsaUnusableReason(const TlsaRecord& record);

struct DaneMatch {
  bool matched = false;
  int record = -1;      // index of the first matching record
  int certificate = -1; // chain index it matched (0 = the server's own)
};

// First usable record that matches `chain` (index 0 the server's own
// certificate): DANE-EE against it, DANE-TA against any certificate of the
// chain. Matching type 0 compares the SHA-256 of the record's data with the
// certificate's SHA-256 digest (equal data <=> equal digests).
DaneMatch MatchTlsa(const std::vector<TlsaRecord>& records,
                    const google::protobuf::RepeatedPtrField<v1::CertificateDigests>& chain);

// After every check ran: for each MX host whose DANE is usable, compares its
// TLSA records with the certificates the mx_tls probe saw (every address),
// fills DaneEvidence.matches / certificate_checked / matched_record, and adds
// DANE_MATCHES, DANE_MISMATCH or DANE_MATCH_UNKNOWN to the dnssec check's
// result (no-op when that check is absent or was not run).
void AnnotateDane(v1::DomainReport* report);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_DNSSEC_DANE_H_

#include "checks/dnssec/dane.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "checks/dnssec/dnssec_findings.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {
namespace {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::Status CheckDigestLength(const TlsaRecord& r) {
  if (r.matching_type == 1 && r.data.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("SHA-256 TLSA data is ", r.data.size(), " bytes, not 32"));
  }
  if (r.matching_type == 2 && r.data.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("SHA-512 TLSA data is ", r.data.size(), " bytes, not 64"));
  }
  return absl::OkStatus();
}

// The digest of `cert` a record with this selector and matching type is
// compared with (matching type 0: the SHA-256 of the full data).
const std::string& DigestFor(const v1::CertificateDigests& cert, const TlsaRecord& r) {
  if (r.selector == 0) return r.matching_type == 2 ? cert.cert_sha512() : cert.cert_sha256();
  return r.matching_type == 2 ? cert.spki_sha512() : cert.spki_sha256();
}

bool Matches(const v1::CertificateDigests& cert, const TlsaRecord& r) {
  const std::string want = r.matching_type == 0 ? Sha256Hex(r.data)
                                                : absl::BytesToHexString(r.data);
  const std::string& have = DigestFor(cert, r);
  return !have.empty() && absl::AsciiStrToLower(have) == want;
}

v1::CheckResult* DnssecResult(v1::DomainReport* report) {
  for (v1::CheckResult& c : *report->mutable_checks()) {
    if (c.check() == "dnssec") return &c;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<TlsaRecord> ParseTlsaRdata(absl::string_view rdata) {
  if (rdata.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLSA record of ", rdata.size(), " bytes (at least 4 needed)"));
  }
  TlsaRecord r;
  r.usage = static_cast<uint8_t>(rdata[0]);
  r.selector = static_cast<uint8_t>(rdata[1]);
  r.matching_type = static_cast<uint8_t>(rdata[2]);
  r.data = std::string(rdata.substr(3));
  if (absl::Status s = CheckDigestLength(r); !s.ok()) return s;
  return r;
}

absl::StatusOr<TlsaRecord> ParseTlsaPresentation(absl::string_view text) {
  std::vector<absl::string_view> f = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (f.size() < 4) return absl::InvalidArgumentError("TLSA record needs 4 fields");
  int v[3];
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtoi(f[i], &v[i]) || v[i] < 0 || v[i] > 255) {
      return absl::InvalidArgumentError(absl::StrCat("bad TLSA field \"", f[i], "\""));
    }
  }
  std::string hex;
  for (size_t i = 3; i < f.size(); ++i) absl::StrAppend(&hex, f[i]);
  if (hex.size() % 2 != 0 ||
      !std::all_of(hex.begin(), hex.end(), [](char c) { return absl::ascii_isxdigit(c); })) {
    return absl::InvalidArgumentError("TLSA data is not hex");
  }
  TlsaRecord r;
  r.usage = static_cast<uint8_t>(v[0]);
  r.selector = static_cast<uint8_t>(v[1]);
  r.matching_type = static_cast<uint8_t>(v[2]);
  r.data = absl::HexStringToBytes(hex);
  if (absl::Status s = CheckDigestLength(r); !s.ok()) return s;
  return r;
}

std::string TlsaPresentation(const TlsaRecord& r) {
  return absl::StrCat(r.usage, " ", r.selector, " ", r.matching_type, " ",
                      absl::BytesToHexString(r.data));
}

std::string TlsaUnusableReason(const TlsaRecord& r) {
  if (r.usage == 0 || r.usage == 1) {
    return absl::StrCat("usage ", r.usage, r.usage == 0 ? " (PKIX-TA)" : " (PKIX-EE)",
                        " is not used by SMTP (RFC 7672 §3.1.3)");
  }
  if (r.usage > 3) return absl::StrCat("unknown usage ", r.usage);
  if (r.selector > 1) return absl::StrCat("unknown selector ", r.selector);
  if (r.matching_type > 2) return absl::StrCat("unknown matching type ", r.matching_type);
  if (r.data.empty()) return "empty certificate association data";
  return "";
}

DaneMatch MatchTlsa(const std::vector<TlsaRecord>& records,
                    const google::protobuf::RepeatedPtrField<v1::CertificateDigests>& chain) {
  DaneMatch m;
  for (size_t i = 0; i < records.size(); ++i) {
    const TlsaRecord& r = records[i];
    if (!TlsaUnusableReason(r).empty()) continue;
    // DANE-EE: the server's own certificate; DANE-TA: any certificate it sent.
    const int last = r.usage == 3 ? std::min(1, chain.size()) : chain.size();
    for (int c = 0; c < last; ++c) {
      if (Matches(chain[c], r)) {
        m.matched = true;
        m.record = static_cast<int>(i);
        m.certificate = c;
        return m;
      }
    }
  }
  return m;
}

void AnnotateDane(v1::DomainReport* report) {
  v1::CheckResult* result = DnssecResult(report);
  if (result == nullptr || result->status() == v1::CHECK_STATUS_NOT_RUN) return;
  // Idempotent: a report annotated once is left alone.
  for (const v1::Finding& f : result->findings()) {
    if (f.code() == v1::DANE_MATCHES || f.code() == v1::DANE_MISMATCH ||
        f.code() == v1::DANE_MATCH_UNKNOWN) {
      return;
    }
  }
  std::vector<v1::Finding> added;
  for (v1::MxHost& host : *report->mutable_evidence()->mutable_mx_hosts()) {
    v1::DaneEvidence* dane = host.mutable_dane();
    if (!dane->usable()) continue;
    std::vector<TlsaRecord> records;
    for (const std::string& text : dane->tlsa_records()) {
      if (auto r = ParseTlsaPresentation(text); r.ok()) records.push_back(*std::move(r));
    }
    std::vector<std::string> matched, mismatched;
    for (const v1::MxTlsResult& tls : host.tls()) {
      if (tls.chain().empty()) continue;
      DaneMatch m = MatchTlsa(records, tls.chain());
      if (m.matched) {
        matched.push_back(tls.address());
        if (dane->matched_record().empty()) {
          dane->set_matched_record(TlsaPresentation(records[static_cast<size_t>(m.record)]));
        }
      } else {
        mismatched.push_back(tls.address());
      }
    }
    FindingList findings(DnssecFindings(), host.name());
    if (matched.empty() && mismatched.empty()) {
      findings.Add(v1::DANE_MATCH_UNKNOWN,
                   absl::StrCat(host.name(), " publishes usable TLSA records, but no certificate "
                                "of it was seen (the mx_tls probe did not run or completed no "
                                "TLS handshake), so the match is unknown."));
    } else {
      dane->set_certificate_checked(true);
      dane->set_matches(mismatched.empty());
      if (mismatched.empty()) {
        findings.Add(v1::DANE_MATCHES,
                     absl::StrCat("The certificate of ", host.name(), " at ",
                                  absl::StrJoin(matched, ", "), " matches the TLSA record ",
                                  dane->matched_record(), "."));
      } else {
        findings.Add(v1::DANE_MISMATCH,
                     absl::StrCat("The certificate of ", host.name(), " at ",
                                  absl::StrJoin(mismatched, ", "),
                                  " matches none of its ", records.size(),
                                  " usable TLSA record(s) (",
                                  absl::StrJoin(dane->tlsa_records(), "; "), ")."));
      }
    }
    for (v1::Finding& f : std::move(findings).Take()) added.push_back(std::move(f));
  }
  if (added.empty()) return;
  std::vector<v1::Finding> all(result->findings().begin(), result->findings().end());
  for (v1::Finding& f : added) all.push_back(std::move(f));
  std::stable_sort(all.begin(), all.end(), [](const v1::Finding& a, const v1::Finding& b) {
    return a.severity() > b.severity();
  });
  result->clear_findings();
  for (v1::Finding& f : all) *result->add_findings() = std::move(f);
}

}  // namespace mtasts::checks

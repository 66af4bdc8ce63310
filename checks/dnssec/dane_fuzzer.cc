// Fuzz target for the TLSA parsers and the DANE matcher (dane.h), and for
// JudgeDnssec with the input as the TLSA answer of a secure MX host. The
// input is read both as wire RDATA and as presentation text. Beyond not
// crashing:
//  - a parsed record prints and parses back to the same record;
//  - SHA-256/SHA-512 associations have 32/64 bytes;
//  - a match names a usable record and a certificate of the chain (the
//    server's own for DANE-EE);
//  - the verdict is PASS (the scored answers are secure) with findings most
//    severe first, and the DANE evidence survives a proto3 round trip.
//
// In `bazel test` this is linked with //tools:fuzz_driver (seeds in
// testdata/fuzz_seeds, then deterministic mutations).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "checks/dnssec/dane.h"
#include "checks/dnssec/dnssec_judge.h"
#include "mtasts/v1/report.pb.h"
#include "net/dnssec_types.h"

namespace {

void Require(bool ok) {
  if (!ok) abort();
}

bool Same(const mtasts::checks::TlsaRecord& a, const mtasts::checks::TlsaRecord& b) {
  return a.usage == b.usage && a.selector == b.selector &&
         a.matching_type == b.matching_type && a.data == b.data;
}

void RoundTrip(const mtasts::checks::TlsaRecord& r) {
  if (r.matching_type == 1) Require(r.data.size() == 32);
  if (r.matching_type == 2) Require(r.data.size() == 64);
  if (r.data.empty()) return;  // "u s m" alone is not a record
  auto back = mtasts::checks::ParseTlsaPresentation(mtasts::checks::TlsaPresentation(r));
  Require(back.ok() && Same(*back, r));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtasts;
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto wire = checks::ParseTlsaRdata(input);
  if (wire.ok()) RoundTrip(*wire);
  auto text = checks::ParseTlsaPresentation(input);
  if (text.ok()) RoundTrip(*text);

  // A chain whose digests are slices of the input (hex digits only).
  google::protobuf::RepeatedPtrField<v1::CertificateDigests> chain;
  for (size_t i = 0; i < 3 && i * 8 < size; ++i) {
    v1::CertificateDigests* c = chain.Add();
    const std::string hex = checks::TlsaPresentation({0, 0, 0, input.substr(i * 8, 32)}).substr(6);
    c->set_cert_sha256(hex);
    c->set_spki_sha256(hex);
    c->set_cert_sha512(hex + hex);
    c->set_spki_sha512(hex + hex);
  }
  std::vector<checks::TlsaRecord> records;
  if (wire.ok()) records.push_back(*wire);
  if (text.ok()) records.push_back(*text);
  checks::DaneMatch m = checks::MatchTlsa(records, chain);
  if (m.matched) {
    Require(m.record >= 0 && m.record < static_cast<int>(records.size()));
    Require(checks::TlsaUnusableReason(records[m.record]).empty());
    Require(m.certificate >= 0 && m.certificate < chain.size());
    if (records[m.record].usage == 3) Require(m.certificate == 0);
  }

  checks::DnssecObservations obs;
  obs.domain = "example.com";
  auto secure = [](const std::string& name, uint16_t type) {
    net::ValidatedResult r;
    r.name = name;
    r.type = type;
    r.outcome = net::DnsOutcome::kAnswer;
    r.security = net::DnssecSecurity::kSecure;
    return r;
  };
  obs.mx = secure("example.com", net::kDnsTypeMx);
  obs.sts_txt = secure("_mta-sts.example.com", net::kDnsTypeTxt);
  checks::DnssecObservations::MxHostLookups host;
  host.host = "mx.example.com";
  host.tlsa = secure("_25._tcp.mx.example.com", net::kDnsTypeTlsa);
  host.tlsa.rdata = {input, input.substr(0, size / 2)};
  obs.mx_hosts.push_back(host);
  v1::Evidence ev;
  ev.add_mx_hosts()->set_name("mx.example.com");
  checks::CheckVerdict v = checks::JudgeDnssec(obs, &ev);
  Require(v.status == v1::CHECK_STATUS_PASS);
  for (size_t i = 1; i < v.findings.size(); ++i) {
    Require(v.findings[i - 1].severity() >= v.findings[i].severity());
  }
  const v1::DaneEvidence& dane = ev.mx_hosts(0).dane();
  Require(dane.published());
  Require(dane.usable() == false || dane.tlsa_records_size() > 0);
  v1::Evidence back;
  Require(back.ParseFromString(ev.SerializeAsString()));
  return 0;
}

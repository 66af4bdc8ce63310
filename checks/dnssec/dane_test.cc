#include "checks/dnssec/dane.h"

#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

std::string Hex256(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(d), sizeof(d)));
}
std::string Hex512(const std::string& data) {
  unsigned char d[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(d), sizeof(d)));
}

// Digests of a stand-in certificate: "DER" and "SPKI" byte strings.
v1::CertificateDigests Cert(const std::string& der, const std::string& spki) {
  v1::CertificateDigests c;
  c.set_cert_sha256(Hex256(der));
  c.set_cert_sha512(Hex512(der));
  c.set_spki_sha256(Hex256(spki));
  c.set_spki_sha512(Hex512(spki));
  return c;
}

TlsaRecord Rec(int usage, int selector, int mtype, std::string data) {
  TlsaRecord r;
  r.usage = static_cast<uint8_t>(usage);
  r.selector = static_cast<uint8_t>(selector);
  r.matching_type = static_cast<uint8_t>(mtype);
  r.data = std::move(data);
  return r;
}

class DaneMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    *chain_.Add() = Cert("leaf-der", "leaf-spki");
    *chain_.Add() = Cert("ca-der", "ca-spki");
  }
  google::protobuf::RepeatedPtrField<v1::CertificateDigests> chain_;
};

TEST(TlsaParseTest, WireFormat) {
  auto r = ParseTlsaRdata(std::string("\x03\x01\x01", 3) + std::string(32, '\xab'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->usage, 3);
  EXPECT_EQ(r->selector, 1);
  EXPECT_EQ(r->matching_type, 1);
  std::string ab;
  for (int i = 0; i < 32; ++i) ab += "ab";
  EXPECT_EQ(TlsaPresentation(*r), "3 1 1 " + ab);
  EXPECT_EQ(ParseTlsaRdata("\x03\x01\x01").status().code(), absl::StatusCode::kInvalidArgument);
  // A SHA-256 association must be 32 bytes, SHA-512 64.
  EXPECT_FALSE(ParseTlsaRdata(std::string("\x03\x01\x01", 3) + std::string(31, 'x')).ok());
  EXPECT_FALSE(ParseTlsaRdata(std::string("\x03\x01\x02", 3) + std::string(32, 'x')).ok());
  EXPECT_TRUE(ParseTlsaRdata(std::string("\x03\x00\x00", 3) + "any length").ok());
}

TEST(TlsaParseTest, PresentationRoundTrip) {
  const std::string text = "2 0 1 " + Hex256("x");
  auto r = ParseTlsaPresentation(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(TlsaPresentation(*r), text);
  // Data split over several fields, upper-case hex.
  const std::string up = absl::AsciiStrToUpper(Hex256("x"));
  auto split = ParseTlsaPresentation("2 0 1 " + up.substr(0, 10) + " " + up.substr(10));
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->data, r->data);
  EXPECT_FALSE(ParseTlsaPresentation("3 1 1").ok());
  EXPECT_FALSE(ParseTlsaPresentation("3 1 1 zz").ok());
  EXPECT_FALSE(ParseTlsaPresentation("3 1 1 abc").ok());
  EXPECT_FALSE(ParseTlsaPresentation("300 1 1 ab").ok());
}

TEST(TlsaParseTest, UnusableReasons) {
  EXPECT_EQ(TlsaUnusableReason(Rec(3, 1, 1, "x")), "");
  EXPECT_EQ(TlsaUnusableReason(Rec(2, 0, 2, "x")), "");
  EXPECT_NE(TlsaUnusableReason(Rec(0, 0, 1, "x")).find("PKIX-TA"), std::string::npos);
  EXPECT_NE(TlsaUnusableReason(Rec(1, 1, 1, "x")).find("RFC 7672 §3.1.3"), std::string::npos);
  EXPECT_NE(TlsaUnusableReason(Rec(3, 2, 1, "x")).find("selector"), std::string::npos);
  EXPECT_NE(TlsaUnusableReason(Rec(3, 1, 3, "x")).find("matching type"), std::string::npos);
  EXPECT_NE(TlsaUnusableReason(Rec(4, 1, 1, "x")).find("usage"), std::string::npos);
}

TEST_F(DaneMatchTest, DaneEeMatchesTheServersOwnCertificateOnly) {
  auto ee = Rec(3, 1, 1, absl::HexStringToBytes(Hex256("leaf-spki")));
  DaneMatch m = MatchTlsa({ee}, chain_);
  EXPECT_TRUE(m.matched);
  EXPECT_EQ(m.record, 0);
  EXPECT_EQ(m.certificate, 0);
  // DANE-EE naming the CA's key does not match: it must be the leaf.
  EXPECT_FALSE(MatchTlsa({Rec(3, 1, 1, absl::HexStringToBytes(Hex256("ca-spki")))}, chain_).matched);
}

TEST_F(DaneMatchTest, DaneTaMatchesAnyCertificateOfTheChain) {
  DaneMatch m = MatchTlsa({Rec(2, 0, 1, absl::HexStringToBytes(Hex256("ca-der")))}, chain_);
  EXPECT_TRUE(m.matched);
  EXPECT_EQ(m.certificate, 1);
  EXPECT_TRUE(MatchTlsa({Rec(2, 1, 2, absl::HexStringToBytes(Hex512("ca-spki")))}, chain_).matched);
}

TEST_F(DaneMatchTest, SelectorsMatchingTypesAndFullData) {
  EXPECT_TRUE(MatchTlsa({Rec(3, 0, 1, absl::HexStringToBytes(Hex256("leaf-der")))}, chain_).matched);
  EXPECT_TRUE(MatchTlsa({Rec(3, 0, 2, absl::HexStringToBytes(Hex512("leaf-der")))}, chain_).matched);
  EXPECT_TRUE(MatchTlsa({Rec(3, 1, 2, absl::HexStringToBytes(Hex512("leaf-spki")))}, chain_).matched);
  // Matching type 0: the record holds the whole SPKI / certificate.
  EXPECT_TRUE(MatchTlsa({Rec(3, 1, 0, "leaf-spki")}, chain_).matched);
  EXPECT_TRUE(MatchTlsa({Rec(3, 0, 0, "leaf-der")}, chain_).matched);
  EXPECT_FALSE(MatchTlsa({Rec(3, 0, 0, "leaf-spki")}, chain_).matched);
  // Selector 0 digest in a selector 1 record: no match.
  EXPECT_FALSE(MatchTlsa({Rec(3, 1, 1, absl::HexStringToBytes(Hex256("leaf-der")))}, chain_).matched);
}

TEST_F(DaneMatchTest, PkixUsagesAreNeverUsedAndLaterRecordsStillMatch) {
  auto pkix = Rec(1, 1, 1, absl::HexStringToBytes(Hex256("leaf-spki")));
  EXPECT_FALSE(MatchTlsa({pkix}, chain_).matched);
  auto ee = Rec(3, 1, 1, absl::HexStringToBytes(Hex256("leaf-spki")));
  DaneMatch m = MatchTlsa({pkix, Rec(3, 1, 1, std::string(32, 'z')), ee}, chain_);
  EXPECT_TRUE(m.matched);
  EXPECT_EQ(m.record, 2);
}

TEST_F(DaneMatchTest, EmptyChainMatchesNothing) {
  google::protobuf::RepeatedPtrField<v1::CertificateDigests> none;
  EXPECT_FALSE(MatchTlsa({Rec(3, 1, 1, absl::HexStringToBytes(Hex256("leaf-spki")))}, none).matched);
}

// --- AnnotateDane on hand-built reports ---

class AnnotateDaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::CheckResult* c = report_.add_checks();
    c->set_check("dnssec");
    c->set_status(v1::CHECK_STATUS_PASS);
    v1::Finding* f = c->add_findings();
    f->set_code(v1::DNSSEC_SECURE);
    f->set_severity(v1::SEVERITY_INFO);
    report_.add_checks()->set_check("mx_tls");
    host_ = report_.mutable_evidence()->add_mx_hosts();
    host_->set_name("mx.example.com");
    host_->mutable_dane()->set_usable(true);
    host_->mutable_dane()->add_tlsa_records("3 1 1 " + Hex256("leaf-spki"));
  }
  v1::MxTlsResult* Probe(const std::string& address, const std::string& spki) {
    v1::MxTlsResult* t = host_->add_tls();
    t->set_address(address);
    *t->add_chain() = Cert("der-" + spki, spki);
    return t;
  }
  std::vector<v1::FindingCode> Codes() const {
    std::vector<v1::FindingCode> codes;
    for (const auto& f : report_.checks(0).findings()) codes.push_back(f.code());
    return codes;
  }
  v1::DomainReport report_;
  v1::MxHost* host_ = nullptr;
};

TEST_F(AnnotateDaneTest, EveryAddressMatches) {
  Probe("192.0.2.1", "leaf-spki");
  Probe("2001:db8::1", "leaf-spki");
  AnnotateDane(&report_);
  EXPECT_TRUE(host_->dane().matches());
  EXPECT_TRUE(host_->dane().certificate_checked());
  EXPECT_EQ(host_->dane().matched_record(), "3 1 1 " + Hex256("leaf-spki"));
  EXPECT_EQ(Codes(), (std::vector<v1::FindingCode>{v1::DNSSEC_SECURE, v1::DANE_MATCHES}));
  EXPECT_EQ(report_.checks(0).findings(1).subject(), "mx.example.com");
}

TEST_F(AnnotateDaneTest, RunningTwiceAddsNothing) {
  Probe("192.0.2.1", "other-spki");
  AnnotateDane(&report_);
  AnnotateDane(&report_);
  EXPECT_EQ(Codes(), (std::vector<v1::FindingCode>{v1::DANE_MISMATCH, v1::DNSSEC_SECURE}));
}

TEST_F(AnnotateDaneTest, OneAddressWithAnotherKeyIsAMismatch) {
  Probe("192.0.2.1", "leaf-spki");
  Probe("192.0.2.2", "other-spki");
  AnnotateDane(&report_);
  EXPECT_FALSE(host_->dane().matches());
  EXPECT_TRUE(host_->dane().certificate_checked());
  // HIGH first.
  EXPECT_EQ(Codes(), (std::vector<v1::FindingCode>{v1::DANE_MISMATCH, v1::DNSSEC_SECURE}));
  const v1::Finding& f = report_.checks(0).findings(0);
  EXPECT_EQ(f.severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(f.tlsrpt_result_type(), "tlsa-invalid");
  EXPECT_NE(f.detail().find("192.0.2.2"), std::string::npos);
  EXPECT_EQ(f.detail().find("192.0.2.1"), std::string::npos);
}

TEST_F(AnnotateDaneTest, NoCertificateMeansUnknown) {
  v1::MxTlsResult* t = host_->add_tls();
  t->set_address("192.0.2.1");
  t->set_failure("connection refused");
  AnnotateDane(&report_);
  EXPECT_FALSE(host_->dane().certificate_checked());
  EXPECT_FALSE(host_->dane().matches());
  EXPECT_EQ(Codes(), (std::vector<v1::FindingCode>{v1::DNSSEC_SECURE, v1::DANE_MATCH_UNKNOWN}));
}

TEST_F(AnnotateDaneTest, UnusableDaneIsNotMatched) {
  host_->mutable_dane()->set_usable(false);
  Probe("192.0.2.1", "other-spki");
  AnnotateDane(&report_);
  EXPECT_FALSE(host_->dane().certificate_checked());
  EXPECT_EQ(Codes(), std::vector<v1::FindingCode>{v1::DNSSEC_SECURE});
}

TEST_F(AnnotateDaneTest, DnssecCheckNotRunLeavesTheReportAlone) {
  report_.mutable_checks(0)->set_status(v1::CHECK_STATUS_NOT_RUN);
  Probe("192.0.2.1", "leaf-spki");
  AnnotateDane(&report_);
  EXPECT_FALSE(host_->dane().certificate_checked());
  EXPECT_EQ(Codes(), std::vector<v1::FindingCode>{v1::DNSSEC_SECURE});
}

}  // namespace
}  // namespace mtasts::checks

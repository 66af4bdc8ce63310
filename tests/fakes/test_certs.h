// Certificates made at test time with OpenSSL, so nothing pre-baked can
// expire: a test root CA, intermediates, leaves with chosen names and
// validity (expired, not yet valid, wildcard), self-signed certificates, and
// chains with their intermediate left out.
//
//   auto root = TestCa::CreateRoot("Test Root CA");
//   auto inter = (*root)->CreateIntermediate("Test Intermediate CA");
//   auto good = (*inter)->Issue(CertSpec::ForHosts({"mta-sts.example.test"}));
//   good->chain_pem;                   // {intermediate}: what a server sends
//   good->WithoutChain();              // the same leaf, intermediate left out
//   (*inter)->Issue(CertSpec::ForHosts({"x.test"}).Expired());
//   MakeSelfSigned(CertSpec::ForHosts({"x.test"}));
//   std::string ca_file = *(*root)->WriteCertFile();   // for TlsClientContext
//
// Keys are ECDSA P-256 (fast to make, accepted at every security level).
// Factories return INTERNAL with OpenSSL's errors if anything fails.
// Thread-compatible: a TestCa may be used by several threads only for reads.
#ifndef MTASTS_TESTS_FAKES_TEST_CERTS_H_
#define MTASTS_TESTS_FAKES_TEST_CERTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mtasts::fakes {

// What a leaf certificate says.
struct CertSpec {
  // Subject CN; empty: the first DNS name (or "test").
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName dNSName, e.g. "*.example.test"
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress
  // InfinitePast: an hour before the certificate is made.
  absl::Time not_before = absl::InfinitePast();
  // InfinitePast: 90 days after it is made.
  absl::Time not_after = absl::InfinitePast();

  static CertSpec ForHosts(std::vector<std::string> dns_names);
  // Valid from 100 days ago until `ago` ago.
  CertSpec Expired(absl::Duration ago = absl::Hours(24 * 10)) const;
  // Valid from `in` from now for 90 days.
  CertSpec NotYetValid(absl::Duration in = absl::Hours(24 * 10)) const;
  CertSpec ValidUntil(absl::Time not_after) const;
};

// A certificate, its key and the intermediates a server sends with it.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;                 // PKCS#8
  std::vector<std::string> chain_pem;  // intermediates, nearest first; never the root
  std::string subject;                 // RFC 2253, e.g. "CN=mta-sts.example.test"
  absl::Time not_before;
  absl::Time not_after;

  // The same certificate without its intermediates (an incomplete chain).
  TestCert WithoutChain() const;
  // cert_pem followed by chain_pem.
  std::string FullChainPem() const;
};

class TestCa {
 public:
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // A self-signed root, valid from a day ago for ten years.
  static absl::StatusOr<std::unique_ptr<TestCa>> CreateRoot(absl::string_view common_name);
  // An intermediate CA this CA signs (pathlen 0).
  absl::StatusOr<std::unique_ptr<TestCa>> CreateIntermediate(absl::string_view common_name) const;
  // A server certificate (serverAuth) signed by this CA; its chain_pem holds
  // this CA's own chain when this CA is an intermediate.
  absl::StatusOr<TestCert> Issue(const CertSpec& spec) const;

  const std::string& cert_pem() const { return cert_pem_; }
  // This CA's certificate and the intermediates above it (not the root).
  const std::vector<std::string>& chain_pem() const { return chain_pem_; }
  // Writes cert_pem() to a new file under $TEST_TMPDIR (or /tmp); returns its path.
  absl::StatusOr<std::string> WriteCertFile() const;

 private:
  struct Keys;
  TestCa(std::unique_ptr<Keys> keys, std::string cert_pem, std::vector<std::string> chain_pem);

  std::unique_ptr<Keys> keys_;  // EVP_PKEY and X509
  std::string cert_pem_;
  std::vector<std::string> chain_pem_;
};

// A self-signed end-entity certificate (CA:FALSE) for `spec`.
absl::StatusOr<TestCert> MakeSelfSigned(const CertSpec& spec);

// Writes `contents` to a new file under $TEST_TMPDIR (or /tmp) whose name
// ends in `suffix`; returns its path.
absl::StatusOr<std::string> WriteTempFile(absl::string_view contents, absl::string_view suffix);

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_TEST_CERTS_H_

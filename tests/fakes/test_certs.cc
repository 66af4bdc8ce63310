#include "tests/fakes/test_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/openssl_errors.h"

namespace mtasts::fakes {

struct TestCa::Keys {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Keys() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

namespace {

absl::Status Internal(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", net::OpenSslErrors()));
}

EVP_PKEY* NewKey() { return EVP_EC_gen("P-256"); }

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

std::string CertToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  std::string out = BioToString(bio);
  BIO_free(bio);
  return out;
}

std::string KeyToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::string out = BioToString(bio);
  BIO_free(bio);
  return out;
}

std::string SubjectOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  std::string out = BioToString(bio);
  BIO_free(bio);
  return out;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

enum class Kind { kRoot, kIntermediate, kLeaf, kSelfSignedLeaf };

struct Made {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};

// Builds and signs one certificate. `issuer`/`issuer_key` null: self-signed.
absl::StatusOr<Made> MakeCertificate(Kind kind, const std::string& common_name,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses,
                                     absl::Time not_before, absl::Time not_after,
                                     X509* issuer, EVP_PKEY* issuer_key) {
  ERR_clear_error();
  Made made;
  made.key = NewKey();
  made.cert = X509_new();
  auto fail = [&made](absl::string_view what) {
    EVP_PKEY_free(made.key);
    X509_free(made.cert);
    return Internal(what);
  };
  if (made.key == nullptr || made.cert == nullptr) return fail("key or certificate");
  X509* cert = made.cert;
  if (issuer == nullptr) {
    issuer = cert;
    issuer_key = made.key;
  }
  X509_set_version(cert, X509_VERSION_3);
  BIGNUM* serial = BN_new();
  BN_rand(serial, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert));
  BN_free(serial);
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return fail("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("mtasts tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, X509_get_subject_name(issuer));
  X509_set_pubkey(cert, made.key);

  // A CA signs certificates, a leaf serves TLS; a self-signed certificate
  // names no other issuer's key. A self-signed leaf has no keyUsage: OpenSSL
  // then treats the certificate as self-signed (a keyUsage without
  // keyCertSign would make it "issued by an unknown CA").
  const bool ca = kind == Kind::kRoot || kind == Kind::kIntermediate;
  const bool self_signed = kind == Kind::kRoot || kind == Kind::kSelfSignedLeaf;
  bool ok = AddExtension(cert, issuer, NID_basic_constraints,
                         kind == Kind::kRoot           ? "critical,CA:TRUE"
                         : kind == Kind::kIntermediate ? "critical,CA:TRUE,pathlen:0"
                                                       : "critical,CA:FALSE");
  if (kind != Kind::kSelfSignedLeaf) {
    ok = ok && AddExtension(cert, issuer, NID_key_usage,
                            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  }
  if (!ca) ok = ok && AddExtension(cert, issuer, NID_ext_key_usage, "serverAuth");
  ok = ok && AddExtension(cert, issuer, NID_subject_key_identifier, "hash");
  if (!self_signed) {
    ok = ok && AddExtension(cert, issuer, NID_authority_key_identifier, "keyid:always");
  }
  std::vector<std::string> alt;
  for (const std::string& dns : dns_names) alt.push_back(absl::StrCat("DNS:", dns));
  for (const std::string& ip : ip_addresses) alt.push_back(absl::StrCat("IP:", ip));
  if (!alt.empty()) {
    ok = ok && AddExtension(cert, issuer, NID_subject_alt_name, absl::StrJoin(alt, ","));
  }
  if (!ok) return fail("extensions");
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) return fail("X509_sign");
  return made;
}

absl::Time OrDefault(absl::Time t, absl::Time fallback) {
  return t == absl::InfinitePast() ? fallback : t;
}

std::string CommonName(const CertSpec& spec) {
  if (!spec.common_name.empty()) return spec.common_name;
  if (!spec.dns_names.empty()) return spec.dns_names.front();
  return "test";
}

TestCert ToTestCert(const Made& made, std::vector<std::string> chain) {
  TestCert out;
  out.cert_pem = CertToPem(made.cert);
  out.key_pem = KeyToPem(made.key);
  out.chain_pem = std::move(chain);
  out.subject = SubjectOf(made.cert);
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  ASN1_TIME_to_tm(X509_get0_notBefore(made.cert), &tm);
  out.not_before = absl::FromTimeT(timegm(&tm));
  memset(&tm, 0, sizeof(tm));
  ASN1_TIME_to_tm(X509_get0_notAfter(made.cert), &tm);
  out.not_after = absl::FromTimeT(timegm(&tm));
  return out;
}

}  // namespace

CertSpec CertSpec::ForHosts(std::vector<std::string> dns_names) {
  CertSpec spec;
  spec.dns_names = std::move(dns_names);
  return spec;
}

CertSpec CertSpec::Expired(absl::Duration ago) const {
  CertSpec spec = *this;
  const absl::Time now = absl::Now();
  spec.not_before = now - absl::Hours(24 * 100);
  spec.not_after = now - ago;
  return spec;
}

CertSpec CertSpec::NotYetValid(absl::Duration in) const {
  CertSpec spec = *this;
  const absl::Time now = absl::Now();
  spec.not_before = now + in;
  spec.not_after = now + in + absl::Hours(24 * 90);
  return spec;
}

CertSpec CertSpec::ValidUntil(absl::Time not_after) const {
  CertSpec spec = *this;
  spec.not_after = not_after;
  return spec;
}

TestCert TestCert::WithoutChain() const {
  TestCert out = *this;
  out.chain_pem.clear();
  return out;
}

std::string TestCert::FullChainPem() const {
  return absl::StrCat(cert_pem, absl::StrJoin(chain_pem, ""));
}

TestCa::TestCa(std::unique_ptr<Keys> keys, std::string cert_pem,
               std::vector<std::string> chain_pem)
    : keys_(std::move(keys)), cert_pem_(std::move(cert_pem)), chain_pem_(std::move(chain_pem)) {}

TestCa::~TestCa() = default;

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::CreateRoot(absl::string_view common_name) {
  const absl::Time now = absl::Now();
  absl::StatusOr<Made> made =
      MakeCertificate(Kind::kRoot, std::string(common_name), {}, {}, now - absl::Hours(24),
                      now + absl::Hours(24 * 3650), nullptr, nullptr);
  if (!made.ok()) return made.status();
  auto keys = std::make_unique<Keys>();
  keys->key = made->key;
  keys->cert = made->cert;
  std::string pem = CertToPem(made->cert);
  return std::unique_ptr<TestCa>(new TestCa(std::move(keys), std::move(pem), {}));
}

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::CreateIntermediate(
    absl::string_view common_name) const {
  const absl::Time now = absl::Now();
  absl::StatusOr<Made> made =
      MakeCertificate(Kind::kIntermediate, std::string(common_name), {}, {},
                      now - absl::Hours(24), now + absl::Hours(24 * 1825), keys_->cert,
                      keys_->key);
  if (!made.ok()) return made.status();
  auto keys = std::make_unique<Keys>();
  keys->key = made->key;
  keys->cert = made->cert;
  std::string pem = CertToPem(made->cert);
  std::vector<std::string> chain = {pem};
  chain.insert(chain.end(), chain_pem_.begin(), chain_pem_.end());
  return std::unique_ptr<TestCa>(new TestCa(std::move(keys), std::move(pem), std::move(chain)));
}

absl::StatusOr<TestCert> TestCa::Issue(const CertSpec& spec) const {
  const absl::Time now = absl::Now();
  absl::StatusOr<Made> made = MakeCertificate(
      Kind::kLeaf, CommonName(spec), spec.dns_names, spec.ip_addresses,
      OrDefault(spec.not_before, now - absl::Hours(1)),
      OrDefault(spec.not_after, now + absl::Hours(24 * 90)), keys_->cert, keys_->key);
  if (!made.ok()) return made.status();
  TestCert out = ToTestCert(*made, chain_pem_);
  EVP_PKEY_free(made->key);
  X509_free(made->cert);
  return out;
}

absl::StatusOr<std::string> TestCa::WriteCertFile() const {
  return WriteTempFile(cert_pem_, ".pem");
}

absl::StatusOr<TestCert> MakeSelfSigned(const CertSpec& spec) {
  const absl::Time now = absl::Now();
  absl::StatusOr<Made> made = MakeCertificate(
      Kind::kSelfSignedLeaf, CommonName(spec), spec.dns_names, spec.ip_addresses,
      OrDefault(spec.not_before, now - absl::Hours(1)),
      OrDefault(spec.not_after, now + absl::Hours(24 * 90)), nullptr, nullptr);
  if (!made.ok()) return made.status();
  TestCert out = ToTestCert(*made, {});
  EVP_PKEY_free(made->key);
  X509_free(made->cert);
  return out;
}

absl::StatusOr<std::string> WriteTempFile(absl::string_view contents, absl::string_view suffix) {
  const char* dir = getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp",
                                  "/mtasts-XXXXXX", suffix);
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("mkstemps(", path, "): ", strerror(errno)));
  }
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("write(", path, "): ", strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return path;
}

}  // namespace mtasts::fakes

#include "server/tls_files.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::server {
namespace {

using ::testing::HasSubstr;

std::string Write(absl::string_view contents) {
  auto path = fakes::WriteTempFile(contents, ".pem");
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("/nonexistent");
}

// `key_pem` encrypted under a passphrase, as `openssl pkcs8 -topk8` would.
std::string Encrypted(const std::string& key_pem) {
  BIO* in = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  EXPECT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  char passphrase[] = "secret";
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_128_cbc(), passphrase,
                                          sizeof passphrase - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(out);
  EVP_PKEY_free(key);
  return pem;
}

// A base64 body that is not a certificate, in a CERTIFICATE block.
constexpr char kNotACertificate[] =
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = fakes::TestCa::CreateRoot("tls_files test root");
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = *std::move(root);
    auto inter = root_->CreateIntermediate("tls_files test intermediate");
    ASSERT_TRUE(inter.ok()) << inter.status();
    auto leaf = (*inter)->Issue(fakes::CertSpec::ForHosts({"localhost"}));
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    leaf_ = *std::move(leaf);
    auto other = fakes::MakeSelfSigned(fakes::CertSpec::ForHosts({"other.test"}));
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = *std::move(other);
    files_.cert_file = Write(leaf_.FullChainPem());
    files_.key_file = Write(leaf_.key_pem);
    files_.client_ca_file = Write(root_->cert_pem());
  }

  std::string Error(const ServerTlsFiles& files) {
    auto pem = LoadServerTlsFiles(files);
    if (pem.ok()) return "accepted";
    EXPECT_EQ(pem.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(pem.status().message());
  }

  std::unique_ptr<fakes::TestCa> root_;
  fakes::TestCert leaf_;
  fakes::TestCert other_;
  ServerTlsFiles files_;
};

TEST_F(TlsFilesTest, AGoodSetIsReadAsIs) {
  auto pem = LoadServerTlsFiles(files_);
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(pem->cert_chain, leaf_.FullChainPem());
  EXPECT_EQ(pem->private_key, leaf_.key_pem);
  EXPECT_EQ(pem->client_ca, root_->cert_pem());
  files_.client_ca_file.clear();
  pem = LoadServerTlsFiles(files_);
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(pem->client_ca, "");
}

TEST_F(TlsFilesTest, OneFileWithCertificateAndKeyServesForBoth) {
  const std::string key_first = Write(absl::StrCat(leaf_.key_pem, leaf_.FullChainPem()));
  EXPECT_EQ(Error({key_first, key_first, ""}), "accepted");
  const std::string key_last = Write(absl::StrCat(leaf_.FullChainPem(), leaf_.key_pem));
  EXPECT_EQ(Error({key_last, key_last, ""}), "accepted");
}

TEST_F(TlsFilesTest, CertificateAndKeyGoTogether) {
  EXPECT_EQ(Error({files_.cert_file, "", ""}), "--tls_cert and --tls_key must be given together");
  EXPECT_EQ(Error({"", files_.key_file, ""}), "--tls_cert and --tls_key must be given together");
  EXPECT_THAT(Error({"", "", files_.client_ca_file}),
              HasSubstr("--tls_client_ca needs --tls_cert and --tls_key"));
}

TEST_F(TlsFilesTest, UnreadableFilesNameTheFlagAndPath) {
  files_.cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(Error(files_), "--tls_cert /nonexistent/cert.pem: No such file or directory");
  files_.cert_file = Write(leaf_.FullChainPem());
  const std::string dir = files_.key_file.substr(0, files_.key_file.rfind('/'));
  files_.key_file = dir;
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_key ", dir, ": is a directory, not a file"));
  files_.key_file = Write(leaf_.key_pem);
  files_.client_ca_file = dir;
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_client_ca ", dir, ": is a directory, not a file"));
}

TEST_F(TlsFilesTest, ACertificateFileWithoutACertificateIsRefused) {
  files_.cert_file = Write("just some text\n");
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_cert ", files_.cert_file,
                                        ": no PEM certificate in it (expected "
                                        "-----BEGIN CERTIFICATE-----)"));
  files_.cert_file = Write(leaf_.key_pem);  // the key twice, no certificate
  EXPECT_THAT(Error(files_), HasSubstr("--tls_cert " + files_.cert_file + ": no PEM certificate"));
}

TEST_F(TlsFilesTest, ACertificateThatDoesNotParseIsRefused) {
  files_.cert_file = Write(kNotACertificate);
  EXPECT_THAT(Error(files_),
              HasSubstr("--tls_cert " + files_.cert_file + ": certificate 1 does not parse ("));
  // gRPC would serve the leaf alone and drop the broken intermediate.
  files_.cert_file = Write(absl::StrCat(leaf_.cert_pem, kNotACertificate));
  EXPECT_THAT(Error(files_),
              HasSubstr("--tls_cert " + files_.cert_file + ": certificate 2 does not parse ("));
}

TEST_F(TlsFilesTest, AKeyFileWithoutAUsableKeyIsRefused) {
  files_.key_file = Write(leaf_.cert_pem);
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_key ", files_.key_file,
                                        ": no PEM private key in it (expected "
                                        "-----BEGIN PRIVATE KEY-----)"));
  files_.key_file = Write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
  EXPECT_THAT(Error(files_),
              HasSubstr("--tls_key " + files_.key_file + ": the private key does not parse ("));
  files_.key_file = Write(Encrypted(leaf_.key_pem));
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_key ", files_.key_file,
                                        ": the key is encrypted; give it without a passphrase"));
}

TEST_F(TlsFilesTest, AKeyOfAnotherCertificateIsRefused) {
  files_.key_file = Write(other_.key_pem);
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_key ", files_.key_file,
                                        " does not belong to the first certificate in "
                                        "--tls_cert ",
                                        files_.cert_file));
  // The leaf must come first: its key does not match a file that starts with
  // another certificate.
  files_.key_file = Write(leaf_.key_pem);
  files_.cert_file = Write(absl::StrCat(other_.cert_pem, leaf_.cert_pem));
  EXPECT_THAT(Error(files_), HasSubstr("does not belong to the first certificate"));
}

TEST_F(TlsFilesTest, AClientCaThatIsNotACertificateIsRefused) {
  files_.client_ca_file = Write("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
  EXPECT_EQ(Error(files_), absl::StrCat("--tls_client_ca ", files_.client_ca_file,
                                        ": no PEM certificate in it (expected "
                                        "-----BEGIN CERTIFICATE-----)"));
  files_.client_ca_file = Write(absl::StrCat(root_->cert_pem(), kNotACertificate));
  EXPECT_THAT(Error(files_), HasSubstr("--tls_client_ca " + files_.client_ca_file +
                                       ": certificate 2 does not parse"));
}

}  // namespace
}  // namespace mtasts::server

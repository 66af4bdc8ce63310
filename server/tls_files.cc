#include "server/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/openssl_errors.h"
#include "server/flag_file.h"

namespace mtasts::server {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

absl::Status Bad(absl::string_view flag, const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": ", why));
}

// Every flag's file is a usage error when it cannot be read, whatever errno.
absl::StatusOr<std::string> Read(absl::string_view flag, const std::string& path) {
  auto text = ReadFlagFile(flag, path);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  return text;
}

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// True when the last PEM read failed only because no further PEM block of
// that kind was found (the normal end of a bundle).
bool NoMoreBlocks() {
  const unsigned long error = ERR_peek_last_error();
  return ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
}

// The certificates in `pem`, in order, as gRPC reads them (CERTIFICATE or
// TRUSTED CERTIFICATE blocks; blocks of other kinds, e.g. a key in the same
// file, are skipped). Refuses a file without any and a certificate that does not
// parse (gRPC would drop it and everything after it without a word).
absl::StatusOr<std::vector<X509Ptr>> ReadCertificates(absl::string_view flag,
                                                      const std::string& path,
                                                      const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::InternalError(net::OpenSslErrors());
  std::vector<X509Ptr> certs;
  while (true) {
    ERR_clear_error();
    X509* cert = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
    if (cert != nullptr) {
      certs.emplace_back(cert);
      continue;
    }
    if (NoMoreBlocks()) break;
    const std::string why = net::OpenSslErrors();
    return Bad(flag, path,
               absl::StrCat("certificate ", certs.size() + 1, " does not parse (", why, ")"));
  }
  ERR_clear_error();
  if (certs.empty()) {
    return Bad(flag, path, "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)");
  }
  return certs;
}

// True when `pem` has a block labelled "... PRIVATE KEY" (PKCS#8, encrypted
// PKCS#8, or a traditional "RSA"/"EC" key).
bool HasPrivateKeyBlock(absl::string_view pem) {
  constexpr absl::string_view kBegin = "-----BEGIN ";
  for (size_t at = pem.find(kBegin); at != absl::string_view::npos; at = pem.find(kBegin, at + 1)) {
    const absl::string_view rest = pem.substr(at + kBegin.size());
    const size_t end = rest.find("-----");
    if (end != absl::string_view::npos && absl::EndsWith(rest.substr(0, end), "PRIVATE KEY")) {
      return true;
    }
  }
  return false;
}

// Never prompts on the terminal for a passphrase (OpenSSL's default):
// gRPC cannot use an encrypted key, so only record that one was asked for.
int RefusePassphrase(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

absl::StatusOr<PkeyPtr> ReadPrivateKey(const std::string& path, const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::InternalError(net::OpenSslErrors());
  ERR_clear_error();
  bool asked_for_passphrase = false;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, &asked_for_passphrase));
  if (key != nullptr) return key;
  if (asked_for_passphrase) {
    ERR_clear_error();
    return Bad("--tls_key", path, "the key is encrypted; give it without a passphrase");
  }
  // OpenSSL 3's decoders report a file without any key block as an
  // unsupported key: look at the PEM labels to say which it is.
  if (!HasPrivateKeyBlock(pem)) {
    ERR_clear_error();
    return Bad("--tls_key", path,
               "no PEM private key in it (expected -----BEGIN PRIVATE KEY-----)");
  }
  return Bad("--tls_key", path,
             absl::StrCat("the private key does not parse (", net::OpenSslErrors(), ")"));
}

}  // namespace

absl::StatusOr<ServerTlsPem> LoadServerTlsFiles(const ServerTlsFiles& files) {
  if (files.cert_file.empty() && files.key_file.empty()) {
    return absl::InvalidArgumentError(
        files.client_ca_file.empty()
            ? "no --tls_cert and --tls_key given"
            : "--tls_client_ca needs --tls_cert and --tls_key (the port's own TLS)");
  }
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key must be given together");
  }
  ServerTlsPem pem;
  auto cert_chain = Read("--tls_cert", files.cert_file);
  if (!cert_chain.ok()) return cert_chain.status();
  pem.cert_chain = *std::move(cert_chain);
  auto key = Read("--tls_key", files.key_file);
  if (!key.ok()) return key.status();
  pem.private_key = *std::move(key);

  auto certs = ReadCertificates("--tls_cert", files.cert_file, pem.cert_chain);
  if (!certs.ok()) return certs.status();
  auto private_key = ReadPrivateKey(files.key_file, pem.private_key);
  if (!private_key.ok()) return private_key.status();
  // The leaf, not any certificate of the chain, must match: that is the one
  // gRPC presents with this key.
  ERR_clear_error();
  const bool match = X509_check_private_key(certs->front().get(), private_key->get()) == 1;
  ERR_clear_error();
  if (!match) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key ", files.key_file,
                     " does not belong to the first certificate in --tls_cert ", files.cert_file));
  }

  if (!files.client_ca_file.empty()) {
    auto client_ca = Read("--tls_client_ca", files.client_ca_file);
    if (!client_ca.ok()) return client_ca.status();
    pem.client_ca = *std::move(client_ca);
    auto cas = ReadCertificates("--tls_client_ca", files.client_ca_file, pem.client_ca);
    if (!cas.ok()) return cas.status();
  }
  return pem;
}

}  // namespace mtasts::server

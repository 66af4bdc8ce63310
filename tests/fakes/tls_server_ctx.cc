#include "tests/fakes/tls_server_ctx.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/openssl_errors.h"

namespace mtasts::fakes {
namespace {

int ToOpenSslVersion(FakeTlsVersion v) {
  switch (v) {
    case FakeTlsVersion::kDefault: return 0;
    case FakeTlsVersion::kTls1_0: return TLS1_VERSION;
    case FakeTlsVersion::kTls1_1:
    case FakeTlsVersion::kTls1_1Intolerant: return TLS1_1_VERSION;
    case FakeTlsVersion::kTls1_2: return TLS1_2_VERSION;
    case FakeTlsVersion::kTls1_3: return TLS1_3_VERSION;
  }
  return 0;
}

bool BelowTls12(FakeTlsVersion v) {
  return v == FakeTlsVersion::kTls1_0 || v == FakeTlsVersion::kTls1_1 ||
         v == FakeTlsVersion::kTls1_1Intolerant;
}

// kTls1_1Intolerant: a ClientHello offering TLS 1.2 or later (legacy_version
// 0x0303) gets a handshake_failure alert instead of a downgrade.
int IntolerantHello(SSL* ssl, int* alert, void*) {
  if (SSL_client_hello_get0_legacy_version(ssl) >= TLS1_2_VERSION) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace

absl::StatusOr<SSL_CTX*> MakeTlsServerCtx(const TestCert& cert, FakeTlsVersion min_version,
                                          FakeTlsVersion max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", net::OpenSslErrors()));
  }
  auto fail = [ctx](absl::StatusCode code, absl::string_view what) {
    SSL_CTX_free(ctx);
    return absl::Status(code, absl::StrCat(what, ": ", net::OpenSslErrors()));
  };
  if (BelowTls12(min_version) || BelowTls12(max_version)) {
    // OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) above level 0.
    SSL_CTX_set_security_level(ctx, 0);
    if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1) {
      return fail(absl::StatusCode::kInternal, "cipher list");
    }
  }
  if (SSL_CTX_set_min_proto_version(ctx, ToOpenSslVersion(min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, ToOpenSslVersion(max_version)) != 1) {
    return fail(absl::StatusCode::kInternal, "protocol versions");
  }
  if (max_version == FakeTlsVersion::kTls1_1Intolerant) {
    SSL_CTX_set_client_hello_cb(ctx, IntolerantHello, nullptr);
  }
  // Send exactly the chain the test chose, never one built from a store.
  SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);

  BIO* bio = BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (x509 == nullptr || SSL_CTX_use_certificate(ctx, x509) != 1) {
    X509_free(x509);
    return fail(absl::StatusCode::kInvalidArgument, "certificate");
  }
  X509_free(x509);
  bio = BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    EVP_PKEY_free(key);
    return fail(absl::StatusCode::kInvalidArgument, "private key");
  }
  EVP_PKEY_free(key);
  for (const std::string& pem : cert.chain_pem) {
    bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    // add0 takes ownership on success.
    if (extra == nullptr || SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return fail(absl::StatusCode::kInvalidArgument, "chain certificate");
    }
  }
  return ctx;
}

void BlockSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace mtasts::fakes

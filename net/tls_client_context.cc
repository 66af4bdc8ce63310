#include "net/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/openssl_errors.h"
#include "net/tls_verify.h"

namespace mtasts::net {
namespace {

absl::Status LoadIntermediates(const std::string& path, STACK_OF(X509)* out) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read intermediates file \"", path, "\": ", OpenSslErrors()));
  }
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    sk_X509_push(out, cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the read that ended the loop leaves "no start line"
  if (sk_X509_num(out) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("intermediates file \"", path, "\" holds no PEM certificate"));
  }
  return absl::OkStatus();
}

}  // namespace

TlsClientContext::State::~State() {
  if (intermediates != nullptr) sk_X509_pop_free(intermediates, X509_free);
  if (ctx != nullptr) SSL_CTX_free(ctx);
  if (legacy_ctx != nullptr) SSL_CTX_free(legacy_ctx);
}

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const std::string& ca_file) {
  TlsClientOptions options;
  options.ca_file = ca_file;
  return Create(options);
}

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const TlsClientOptions& options) {
  auto state = std::make_shared<State>();
  ERR_clear_error();
  state->ctx = SSL_CTX_new(TLS_client_method());
  state->intermediates = sk_X509_new_null();
  if (state->ctx == nullptr || state->intermediates == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  }
  SSL_CTX* ctx = state->ctx;
  // RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8461 senders use 1.2+.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return absl::InternalError(absl::StrCat("set_min_proto_version: ", OpenSslErrors()));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Partial writes: SSL_write returns after each record, so the reactor is
  // never blocked and a retry may pass a moved buffer.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Every error is recorded, the handshake goes on (net/tls_verify.h).
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, RecordingVerifyCallback);
  // Every connection verifies afresh: no session cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (options.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return absl::InternalError(
          absl::StrCat("cannot load the system trust store: ", OpenSslErrors()));
    }
  } else {
    FILE* f = fopen(options.ca_file.c_str(), "r");
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open CA file \"", options.ca_file, "\": ", strerror(errno)));
    }
    fclose(f);
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CA file \"", options.ca_file, "\" holds no usable certificate: ", OpenSslErrors()));
    }
  }
  if (!options.intermediates_file.empty()) {
    absl::Status status = LoadIntermediates(options.intermediates_file, state->intermediates);
    if (!status.ok()) return status;
  }
  // The diagnostic context: a host that fails the real handshake is asked
  // once more, allowing only TLS 1.0 and 1.1, purely to name the version it
  // speaks (MX_TLS_PROTOCOL_TOO_OLD). OpenSSL 3 refuses TLS 1.0/1.1 above
  // security level 0 (their MD5+SHA-1 handshake signatures).
  state->legacy_ctx = SSL_CTX_new(TLS_client_method());
  if (state->legacy_ctx == nullptr ||
      SSL_CTX_set_min_proto_version(state->legacy_ctx, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(state->legacy_ctx, TLS1_1_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(state->legacy_ctx, "ALL:@SECLEVEL=0") != 1) {
    return absl::InternalError(absl::StrCat("diagnostic TLS context: ", OpenSslErrors()));
  }
  SSL_CTX_set_security_level(state->legacy_ctx, 0);
  SSL_CTX_set_options(state->legacy_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_verify(state->legacy_ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(state->legacy_ctx, SSL_SESS_CACHE_OFF);
  ERR_clear_error();
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(std::move(state)));
}

}  // namespace mtasts::net

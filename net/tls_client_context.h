// The TLS client's trust store and settings (TlsClientContext), built once
// and shared by every TlsStream. See net/tls_stream.h for the TLS policy.
#ifndef MTASTS_NET_TLS_CLIENT_CONTEXT_H_
#define MTASTS_NET_TLS_CLIENT_CONTEXT_H_

#include <openssl/types.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

struct stack_st_X509;  // STACK_OF(X509)

namespace mtasts::net {

struct TlsClientOptions {
  // PEM file of trusted root certificates; empty: the system default store.
  std::string ca_file;
  // Optional PEM file of intermediate CA certificates known to belong to
  // trusted roots. Never trusted: used only after a failed verification, to
  // tell "the server left out its intermediate" (kIncompleteChain) from "an
  // issuer we do not know" (kUnknownIssuer). Empty: no such distinction.
  std::string intermediates_file;
};

// The trust store and TLS settings, built once and shared by every stream.
// Thread-safe and immutable after Create. Streams hold their own reference
// to what they need, so a context may be destroyed before its streams.
class TlsClientContext {
 public:
  // Errors: INVALID_ARGUMENT naming the file when a CA or intermediates file
  // cannot be read or holds no certificate; INTERNAL for OpenSSL failures.
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(
      const std::string& ca_file);
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(
      const TlsClientOptions& options);

  // The OpenSSL objects, shared with the streams.
  struct State {
    SSL_CTX* ctx = nullptr;
    // For diagnosis only (TlsParams::legacy_version_probe): TLS 1.0 and 1.1
    // at security level 0, no verification. A stream that completes a
    // handshake with it always fails with kProtocolTooOld, so nothing is
    // ever sent over, or accepted from, such a session.
    SSL_CTX* legacy_ctx = nullptr;
    // Known intermediates (never trusted), for telling an incomplete chain
    // from an unknown issuer. Empty stack when none were given.
    stack_st_X509* intermediates = nullptr;
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();
  };
  const std::shared_ptr<const State>& state() const { return state_; }

 private:
  explicit TlsClientContext(std::shared_ptr<const State> state)
      : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_TLS_CLIENT_CONTEXT_H_

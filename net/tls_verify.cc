#include "net/tls_verify.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <string>
#include <utility>
#include <vector>

#include "net/certificate_info.h"

namespace mtasts::net {
namespace {

int RecordIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

HandshakeRecord* RecordOf(const SSL* ssl) {
  return static_cast<HandshakeRecord*>(SSL_get_ex_data(ssl, RecordIndex()));
}

void RecordVerifyError(HandshakeRecord* record, X509_STORE_CTX* store) {
  CertificateError error;
  error.code = X509_STORE_CTX_get_error(store);
  error.depth = X509_STORE_CTX_get_error_depth(store);
  for (const CertificateError& seen : record->verify_errors) {
    if (seen.code == error.code && seen.depth == error.depth) return;
  }
  error.text = X509_verify_cert_error_string(error.code);
  if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
    error.subject = NameToString(X509_get_subject_name(cert));
    error.not_before = Asn1TimeToTime(X509_get0_notBefore(cert));
    error.not_after = Asn1TimeToTime(X509_get0_notAfter(cert));
    record->issuers.push_back(NameToString(X509_get_issuer_name(cert)));
  } else {
    record->issuers.emplace_back();
  }
  record->verify_errors.push_back(std::move(error));
}

void InfoCallback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0) return;
  HandshakeRecord* record = RecordOf(ssl);
  if (record == nullptr) return;
  const int description = ret & 0xff;
  if (description == SSL_AD_CLOSE_NOTIFY) return;
  std::string text = SSL_alert_desc_string_long(ret);
  if ((where & SSL_CB_READ) != 0) {
    record->alert_received = description;
    record->alert_received_text = std::move(text);
  } else if (record->alert_sent < 0) {
    record->alert_sent = description;
    record->alert_sent_text = std::move(text);
  }
}

bool InStack(STACK_OF(X509)* stack, X509* cert) {
  if (stack == nullptr) return false;
  for (int i = 0; i < sk_X509_num(stack); ++i) {
    if (X509_cmp(sk_X509_value(stack, i), cert) == 0) return true;
  }
  return false;
}

}  // namespace

int RecordingVerifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) return 1;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  HandshakeRecord* record = RecordOf(ssl);
  if (record == nullptr) return 0;
  RecordVerifyError(record, store);
  return 1;
}

void RecordHandshake(SSL* ssl, HandshakeRecord* record) {
  SSL_set_ex_data(ssl, RecordIndex(), record);
  SSL_set_info_callback(ssl, InfoCallback);
}

int VerifyErrorRank(int code) {
  switch (code) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return 0;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return 1;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return 2;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return 3;
    default:
      return 4;
  }
}

std::vector<std::string> FindMissingIntermediates(SSL* ssl, SSL_CTX* ctx,
                                                  STACK_OF(X509)* intermediates) {
  std::vector<std::string> missing;
  if (intermediates == nullptr || sk_X509_num(intermediates) == 0) return missing;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return missing;
  STACK_OF(X509)* peer = SSL_get_peer_cert_chain(ssl);
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  X509_STORE_CTX* vctx = X509_STORE_CTX_new();
  if (untrusted == nullptr || vctx == nullptr) {
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(vctx);
    return missing;
  }
  for (int i = 0; peer != nullptr && i < sk_X509_num(peer); ++i) {
    sk_X509_push(untrusted, sk_X509_value(peer, i));
  }
  for (int i = 0; i < sk_X509_num(intermediates); ++i) {
    sk_X509_push(untrusted, sk_X509_value(intermediates, i));
  }
  if (X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(ctx), leaf, untrusted) == 1) {
    X509_STORE_CTX_set_default(vctx, "ssl_server");
    X509_verify_cert(vctx);
    const int err = X509_STORE_CTX_get_error(vctx);
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(vctx);
    // Still an issuer error (rank 0 or 1): the intermediates did not help.
    if (VerifyErrorRank(err) > 1 && built != nullptr) {
      for (int i = 0; i < sk_X509_num(built); ++i) {
        X509* cert = sk_X509_value(built, i);
        if (InStack(intermediates, cert) && !InStack(peer, cert)) {
          missing.push_back(NameToString(X509_get_subject_name(cert)));
        }
      }
    }
  }
  X509_STORE_CTX_free(vctx);
  sk_X509_free(untrusted);  // the certificates belong to their owners
  ERR_clear_error();
  return missing;
}

}  // namespace mtasts::net

// The gRPC port's TLS material (--tls_cert, --tls_key, --tls_client_ca),
// read and checked with OpenSSL before gRPC gets it. gRPC only says it
// cannot listen when a file is bad (the cause goes to its own log); this
// names the flag, the file and what is wrong with it.
#ifndef MTASTS_SERVER_TLS_FILES_H_
#define MTASTS_SERVER_TLS_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace mtasts::server {

struct ServerTlsFiles {
  std::string cert_file;       // --tls_cert: PEM leaf certificate, then its chain
  std::string key_file;        // --tls_key: PEM private key of the leaf, unencrypted
  std::string client_ca_file;  // --tls_client_ca: PEM CA certificates; empty: no mTLS
};

// Their contents, each checked.
struct ServerTlsPem {
  std::string cert_chain;
  std::string private_key;
  std::string client_ca;  // empty: no client certificates asked for
};

// Reads and checks the files the way gRPC will use them: each file readable;
// --tls_cert holds at least one PEM certificate and every certificate in it
// parses; --tls_key holds an unencrypted PEM private key that belongs to the
// first certificate; --tls_client_ca holds at least one PEM certificate and
// every one parses. Certificate and key must be given together;
// --tls_client_ca needs both. Errors: INVALID_ARGUMENT naming the flag, the
// path and the problem.
// Thread-safe (uses the calling thread's OpenSSL error queue and leaves it
// empty).
absl::StatusOr<ServerTlsPem> LoadServerTlsFiles(const ServerTlsFiles& files);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_TLS_FILES_H_

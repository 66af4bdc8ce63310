// OpenSSL's thread-local error queue in words, for messages and statuses.
// Shared by the TLS client (net/) and the test fakes' TLS servers.
#ifndef MTASTS_NET_OPENSSL_ERRORS_H_
#define MTASTS_NET_OPENSSL_ERRORS_H_

#include <string>

namespace mtasts::net {

// Drains the calling thread's OpenSSL error queue into one line, entries
// joined with "; ", or "no OpenSSL error recorded" when it is empty.
std::string OpenSslErrors();

}  // namespace mtasts::net

#endif  // MTASTS_NET_OPENSSL_ERRORS_H_

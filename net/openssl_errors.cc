#include "net/openssl_errors.h"

#include <openssl/err.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"

namespace mtasts::net {

std::string OpenSslErrors() {
  std::vector<std::string> parts;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    parts.emplace_back(buf);
  }
  return parts.empty() ? "no OpenSSL error recorded" : absl::StrJoin(parts, "; ");
}

}  // namespace mtasts::net

// Reading a file an operator named in a flag (--config, --tls_cert, ...):
// one place that refuses a directory or an unreadable path with the flag,
// the path and the reason, instead of reading it as empty.
#ifndef MTASTS_SERVER_FLAG_FILE_H_
#define MTASTS_SERVER_FLAG_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::server {

// Start-up files are small; the bound keeps --config=/dev/zero from
// reading forever.
inline constexpr size_t kMaxFlagFileBytes = 4 << 20;

// The whole contents of `path`. Errors, each "<flag> <path>: <reason>":
// NOT_FOUND (no such file), PERMISSION_DENIED, INVALID_ARGUMENT (a
// directory, larger than `max_bytes`, any other read error).
absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag, const std::string& path,
                                         size_t max_bytes = kMaxFlagFileBytes);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_FLAG_FILE_H_

// Server configuration: the --config file (text-format mtasts.v1.ServerConfig)
// merged with command-line flags, which win where both are given.
#ifndef MTASTS_SERVER_SERVER_CONFIG_H_
#define MTASTS_SERVER_SERVER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "mtasts/v1/config.pb.h"

namespace mtasts::server {

// Reads and parses `path`. INVALID_ARGUMENT with the parser's line and column
// for syntax errors, and for negative values where they make no sense. A path
// that cannot be read is refused with the path and the reason (NOT_FOUND,
// PERMISSION_DENIED, or INVALID_ARGUMENT for a directory: server/flag_file.h),
// never taken for an empty file.
absl::StatusOr<v1::ServerConfig> LoadServerConfig(const std::string& path);

// Same, from text (for tests).
absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& text);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_SERVER_CONFIG_H_

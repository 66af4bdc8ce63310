// Server configuration: the --config file (text-format mtasts.v1.ServerConfig)
// merged with command-line flags, which win where both are given.
#ifndef MTASTS_SERVER_SERVER_CONFIG_H_
#define MTASTS_SERVER_SERVER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "mtasts/v1/config.pb.h"

namespace mtasts::server {

// Reads and parses `path`. INVALID_ARGUMENT with the parser's line and column
// for syntax errors, NOT_FOUND when the file cannot be read, and
// INVALID_ARGUMENT for negative or zero-or-less values where they make no sense.
absl::StatusOr<v1::ServerConfig> LoadServerConfig(const std::string& path);

// Same, from text (for tests).
absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& text);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_SERVER_CONFIG_H_

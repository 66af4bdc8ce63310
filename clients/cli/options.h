// Command line of the mtasts client: subcommand, target and flags.
//
// Parsing is by hand rather than with absl flags because flags may come
// before or after the subcommand and each subcommand takes one positional
// argument. Example:
//   mtasts --server checker:50051 check example.com --json --timeout 20s
// parses to {command: kCheck, target: "example.com", server: "checker:50051",
// json: true, timeout: 20s}.
#ifndef MTASTS_CLIENTS_CLI_OPTIONS_H_
#define MTASTS_CLIENTS_CLI_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mtasts::cli {

// Server used when neither --server nor MTASTS_SERVER is given.
inline constexpr char kDefaultServer[] = "127.0.0.1:50051";

// The usage text printed by --help (to stdout) and after usage errors.
extern const char kUsage[];

enum class Command {
  kHelp,   // --help, -h or "help": print kUsage, exit 0.
  kCheck,  // check DOMAIN
  kFleet,  // fleet FILE|-
};

// The parts of the process environment the client reads, passed in so that
// parsing is a pure function.
struct Environment {
  // $MTASTS_SERVER; empty when unset. Replaces kDefaultServer.
  std::string mtasts_server;
  // $NO_COLOR is set to a non-empty value (https://no-color.org).
  bool no_color = false;

  // Reads the variables above from this process's environment.
  static Environment FromProcess();
};

// The server's default --fleet_max_inflight; --window's range.
inline constexpr int kDefaultFleetWindow = 100;
inline constexpr int kMaxFleetWindow = 100000;

struct CliOptions {
  Command command = Command::kHelp;
  // The domain (check) or the domain-list path, "-" for stdin (fleet).
  std::string target;
  // host:port of the MtaStsChecker service.
  std::string server = kDefaultServer;
  // Deadline of the whole call (check: the RPC; fleet: the whole stream).
  // Unset: check and fleet run without a client deadline.
  std::optional<absl::Duration> timeout;
  // Exit 3 when any report scores below this (0-100).
  std::optional<int> fail_under;
  // fleet: entries sent to one server and not yet answered. More than the
  // server's --fleet_max_inflight only waits in its transport buffers.
  int window = kDefaultFleetWindow;
  bool json = false;
  // Colour is allowed by flags and environment; the caller still requires a
  // terminal.
  bool color_allowed = true;
  bool skip_mx_probe = false;
  // --checks, split on commas; empty means all. Names are left for the server
  // to judge so that a newer server's checks can be asked for.
  std::vector<std::string> checks;
  // Transport security to the server. ca_file empty: system roots.
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Parses args (argv without the program name). Errors are INVALID_ARGUMENT
// with a one-line message for the user, e.g. "unknown flag --jsn".
absl::StatusOr<CliOptions> ParseArgs(const std::vector<std::string>& args,
                                     const Environment& env);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_OPTIONS_H_

#include "clients/cli/options.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mtasts::cli {

const char kUsage[] =
    R"(Usage:
  mtasts check DOMAIN [flags]   check one domain and print its report
  mtasts fleet FILE [flags]     check every domain listed in FILE ("-": stdin)
  mtasts help                   print this text

Domain list: one domain per line, optionally followed by a tag (for example a
customer id) after whitespace. Blank lines and text from '#' on are ignored.
An entry without a tag is tagged with its line number.

Flags (before or after the command):
  --server HOST:PORT    the checker to call (default: $MTASTS_SERVER, else
                        127.0.0.1:50051); dns:///HOST:PORT or
                        ipv4:A:PORT,B:PORT spreads calls round-robin and a
                        fleet over every address (what a server that dies
                        or drains did not answer goes to the others); a
                        check is retried while the server is busy or down
  --timeout DURATION    deadline for the call, e.g. 30s, 2m, 1500ms; in fleet
                        mode for the whole stream (default: none)
  --fail-under N        exit 3 when any report scores below N (0-100)
  --window N            fleet: entries sent to one server and not yet
                        answered (default 100, the server's default
                        --fleet_max_inflight; 1-100000); raise it with that
  --json                print the DomainReport as JSON; in fleet mode one
                        FleetEvent per line (JSON Lines)
  --no-color            no ANSI colour (colour is used only on a terminal and
                        when NO_COLOR is unset)
  --skip-mx-probe       don't connect to MX hosts on port 25
  --checks LIST         comma-separated checks to run (txt, policy_fetch,
                        policy_content, mx_match, mx_tls, tls_rpt, dnssec)
  --tls                 connect over TLS, trusting the system roots
  --ca-file PEM         trust these roots instead (implies --tls)
  --cert PEM --key PEM  client certificate and key for mutual TLS (imply --tls)
  -h, --help            print this text

Exit status:
  0  success
  1  the call failed: server unreachable, domain rejected, stream broken
  2  usage error: bad command, argument or flag value, unreadable file
  3  --fail-under: a report scored below N
In fleet mode an entry the server rejects is printed and counted; it does not
change the exit status.
)";

Environment Environment::FromProcess() {
  Environment env;
  if (const char* server = std::getenv("MTASTS_SERVER")) {
    env.mtasts_server = server;
  }
  const char* no_color = std::getenv("NO_COLOR");
  env.no_color = no_color != nullptr && no_color[0] != '\0';
  return env;
}

namespace {

// A bare number is taken as seconds; otherwise absl's syntax ("1m30s").
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view text) {
  absl::Duration d;
  int64_t seconds;
  if (absl::SimpleAtoi(text, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timeout: \"", text, "\" is not a duration (e.g. 30s, 2m, 1500ms)"));
  }
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: \"", text, "\" must be positive and finite"));
  }
  return d;
}

absl::StatusOr<int> ParseFailUnder(absl::string_view text) {
  int n;
  if (!absl::SimpleAtoi(text, &n) || n < 0 || n > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--fail-under: \"", text, "\" is not a whole number from 0 to 100"));
  }
  return n;
}

absl::StatusOr<int> ParseWindow(absl::string_view text) {
  int n;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > kMaxFleetWindow) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--window: \"", text, "\" is not a whole number from 1 to ",
        kMaxFleetWindow));
  }
  return n;
}

absl::StatusOr<std::vector<std::string>> ParseChecks(absl::string_view text) {
  std::vector<std::string> checks;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--checks: \"", text, "\" has an empty name (use txt,tls_rpt)"));
    }
    checks.emplace_back(name);
  }
  return checks;
}

bool IsValueFlag(absl::string_view name) {
  return name == "--server" || name == "--timeout" || name == "--fail-under" ||
         name == "--window" || name == "--checks" || name == "--ca-file" ||
         name == "--cert" || name == "--key";
}

}  // namespace

absl::StatusOr<CliOptions> ParseArgs(const std::vector<std::string>& args,
                                     const Environment& env) {
  CliOptions opts;
  if (!env.mtasts_server.empty()) opts.server = env.mtasts_server;
  if (env.no_color) opts.color_allowed = false;

  bool help = false;
  bool flags_done = false;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // "-" alone is the stdin file name, not a flag.
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (IsValueFlag(name)) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, " needs a value"));
        }
        value = args[++i];
      }
    } else if (value.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
    }

    if (name == "-h" || name == "--help") {
      help = true;
    } else if (name == "--json") {
      opts.json = true;
    } else if (name == "--no-color") {
      opts.color_allowed = false;
    } else if (name == "--skip-mx-probe") {
      opts.skip_mx_probe = true;
    } else if (name == "--tls") {
      opts.tls = true;
    } else if (name == "--server") {
      if (value->empty()) {
        return absl::InvalidArgumentError("--server needs HOST:PORT");
      }
      opts.server = *value;
    } else if (name == "--timeout") {
      absl::StatusOr<absl::Duration> timeout = ParseTimeout(*value);
      if (!timeout.ok()) return timeout.status();
      opts.timeout = *timeout;
    } else if (name == "--fail-under") {
      absl::StatusOr<int> n = ParseFailUnder(*value);
      if (!n.ok()) return n.status();
      opts.fail_under = *n;
    } else if (name == "--window") {
      absl::StatusOr<int> n = ParseWindow(*value);
      if (!n.ok()) return n.status();
      opts.window = *n;
    } else if (name == "--checks") {
      absl::StatusOr<std::vector<std::string>> checks = ParseChecks(*value);
      if (!checks.ok()) return checks.status();
      opts.checks = *std::move(checks);
    } else if (name == "--ca-file") {
      opts.ca_file = *value;
      opts.tls = true;
    } else if (name == "--cert") {
      opts.cert_file = *value;
      opts.tls = true;
    } else if (name == "--key") {
      opts.key_file = *value;
      opts.tls = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    }
  }

  // --help wins over everything else so that "mtasts check --help" works.
  if (help) {
    opts.command = Command::kHelp;
    return opts;
  }
  if (positional.empty()) {
    return absl::InvalidArgumentError("missing command (check or fleet)");
  }
  const std::string& command = positional[0];
  if (command == "help") {
    opts.command = Command::kHelp;
    return opts;
  }
  if (command == "check") {
    opts.command = Command::kCheck;
  } else if (command == "fleet") {
    opts.command = Command::kFleet;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command \"", command, "\" (check or fleet)"));
  }
  const char* what = opts.command == Command::kCheck ? "DOMAIN" : "FILE";
  if (positional.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": missing ", what));
  }
  if (positional.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        command, ": expected one ", what, ", got \"", positional[2], "\" too"));
  }
  opts.target = positional[1];
  if (opts.target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": ", what, " is empty"));
  }
  if (opts.cert_file.empty() != opts.key_file.empty()) {
    return absl::InvalidArgumentError("--cert and --key go together");
  }
  return opts;
}

}  // namespace mtasts::cli

// The mtasts command-line client as a library, so that tests run it
// in-process against a fake server. main.cc only wires it to the process.
//
//   mtasts check example.com              readable report
//   mtasts check example.com --json       DomainReport as JSON
//   mtasts fleet domains.txt              one line per domain, then totals
//   some-export | mtasts fleet - --json   FleetEvents as JSON Lines
//
// Exit status: kExitOk, kExitRpcError when the call itself fails (server
// unreachable, INVALID_ARGUMENT for the domain, fleet stream broken),
// kExitUsage for command-line mistakes and unreadable input files,
// kExitFailUnder when --fail-under N is given and a report scored below N.
// When several apply the first in the order usage, RPC error, fail-under wins.
// In fleet mode an entry answered with a FleetError is printed and counted
// but does not change the exit status: the stream did its job.
#ifndef MTASTS_CLIENTS_CLI_CLI_H_
#define MTASTS_CLIENTS_CLI_CLI_H_

#include <istream>
#include <ostream>

namespace mtasts::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailUnder = 3;

// Which of the output streams are terminals. Colour needs stdout to be one;
// the fleet progress line needs stderr to be one.
struct Terminal {
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
};

// Runs the client as main() would and returns the exit status. argv[0] is the
// program name. "fleet -" reads the domain list from in; reports go to out,
// diagnostics and the progress line to err. Reads MTASTS_SERVER and NO_COLOR
// from the environment. Blocks until done. In fleet mode other threads
// read in and write out; all finish before the return.
int RunCli(int argc, char** argv, std::istream& in, std::ostream& out,
           std::ostream& err, Terminal terminal);

// As above, with stdout and stderr both terminals or neither.
int RunCli(int argc, char** argv, std::istream& in, std::ostream& out,
           std::ostream& err, bool is_tty);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_CLI_H_

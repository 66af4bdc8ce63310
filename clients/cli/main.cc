// mtasts: command-line client of the MtaStsChecker service. See cli.h.
#include <unistd.h>

#include <iostream>

#include "absl/synchronization/mutex.h"
#include "clients/cli/cli.h"

int main(int argc, char** argv) {
  // Debian's Abseil is built with the mutex deadlock detector on: a lock-order
  // graph update per Lock(), about 2% of the CLI's CPU in the fleet
  // benchmark. The tests keep it (they run the cli library, not this main).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // The streams keep buffers of their own, apart from C's stdio: a line of
  // JSON larger than stdio's 4 KiB buffer is then one write, not three.
  std::ios::sync_with_stdio(false);
  mtasts::cli::Terminal terminal;
  terminal.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  terminal.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  return mtasts::cli::RunCli(argc, argv, std::cin, std::cout, std::cerr,
                             terminal);
}

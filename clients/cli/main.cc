// mtasts: command-line client of the MtaStsChecker service. See cli.h.
#include <unistd.h>

#include <iostream>

#include "clients/cli/cli.h"

int main(int argc, char** argv) {
  mtasts::cli::Terminal terminal;
  terminal.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  terminal.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  return mtasts::cli::RunCli(argc, argv, std::cin, std::cout, std::cerr,
                             terminal);
}

// The process's own resource use, read from /proc/self (Linux), for the
// process_* metrics that prometheus-cpp does not provide.
#ifndef MTASTS_SERVER_PROCESS_STATS_H_
#define MTASTS_SERVER_PROCESS_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::server {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  int64_t threads = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;             // soft RLIMIT_NOFILE
  double start_time_seconds = 0;   // since the Unix epoch
};

// Parses the contents of /proc/<pid>/stat (one line; the command name in
// parentheses may hold spaces and parentheses). Fills cpu_seconds,
// resident_bytes, virtual_bytes, threads; start time as seconds after boot
// in *start_after_boot. INVALID_ARGUMENT for text that is not such a line.
absl::Status ParseProcStat(absl::string_view stat, long ticks_per_second, long page_bytes,
                           ProcessStats* stats, double* start_after_boot);

// Reads /proc/self/stat, /proc/stat (boot time), /proc/self/fd and the
// file limit. Thread-safe. Errors: UNAVAILABLE when /proc cannot be read.
absl::StatusOr<ProcessStats> ReadProcessStats();

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_PROCESS_STATS_H_

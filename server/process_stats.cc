#include "server/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mtasts::server {
namespace {

// /proc files are small; a bound keeps a surprise from costing memory.
constexpr size_t kMaxProcFileBytes = 64 * 1024;

absl::StatusOr<std::string> ReadSmallFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::string text(kMaxProcFileBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace

absl::Status ParseProcStat(absl::string_view stat, long ticks_per_second, long page_bytes,
                           ProcessStats* stats, double* start_after_boot) {
  // "pid (comm) state ppid ...": comm may contain ") ", so split after the
  // last ')'. Fields from there on are numbered from 3 (state).
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos || ticks_per_second <= 0) {
    return absl::InvalidArgumentError("not a /proc/<pid>/stat line");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipWhitespace());
  // fields[0] is field 3 (state); field n is fields[n - 3].
  auto field = [&](int n, int64_t* out) {
    return static_cast<size_t>(n - 3) < fields.size() &&
           absl::SimpleAtoi(fields[static_cast<size_t>(n - 3)], out);
  };
  int64_t utime, stime, threads, start, vsize, rss;
  if (!field(14, &utime) || !field(15, &stime) || !field(20, &threads) ||
      !field(22, &start) || !field(23, &vsize) || !field(24, &rss)) {
    return absl::InvalidArgumentError("not a /proc/<pid>/stat line");
  }
  stats->cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
  stats->threads = threads;
  stats->virtual_bytes = vsize;
  stats->resident_bytes = rss * page_bytes;
  *start_after_boot = static_cast<double>(start) / static_cast<double>(ticks_per_second);
  return absl::OkStatus();
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ProcessStats stats;
  auto stat = ReadSmallFile("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  double start_after_boot = 0;
  if (absl::Status s = ParseProcStat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE),
                                     &stats, &start_after_boot);
      !s.ok()) {
    return absl::UnavailableError(absl::StrCat("/proc/self/stat: ", s.message()));
  }
  // Boot time ("btime <seconds>") turns the start tick count into a time.
  auto system = ReadSmallFile("/proc/stat");
  if (system.ok()) {
    for (absl::string_view line : absl::StrSplit(*system, '\n')) {
      int64_t btime;
      if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtoi(line, &btime)) {
        stats.start_time_seconds = static_cast<double>(btime) + start_after_boot;
      }
    }
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    int64_t entries = 0;
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++entries;
    }
    closedir(dir);
    stats.open_fds = entries - 1;  // the directory stream's own descriptor
  }
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    stats.max_fds = static_cast<int64_t>(
        std::min<rlim_t>(files.rlim_cur, std::numeric_limits<int64_t>::max()));
  }
  return stats;
}

}  // namespace mtasts::server

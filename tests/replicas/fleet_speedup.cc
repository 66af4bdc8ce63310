// fleet_speedup: how much faster a fleet goes over 3 replicas than over 1,
// on this machine, same fakes, same run. Starts a ReplicaLab with 3
// replicas, then runs the whole fleet (every domain of the lab, the checks
// of LabChecks()) through the C++ client library alternately against the
// first replica alone and against all three, --rounds times, and prints one
// line per run and the ratio of the medians. Each line also says where the
// CPU went (the replicas' user+system time, and this process's: the fakes
// and the client) and how many cores were busy on average, so a run that is
// CPU-bound (busy cores near the machine's count) can be told from one that
// waits on something else. On a machine with fewer cores than replicas, one
// replica (with --reactor_threads 2 by default) can already use every core.
//
//   bazel run -c opt //tests/replicas:fleet_speedup -- \
//       --server=$PWD/bazel-bin/server/mtasts_server --domains=2000 --rounds=3
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "tests/replicas/replica_lab.h"

ABSL_FLAG(std::string, server, "", "Path of the mtasts_server binary");
ABSL_FLAG(int, domains, 2000, "Fleet size");
ABSL_FLAG(int, rounds, 3, "Runs of each configuration");
ABSL_FLAG(int, reactor_threads, 2, "Each replica's --reactor_threads");

namespace {

using mtasts::testing::ReplicaLab;

// One whole fleet through the library; its wall time, or -1 on failure.
double RunFleet(const std::string& target, int domains, int* answered) {
  auto client = mtasts::client::Client::Create({.target = target});
  if (!client.ok()) return -1;
  int next = 0;
  *answered = 0;
  const absl::Time start = absl::Now();
  absl::Status status = (*client)->Fleet(
      [&]() -> absl::StatusOr<std::optional<mtasts::v1::FleetRequest>> {
        if (next == domains) return std::nullopt;
        mtasts::v1::FleetRequest request;
        request.set_domain(ReplicaLab::Domain(next));
        request.set_tag(absl::StrCat(next));
        for (const std::string& c : mtasts::testing::LabChecks()) {
          request.mutable_options()->add_checks(c);
        }
        ++next;
        return request;
      },
      [&](const mtasts::v1::FleetEvent& event) {
        if (event.has_result()) ++*answered;
      },
      mtasts::client::FleetOptions{.timeout = absl::Minutes(10)});
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!status.ok()) {
    fprintf(stderr, "fleet over %s failed: %s\n", target.c_str(), status.ToString().c_str());
    return -1;
  }
  return seconds;
}

// User+system CPU seconds of a process so far (/proc/<pid>/stat fields 14-15).
double ProcessCpu(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  return (utime + stime) / sysconf(_SC_CLK_TCK);
}

double SelfCpu() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int domains = absl::GetFlag(FLAGS_domains);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  auto lab = ReplicaLab::Start(
      {.server_binary = absl::GetFlag(FLAGS_server),
       .replicas = 3,
       .domains = domains,
       .server_flags = {absl::StrCat("--reactor_threads=", absl::GetFlag(FLAGS_reactor_threads))}});
  if (!lab.ok()) {
    fprintf(stderr, "fleet_speedup: %s\n", lab.status().ToString().c_str());
    return 1;
  }
  // Warm-up (each replica's MX probe cache, the fakes' first handshakes).
  int answered = 0;
  RunFleet((*lab)->Target(), domains, &answered);
  std::vector<double> one, three;
  for (int r = 0; r < rounds; ++r) {
    for (int replicas : {1, 3}) {
      double servers_before = 0;
      for (int i = 0; i < 3; ++i) servers_before += ProcessCpu((*lab)->pid(i));
      const double self_before = SelfCpu();
      const double s = RunFleet((*lab)->Target(0, replicas), domains, &answered);
      double servers = -servers_before;
      for (int i = 0; i < 3; ++i) servers += ProcessCpu((*lab)->pid(i));
      const double self = SelfCpu() - self_before;
      if (s < 0 || answered != domains) {
        fprintf(stderr, "fleet_speedup: run failed (%d of %d answered)\n", answered, domains);
        return 1;
      }
      (replicas == 1 ? one : three).push_back(s);
      printf(
          "round %d, %d replica%s: %d domains in %.2f s, %.0f domains/s; CPU: replicas %.2f s, "
          "fakes+client %.2f s, %.2f cores busy of %ld\n",
          r + 1, replicas, replicas == 1 ? "" : "s", domains, s, domains / s, servers, self,
          (servers + self) / s, sysconf(_SC_NPROCESSORS_ONLN));
      fflush(stdout);
    }
  }
  const double m1 = Median(one), m3 = Median(three);
  printf("median: 1 replica %.2f s (%.0f/s), 3 replicas %.2f s (%.0f/s); speed-up %.2fx\n", m1,
         domains / m1, m3, domains / m3, m1 / m3);
  return 0;
}

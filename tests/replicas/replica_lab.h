// ReplicaLab: several real mtasts_server processes (replicas) behind one
// ipv4: target, over fake DNS, HTTPS (policy) and SMTP (MX) servers in this
// process, all on 127.0.0.1. For the fleet failover tests and the replica
// speed-up measurement.
//
//   auto lab = ReplicaLab::Start({.server_binary = path, .replicas = 3});
//   client::ClientOptions options{.target = (*lab)->Target()};
//   ... (*lab)->Signal(0, SIGKILL); (*lab)->WaitExit(0, absl::Seconds(30)) ...
//
// The zone: d0000.test ... d<N-1>.test. Every tenth (i % 10 == 3) publishes
// nothing but its MX (state ABSENT); the others are healthy: _mta-sts TXT
// "v=STSv1; id=<i>" (so a report names its domain in evidence.sts_id), an
// enforce policy for mx.fleet.test served over HTTPS with a certificate from
// the lab's CA, TLS-RPT, and the MX host with STARTTLS. slow.test is healthy
// too but every DNS answer for it is held `slow_answer`.
//
// The replicas are this process's children; the destructor SIGKILLs and
// reaps any still running, by PID.
//
// Container mode (ReplicaLabOptions::container_image set): each replica is a
// container of the server's image, run attached (`podman run`, so its log is
// this child's output) in the network namespace this process runs in, which
// the caller created (deploy/image/replicas_image_test.sh); the fakes stay on
// that namespace's 127.0.0.1 and nothing else is reachable. Signal maps
// SIGKILL to `podman kill -s KILL` and SIGTERM to `podman stop` (tini passes
// it on, the server drains); the destructor removes the containers it made.
#ifndef MTASTS_TESTS_REPLICAS_REPLICA_LAB_H_
#define MTASTS_TESTS_REPLICAS_REPLICA_LAB_H_

#include <sys/types.h>

#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::testing {

struct ReplicaLabOptions {
  std::string server_binary;  // //server:mtasts_server
  int replicas = 3;
  int domains = 2000;
  absl::Duration slow_answer = absl::Seconds(3);
  // Extra flags for every replica, e.g. "--config=..." .
  std::vector<std::string> server_flags;
  // Container mode: the image ("localhost/mtasts-server:latest"), the network
  // namespace file this process runs in ("/run/netns/<name>"; checked), the
  // process whose network and mount namespaces `podman run` is started in
  // (the caller's, outside that namespace; via nsenter) and the containers'
  // name prefix (names are "<prefix>-<i>"). podman and nsenter are found on
  // PATH.
  std::string container_image;
  std::string container_netns;
  int podman_pid = 0;
  std::string container_prefix;
};

// The checks a fleet entry asks for: every one whose outcome the fakes decide
// (dnssec would need signed zones).
std::vector<std::string> LabChecks();

class ReplicaLab {
 public:
  static absl::StatusOr<std::unique_ptr<ReplicaLab>> Start(const ReplicaLabOptions& options);
  ~ReplicaLab();

  int replicas() const { return static_cast<int>(children_.size()); }
  // "ipv4:127.0.0.1:<port>,..." over replicas [first, first + count).
  std::string Target(int first = 0, int count = -1) const;
  int port(int replica) const { return children_[replica]->port; }
  pid_t pid(int replica) const { return children_[replica]->pid; }

  static std::string Domain(int i);      // "d0042.test"
  static bool Healthy(int i) { return i % 10 != 3; }

  bool containers() const { return !container_prefix_.empty(); }
  // The container's name (container mode), "" otherwise.
  std::string ContainerName(int replica) const;

  // kill(pid, signal) on a replica still running. In container mode SIGKILL
  // (any signal but SIGTERM) is `podman kill`, returning once delivered, and
  // SIGTERM `podman stop -t 60`, started without waiting for it (a stop
  // lasts as long as the drain) but returning once the server logged
  // "shutting_down" (or its output ended; at most 60 s): either way the
  // signal has landed when Signal returns, as with kill(2).
  void Signal(int replica, int signal);
  // Waits for the replica to exit (or `timeout`); its wait status, or
  // DEADLINE_EXCEEDED.
  absl::StatusOr<int> WaitExit(int replica, absl::Duration timeout);
  // True while the replica has not been reaped and kill(pid, 0) works.
  bool Running(int replica);
  // Whether a WaitExit status means "killed by SIGKILL" / "exited 0". A
  // container's status is that of its attached `podman run`, which exits
  // with the container's code: 128 + 9 when SIGKILL ended it.
  bool KilledBySigkill(int status) const;
  bool ExitedCleanly(int status) const;
  // Its stderr lines so far (start-up lines, call log, shutdown events). A
  // container that has exited (and been reaped): `podman logs`.
  std::vector<std::string> Log(int replica) const;

  fakes::FakeDnsServer& dns() { return *dns_; }

 private:
  struct Child {
    pid_t pid = -1;
    int port = 0;
    bool reaped = false;
    int status = 0;
    mutable absl::Mutex mu;
    std::vector<std::string> log ABSL_GUARDED_BY(mu);
    bool output_ended ABSL_GUARDED_BY(mu) = false;  // its stdout/stderr closed
    std::unique_ptr<std::thread> reader;
  };
  ReplicaLab() = default;
  absl::Status StartReplica(const std::vector<std::string>& argv);
  // Runs `argv` (podman) to its end; its exit status.
  static int RunTool(const std::vector<std::string>& argv);
  // `podman logs <name>`'s lines; empty if it failed.
  static std::vector<std::string> PodmanLogs(const std::string& name);

  std::string container_prefix_;  // container mode when not empty
  std::vector<pid_t> tools_;      // podman kill/stop started by Signal

  std::unique_ptr<fakes::TestCa> ca_;
  std::unique_ptr<fakes::FakeHttpsServer> https_;
  std::unique_ptr<fakes::FakeSmtpServer> smtp_;
  std::unique_ptr<fakes::FakeDnsServer> dns_;
  std::string ca_file_;
  std::vector<std::unique_ptr<Child>> children_;
};

}  // namespace mtasts::testing

#endif  // MTASTS_TESTS_REPLICAS_REPLICA_LAB_H_

#include "tests/replicas/replica_lab.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

extern char** environ;

namespace mtasts::testing {
namespace {

using fakes::DnsRecord;
using fakes::DnsReply;
using fakes::DnsType;

constexpr char kMxHost[] = "mx.fleet.test";
constexpr char kPolicyPath[] = "/.well-known/mta-sts.txt";

// The last two labels of a name ("d0042.test" in "_mta-sts.d0042.test").
absl::string_view RegisteredDomain(absl::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return name;
  dot = name.rfind('.', dot - 1);
  return dot == absl::string_view::npos ? name : name.substr(dot + 1);
}

// i for "d<i>.test" with i below `domains` (written as Domain(i) writes it),
// -2 for slow.test, -1 otherwise.
int DomainNumber(absl::string_view domain, int domains) {
  if (domain == "slow.test") return -2;
  absl::string_view rest = domain;
  int n = 0;
  if (!absl::ConsumePrefix(&rest, "d") || !absl::ConsumeSuffix(&rest, ".test") ||
      !absl::SimpleAtoi(rest, &n) || n < 0 || n >= domains || ReplicaLab::Domain(n) != domain) {
    return -1;
  }
  return n;
}

DnsReply Answer(const fakes::DnsQuery& query, int domains, absl::Duration slow) {
  const std::string name = absl::AsciiStrToLower(query.name);
  const auto type = static_cast<DnsType>(query.type);
  if (name == kMxHost) {
    return type == DnsType::kA ? DnsReply::Records({DnsRecord::A("127.0.0.1")})
                               : DnsReply::NoData();
  }
  // The TLS-RPT mailbox's domain accepts mail (tls_rpt checks that it can).
  if (name == "fleet.test") {
    return type == DnsType::kMx ? DnsReply::Records({DnsRecord::Mx(10, kMxHost)})
                                : DnsReply::NoData();
  }
  const absl::string_view domain = RegisteredDomain(name);
  const int n = DomainNumber(domain, domains);
  if (n == -1) return DnsReply::NxDomain();
  DnsReply reply = DnsReply::NxDomain();
  if (name == domain) {
    reply = type == DnsType::kMx ? DnsReply::Records({DnsRecord::Mx(10, kMxHost)})
                                 : DnsReply::NoData();
  } else if (n >= 0 && !ReplicaLab::Healthy(n)) {
    reply = DnsReply::NxDomain();  // MX only
  } else if (name == absl::StrCat("_mta-sts.", domain)) {
    reply = type == DnsType::kTxt
                ? DnsReply::Records({DnsRecord::Txt({absl::StrCat("v=STSv1; id=", n < 0 ? 1 : n)})})
                : DnsReply::NoData();
  } else if (name == absl::StrCat("_smtp._tls.", domain)) {
    reply = type == DnsType::kTxt
                ? DnsReply::Records({DnsRecord::Txt({"v=TLSRPTv1; rua=mailto:tlsrpt@fleet.test"})})
                : DnsReply::NoData();
  } else if (name == absl::StrCat("mta-sts.", domain)) {
    reply = type == DnsType::kA ? DnsReply::Records({DnsRecord::A("127.0.0.1")})
                                : DnsReply::NoData();
  }
  if (n == -2) return reply.Delayed(slow);
  return reply;
}

}  // namespace

std::vector<std::string> LabChecks() {
  return {"txt", "policy_fetch", "policy_content", "mx_match", "mx_tls", "tls_rpt"};
}

std::string ReplicaLab::Domain(int i) { return absl::StrFormat("d%04d.test", i); }

absl::StatusOr<std::unique_ptr<ReplicaLab>> ReplicaLab::Start(const ReplicaLabOptions& options) {
  const bool containers = !options.container_image.empty();
  if ((options.server_binary.empty() && !containers) || options.replicas < 1 ||
      options.domains < 0 || options.domains > 10000) {
    return absl::InvalidArgumentError(
        "ReplicaLab: server_binary or container_image, 1+ replicas, 0-10000 domains");
  }
  if (containers) {
    if (options.container_netns.empty() || options.podman_pid <= 0 ||
        options.container_prefix.empty()) {
      return absl::InvalidArgumentError("ReplicaLab: container mode needs netns and prefix");
    }
    // The containers join that namespace; the fakes are on this process's
    // loopback. Unless they are the same, nothing would connect (or, in the
    // host's namespace, a container could reach more than loopback).
    struct stat mine, theirs;
    if (stat("/proc/self/ns/net", &mine) != 0 ||
        stat(options.container_netns.c_str(), &theirs) != 0 || mine.st_ino != theirs.st_ino ||
        mine.st_dev != theirs.st_dev) {
      return absl::FailedPreconditionError(
          absl::StrCat("ReplicaLab: this process does not run in ", options.container_netns,
                       " (start it with ip netns exec)"));
    }
  }
  std::unique_ptr<ReplicaLab> lab(new ReplicaLab());
  auto ca = fakes::TestCa::CreateRoot("replica lab policy CA");
  if (!ca.ok()) return ca.status();
  lab->ca_ = *std::move(ca);
  auto ca_file = lab->ca_->WriteCertFile();
  if (!ca_file.ok()) return ca_file.status();
  lab->ca_file_ = *ca_file;

  // The policy web: one certificate per mta-sts.<domain>, chosen by SNI.
  fakes::FakeHttpsServerOptions https_options;
  std::vector<std::string> hosts = {"mta-sts.slow.test"};
  for (int i = 0; i < options.domains; ++i) {
    if (Healthy(i)) hosts.push_back(absl::StrCat("mta-sts.", Domain(i)));
  }
  for (const std::string& host : hosts) {
    auto cert = lab->ca_->Issue(fakes::CertSpec::ForHosts({host}));
    if (!cert.ok()) return cert.status();
    if (https_options.certificates.empty()) https_options.certificates.push_back({"", *cert});
    https_options.certificates.push_back({host, *std::move(cert)});
  }
  auto https = fakes::FakeHttpsServer::Start(https_options);
  if (!https.ok()) return https.status();
  lab->https_ = *std::move(https);
  const std::string policy = absl::StrCat("version: STSv1\r\nmode: enforce\r\nmx: ", kMxHost,
                                          "\r\nmax_age: 604800\r\n");
  const int domains = options.domains;
  lab->https_->SetHandler([policy, domains](const fakes::FakeHttpRequest& request) {
    std::string host = absl::AsciiStrToLower(request.Header("host").value_or(""));
    host = host.substr(0, host.find(':'));
    absl::string_view domain = host;
    int n = -1;
    if (request.target != kPolicyPath || !absl::ConsumePrefix(&domain, "mta-sts.") ||
        (n = DomainNumber(domain, domains)) == -1 || (n >= 0 && !Healthy(n))) {
      return fakes::FakeHttpResponse::Status(404, "Not Found");
    }
    fakes::FakeHttpResponse response = fakes::FakeHttpResponse::Text(policy);
    response.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
    return response;
  });

  auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.1"});
  if (!smtp.ok()) return smtp.status();
  lab->smtp_ = *std::move(smtp);
  auto mx_cert = lab->ca_->Issue(fakes::CertSpec::ForHosts({kMxHost}));
  if (!mx_cert.ok()) return mx_cert.status();
  if (absl::Status s = lab->smtp_->SetScript("127.0.0.1", fakes::FakeSmtpScript::Good(*mx_cert));
      !s.ok()) {
    return s;
  }

  auto dns = fakes::FakeDnsServer::Start();
  if (!dns.ok()) return dns.status();
  lab->dns_ = *std::move(dns);
  const absl::Duration slow = options.slow_answer;
  lab->dns_->SetHandler(
      [domains, slow](const fakes::DnsQuery& query) { return Answer(query, domains, slow); });

  // Inside a container the CA file is read from /lab, a directory of its own
  // mounted read-only, readable by the image's uid 10001 (mkstemps made the
  // file 0600).
  std::string ca_arg = lab->ca_file_;
  std::string ca_dir;
  if (containers) {
    const char* tmp = getenv("TEST_TMPDIR");
    ca_dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/replica-ca-XXXXXX");
    std::ifstream in(lab->ca_file_);
    std::stringstream pem;
    pem << in.rdbuf();
    if (mkdtemp(ca_dir.data()) == nullptr || chmod(ca_dir.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("mkdtemp ", ca_dir, ": ", strerror(errno)));
    }
    const std::string copy = absl::StrCat(ca_dir, "/ca.pem");
    std::ofstream out(copy);
    out << pem.str();
    out.close();
    if (!in || !out || chmod(copy.c_str(), 0644) != 0) {
      return absl::InternalError(absl::StrCat("cannot copy the CA to ", copy));
    }
    ca_arg = "/lab/ca.pem";
    lab->container_prefix_ = options.container_prefix;
  }
  std::vector<std::string> flags = {
      "--listen=127.0.0.1:0",
      absl::StrCat("--dns_servers=", lab->dns_->address()),
      "--allow_targets=127.0.0.0/8",
      absl::StrCat("--ca_file=", ca_arg),
      absl::StrCat("--https_port=", lab->https_->port()),
      absl::StrCat("--smtp_port=", lab->smtp_->port()),
      // DNSSEC stays on loopback too (the fleet does not ask for dnssec).
      absl::StrCat("--dnssec_forwarder=", lab->dns_->address()),
  };
  flags.insert(flags.end(), options.server_flags.begin(), options.server_flags.end());
  for (int i = 0; i < options.replicas; ++i) {
    std::vector<std::string> argv;
    if (containers) {
      // Attached, so the server's log is this child's output. podman runs
      // in the caller's network and mount namespaces: runc takes a container
      // namespace equal to its own for the host's (and refuses the default
      // sysctls there), and `ip netns exec` hides the cgroup mounts. No
      // HEALTHCHECK: it needs systemd timers; the test watches the log.
      argv = {"nsenter",
              absl::StrCat("--target=", options.podman_pid),
              "--net",
              "--mount",
              "podman",
              "run",
              "--pull=never",
              "--name",
              absl::StrCat(options.container_prefix, "-", i),
              absl::StrCat("--network=ns:", options.container_netns),
              "--read-only",
              "--no-healthcheck",
              "-v",
              absl::StrCat(ca_dir, ":/lab:ro"),
              options.container_image};
    } else {
      argv = {options.server_binary};
    }
    argv.insert(argv.end(), flags.begin(), flags.end());
    if (absl::Status s = lab->StartReplica(argv); !s.ok()) return s;
  }
  return lab;
}

int ReplicaLab::RunTool(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::string ReplicaLab::ContainerName(int replica) const {
  return containers() ? absl::StrCat(container_prefix_, "-", replica) : "";
}

absl::Status ReplicaLab::StartReplica(const std::vector<std::string>& argv) {
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return absl::InternalError("pipe2() failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto child = std::make_unique<Child>();
  const int rc =
      posix_spawnp(&child->pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(err[1]);
  if (rc != 0) {
    close(err[0]);
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  FILE* from = fdopen(err[0], "r");
  Child* c = child.get();
  children_.push_back(std::move(child));
  // Every line is kept; the "serving" line gives the port.
  auto serving = std::make_shared<absl::Notification>();
  c->reader = std::make_unique<std::thread>([c, from, serving] {
    char line[8192];
    bool told = false;
    while (fgets(line, sizeof(line), from) != nullptr) {
      std::string text(absl::StripTrailingAsciiWhitespace(line));
      if (!told && absl::StrContains(text, "\"event\":\"serving\"")) {
        const size_t at = text.find("\"port\":");
        int port = 0;
        if (at != std::string::npos) {
          std::string digits = text.substr(at + 7);
          digits = digits.substr(0, digits.find_first_not_of("0123456789"));
          (void)absl::SimpleAtoi(digits, &port);
        }
        absl::MutexLock lock(&c->mu);
        c->port = port;
      }
      {
        absl::MutexLock lock(&c->mu);
        c->log.push_back(std::move(text));
      }
      if (!told && c->port != 0) {
        told = true;
        serving->Notify();
      }
    }
    fclose(from);
    {
      absl::MutexLock lock(&c->mu);
      c->output_ended = true;
    }
    if (!told) serving->Notify();  // exited before serving
  });
  const bool started = serving->WaitForNotificationWithTimeout(absl::Seconds(60));
  absl::MutexLock lock(&c->mu);
  if (!started || c->port == 0) {
    return absl::InternalError(
        absl::StrCat("replica did not start serving: ", absl::StrJoin(c->log, "\n")));
  }
  return absl::OkStatus();
}

ReplicaLab::~ReplicaLab() {
  // Containers first: removing one ends its attached `podman run` (our child).
  for (int i = 0; i < replicas(); ++i) {
    if (containers()) RunTool({"podman", "rm", "--force", "--time=0", ContainerName(i)});
  }
  for (pid_t tool : tools_) waitpid(tool, nullptr, 0);
  for (auto& c : children_) {
    if (!c->reaped) {
      kill(c->pid, SIGKILL);
      waitpid(c->pid, &c->status, 0);
      c->reaped = true;
    }
    if (c->reader) c->reader->join();
  }
}

std::string ReplicaLab::Target(int first, int count) const {
  if (count < 0) count = replicas() - first;
  std::vector<std::string> addresses;
  for (int i = first; i < first + count; ++i) {
    addresses.push_back(absl::StrCat("127.0.0.1:", children_[i]->port));
  }
  return absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
}

void ReplicaLab::Signal(int replica, int signal) {
  Child& c = *children_[replica];
  if (c.reaped) return;
  if (!containers()) {
    kill(c.pid, signal);
    return;
  }
  const std::string name = ContainerName(replica);
  if (signal != SIGTERM) {
    // Returns once the runtime has delivered it.
    RunTool({"podman", "kill", absl::StrCat("--signal=", signal), name});
    return;
  }
  // `podman stop` lasts as long as the drain: started, not awaited. What is
  // awaited is the server's "shutting_down" line (it has the signal), so the
  // caller's "mid-fleet" is where the signal lands, however slow podman is.
  // podman's SIGKILL comes only after 60 s, well past limits.shutdown_grace.
  const std::vector<std::string> argv = {"podman", "stop", "--time=60", name};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "podman", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;
  tools_.push_back(pid);
  absl::MutexLock lock(&c.mu);
  auto told = [&c]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.output_ended) return true;
    for (const std::string& line : c.log) {
      if (absl::StrContains(line, "\"event\":\"shutting_down\"")) return true;
    }
    return false;
  };
  c.mu.AwaitWithTimeout(absl::Condition(&told), absl::Seconds(60));
}

bool ReplicaLab::KilledBySigkill(int status) const {
  if (containers()) return WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL;
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

bool ReplicaLab::ExitedCleanly(int status) const {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool ReplicaLab::Running(int replica) {
  Child& c = *children_[replica];
  if (c.reaped) return false;
  if (waitpid(c.pid, &c.status, WNOHANG) == c.pid) {
    c.reaped = true;
    return false;
  }
  return true;
}

absl::StatusOr<int> ReplicaLab::WaitExit(int replica, absl::Duration timeout) {
  Child& c = *children_[replica];
  const absl::Time give_up = absl::Now() + timeout;
  // waitpid has no timeout: poll WNOHANG (the exit is what is awaited).
  while (Running(replica)) {
    if (absl::Now() > give_up) {
      return absl::DeadlineExceededError(absl::StrCat("replica ", replica, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return c.status;
}

std::vector<std::string> ReplicaLab::Log(int replica) const {
  const Child& c = *children_[replica];
  if (containers() && c.reaped) {
    // Exited: conmon's log file has every line, even any the attached
    // `podman run` did not pass on before it exited.
    std::vector<std::string> lines = PodmanLogs(ContainerName(replica));
    if (!lines.empty()) return lines;
  }
  absl::MutexLock lock(&c.mu);
  return c.log;
}

std::vector<std::string> ReplicaLab::PodmanLogs(const std::string& name) {
  std::vector<std::string> lines;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return lines;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  const std::vector<std::string> argv = {"podman", "logs", name};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "podman", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  FILE* from = fdopen(out[0], "r");
  if (rc == 0 && from != nullptr) {
    char line[8192];
    while (fgets(line, sizeof(line), from) != nullptr) {
      lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
    }
  }
  if (from != nullptr) {
    fclose(from);
  } else {
    close(out[0]);
  }
  if (rc == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) lines.clear();
  }
  return lines;
}

}  // namespace mtasts::testing

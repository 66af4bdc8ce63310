// client_lab: a live service for the client libraries' tests in other
// languages (Python, Go, TypeScript). It runs the fake DNS, HTTPS and SMTP
// servers the C++ integration tests use, starts four real `mtasts_server`
// processes wired to them (plain, a second plain replica, TLS, mutual TLS),
// prints ONE JSON line describing them on stdout, and runs until its stdin
// reaches EOF or it gets SIGTERM/SIGINT. Then it stops the servers it
// started (by PID) and exits 0.
//
//   client_lab --server=<path of //server:mtasts_server> --pki=<dir>
//
// The JSON line: plaintext, plaintext2, tls, mtls ("127.0.0.1:port"),
// server_name, ca_file, client_cert, client_key, healthy, no_txt, fleet
// (100 healthy domains), slow (20 domains whose DNS answers are held 30 s).
// See tests/clientlab/README.md.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"

ABSL_FLAG(std::string, server, "", "Path of the mtasts_server binary");
ABSL_FLAG(std::string, pki, "",
          "Directory with ca.pem, server.pem, server.key.pem, client.pem, client.key.pem "
          "(TLS material for the gRPC port: a server certificate for localhost/127.0.0.1 "
          "and a client certificate with clientAuth, both from ca.pem)");
ABSL_FLAG(int, fleet_size, 100, "How many good-N.test domains to serve");
ABSL_FLAG(int, slow_size, 20, "How many slow-N.test domains to serve");

namespace {

using mtasts::fakes::DnsQuery;
using mtasts::fakes::DnsRecord;
using mtasts::fakes::DnsReply;
using mtasts::fakes::DnsType;

constexpr char kMxHost[] = "mx.good.test";
constexpr char kPolicyPath[] = "/.well-known/mta-sts.txt";
constexpr absl::Duration kSlowAnswer = absl::Seconds(30);

int stop_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char byte = 0;
  (void)!write(stop_pipe[1], &byte, 1);
}

[[noreturn]] void Die(const std::string& message) {
  fprintf(stderr, "client_lab: %s\n", message.c_str());
  exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

// A good domain: `good.test` or `good-<n>.test` with n below fleet_size.
bool IsGoodDomain(absl::string_view name, int fleet_size) {
  if (name == "good.test") return true;
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "good-") || !absl::ConsumeSuffix(&rest, ".test")) return false;
  int n = 0;
  return absl::SimpleAtoi(rest, &n) && n >= 0 && n < fleet_size && absl::StrCat(n) == rest;
}

// The name's last two labels ("slow-3.test" in "_mta-sts.slow-3.test").
absl::string_view RegisteredDomain(absl::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return name;
  dot = name.rfind('.', dot - 1);
  return dot == absl::string_view::npos ? name : name.substr(dot + 1);
}

// The zone: good domains have everything right; no-txt.test has MX only;
// slow-N.test answers everything 30 s late; the rest is NXDOMAIN.
DnsReply Answer(const DnsQuery& query, int fleet_size, int slow_size) {
  const std::string& name = query.name;
  const absl::string_view domain = RegisteredDomain(name);
  if (absl::StartsWith(domain, "slow-")) {
    int n = 0;
    absl::string_view rest = domain;
    if (absl::ConsumePrefix(&rest, "slow-") && absl::ConsumeSuffix(&rest, ".test") &&
        absl::SimpleAtoi(rest, &n) && n >= 0 && n < slow_size) {
      return DnsReply::NxDomain().Delayed(kSlowAnswer);
    }
    return DnsReply::NxDomain();
  }
  const auto type = static_cast<DnsType>(query.type);
  const bool good = IsGoodDomain(domain, fleet_size);
  if (name == kMxHost) {
    if (type == DnsType::kA) return DnsReply::Records({DnsRecord::A("127.0.0.1")});
    return DnsReply::NoData();
  }
  if (!good && domain != "no-txt.test") return DnsReply::NxDomain();
  if (name == domain) {
    if (type == DnsType::kMx) return DnsReply::Records({DnsRecord::Mx(10, kMxHost)});
    return DnsReply::NoData();
  }
  if (!good) return DnsReply::NxDomain();  // no-txt.test: nothing below it
  const std::string sts = absl::StrCat("_mta-sts.", domain);
  const std::string rpt = absl::StrCat("_smtp._tls.", domain);
  const std::string policy_host = absl::StrCat("mta-sts.", domain);
  if (name == sts) {
    if (type == DnsType::kTxt) return DnsReply::Records({DnsRecord::Txt({"v=STSv1; id=20261204"})});
    return DnsReply::NoData();
  }
  if (name == rpt) {
    if (type == DnsType::kTxt) {
      return DnsReply::Records({DnsRecord::Txt({"v=TLSRPTv1; rua=mailto:tlsrpt@good.test"})});
    }
    return DnsReply::NoData();
  }
  if (name == policy_host) {
    if (type == DnsType::kA) return DnsReply::Records({DnsRecord::A("127.0.0.1")});
    return DnsReply::NoData();
  }
  return DnsReply::NxDomain();
}

// One mtasts_server child and the port it serves on.
struct Child {
  pid_t pid = -1;
  int port = 0;
};

// Starts `argv`, reads its stderr until the "serving" line (its port), then
// forwards the rest of its stderr to ours on a detached thread.
Child StartServer(const std::vector<std::string>& argv) {
  int err[2];
  if (pipe(err) != 0) Die("pipe() failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // The servers' stdout (their call log) goes to our stderr: our stdout
  // carries only the JSON line.
  posix_spawn_file_actions_adddup2(&actions, err[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Child child;
  if (const int rc = posix_spawn(&child.pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
      rc != 0) {
    Die(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  posix_spawn_file_actions_destroy(&actions);
  close(err[1]);
  FILE* from = fdopen(err[0], "r");
  char line[4096];
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (child.port == 0) {
    if (absl::Now() > give_up || fgets(line, sizeof(line), from) == nullptr) {
      kill(child.pid, SIGKILL);
      Die(absl::StrCat(argv[0], " did not start serving"));
    }
    fputs(line, stderr);
    absl::string_view text(line);
    if (absl::StrContains(text, "\"event\":\"serving\"")) {
      const size_t at = text.find("\"port\":");
      if (at == absl::string_view::npos) Die("serving line without a port");
      absl::string_view digits = text.substr(at + 7);
      digits = digits.substr(0, digits.find_first_not_of("0123456789"));
      if (!absl::SimpleAtoi(digits, &child.port) || child.port <= 0) Die("bad port");
    }
  }
  std::thread([from] {
    char rest[4096];
    while (fgets(rest, sizeof(rest), from) != nullptr) fputs(rest, stderr);
    fclose(from);
  }).detach();
  return child;
}

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  std::string pki = absl::GetFlag(FLAGS_pki);
  const int fleet_size = absl::GetFlag(FLAGS_fleet_size);
  const int slow_size = absl::GetFlag(FLAGS_slow_size);
  if (server.empty() || pki.empty()) Die("usage: client_lab --server=<mtasts_server> --pki=<dir>");
  if (fleet_size < 0 || fleet_size > 10000 || slow_size < 0 || slow_size > 10000) {
    Die("--fleet_size and --slow_size must be 0-10000");
  }
  // Children get absolute paths: they may be started from elsewhere.
  auto absolute = [](const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) Die("getcwd() failed");
    return absl::StrCat(cwd, "/", path);
  };
  pki = absolute(pki);
  const std::string server_path = absolute(server);
  signal(SIGPIPE, SIG_IGN);

  namespace fakes = mtasts::fakes;
  // The policy web: a certificate per mta-sts.<domain> from the lab's CA.
  auto ca = Must(fakes::TestCa::CreateRoot("client lab policy CA"), "CA");
  const std::string policy_ca_file = Must(ca->WriteCertFile(), "CA file");
  fakes::FakeHttpsServerOptions https_options;
  https_options.certificates.push_back(
      {"", Must(ca->Issue(fakes::CertSpec::ForHosts({"mta-sts.good.test"})), "certificate")});
  std::vector<std::string> good = {"good.test"};
  for (int i = 0; i < fleet_size; ++i) good.push_back(absl::StrCat("good-", i, ".test"));
  for (const std::string& domain : good) {
    const std::string host = absl::StrCat("mta-sts.", domain);
    https_options.certificates.push_back(
        {host, Must(ca->Issue(fakes::CertSpec::ForHosts({host})), "certificate")});
  }
  auto https = Must(fakes::FakeHttpsServer::Start(https_options), "HTTPS server");
  const std::string policy = absl::StrCat("version: STSv1\r\nmode: enforce\r\nmx: ", kMxHost,
                                          "\r\nmax_age: 604800\r\n");
  https->SetHandler([policy, fleet_size](const fakes::FakeHttpRequest& request) {
    std::string host = absl::AsciiStrToLower(request.Header("host").value_or(""));
    host = std::string(host.substr(0, host.find(':')));
    absl::string_view domain = host;
    if (request.target != kPolicyPath || !absl::ConsumePrefix(&domain, "mta-sts.") ||
        !IsGoodDomain(domain, fleet_size)) {
      return fakes::FakeHttpResponse::Status(404, "Not Found");
    }
    fakes::FakeHttpResponse response = fakes::FakeHttpResponse::Text(policy);
    response.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
    return response;
  });

  // The MX host: STARTTLS with a valid certificate.
  auto smtp = Must(fakes::FakeSmtpServer::Start({"127.0.0.1"}), "SMTP server");
  if (absl::Status s = smtp->SetScript(
          "127.0.0.1", fakes::FakeSmtpScript::Good(Must(
                           ca->Issue(fakes::CertSpec::ForHosts({kMxHost})), "MX certificate")));
      !s.ok()) {
    Die(s.ToString());
  }

  auto dns = Must(fakes::FakeDnsServer::Start(), "DNS server");
  dns->SetHandler([fleet_size, slow_size](const DnsQuery& query) {
    return Answer(query, fleet_size, slow_size);
  });

  const std::vector<std::string> common = {
      server_path,
      "--listen=127.0.0.1:0",
      absl::StrCat("--dns_servers=", dns->address()),
      "--allow_targets=127.0.0.0/8",
      absl::StrCat("--ca_file=", policy_ca_file),
      absl::StrCat("--https_port=", https->port()),
      absl::StrCat("--smtp_port=", smtp->port()),
      // DNSSEC queries go to the fake DNS too (it has no keys: dnssec is
      // INCONCLUSIVE), never to the root servers: tests stay on loopback.
      absl::StrCat("--dnssec_forwarder=", dns->address()),
  };
  auto with = [&common](std::vector<std::string> extra) {
    std::vector<std::string> argv = common;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  };
  const std::string tls_cert = absl::StrCat("--tls_cert=", pki, "/server.pem");
  const std::string tls_key = absl::StrCat("--tls_key=", pki, "/server.key.pem");
  std::vector<Child> children;
  children.push_back(StartServer(common));
  children.push_back(StartServer(common));
  children.push_back(StartServer(with({tls_cert, tls_key})));
  children.push_back(
      StartServer(with({tls_cert, tls_key, absl::StrCat("--tls_client_ca=", pki, "/ca.pem")})));

  std::vector<std::string> fleet, slow;
  for (int i = 0; i < fleet_size; ++i) fleet.push_back(Quoted(absl::StrCat("good-", i, ".test")));
  for (int i = 0; i < slow_size; ++i) slow.push_back(Quoted(absl::StrCat("slow-", i, ".test")));
  auto address = [](const Child& c) { return Quoted(absl::StrCat("127.0.0.1:", c.port)); };
  const std::string line = absl::StrCat(
      "{\"plaintext\": ", address(children[0]), ", \"plaintext2\": ", address(children[1]),
      ", \"tls\": ", address(children[2]), ", \"mtls\": ", address(children[3]),
      ", \"server_name\": \"localhost\", \"ca_file\": ", Quoted(absl::StrCat(pki, "/ca.pem")),
      ", \"client_cert\": ", Quoted(absl::StrCat(pki, "/client.pem")),
      ", \"client_key\": ", Quoted(absl::StrCat(pki, "/client.key.pem")),
      ", \"dns\": ", Quoted(dns->address()), ", \"https_port\": ", https->port(),
      ", \"smtp_port\": ", smtp->port(), ", \"policy_ca_file\": ", Quoted(policy_ca_file),
      ", \"healthy\": \"good.test\", \"no_txt\": \"no-txt.test\", \"fleet\": [",
      absl::StrJoin(fleet, ", "), "], \"slow\": [", absl::StrJoin(slow, ", "), "]}\n");
  fputs(line.c_str(), stdout);
  fflush(stdout);

  // Until stdin's EOF or a signal.
  if (pipe(stop_pipe) != 0) Die("pipe() failed");
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
  bool stop = false;
  while (!stop) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    if (fds[0].revents != 0) {
      char buffer[256];
      const ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
      stop = n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
    }
  }

  // The servers drain for their shutdown grace; a lab has nothing to keep.
  for (const Child& c : children) kill(c.pid, SIGTERM);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (const Child& c : children) {
    int status = 0;
    while (waitpid(c.pid, &status, WNOHANG) == 0) {
      if (absl::Now() > give_up) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  return 0;
}

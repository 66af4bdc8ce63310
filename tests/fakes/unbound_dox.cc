#include "tests/fakes/unbound_dox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {
namespace {

constexpr char kUnbound[] = "/usr/sbin/unbound";

// A port free on 127.0.0.1 for TCP and UDP right now (the kernel's pick).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = LoopbackAddress(0);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = LoopbackAddress(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnboundDox>> UnboundDox::Start(const Options& options) {
  if (access(kUnbound, X_OK) != 0) {
    return absl::UnavailableError("unbound is not installed (apt-get install unbound)");
  }
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/unbound_dox.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  chmod(dir.c_str(), 0755);
  if (auto s = WriteFile(dir + "/cert.pem", options.cert.FullChainPem()); !s.ok()) return s;
  if (auto s = WriteFile(dir + "/key.pem", options.cert.key_pem); !s.ok()) return s;

  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<UnboundDox> dox(new UnboundDox());
    dox->dir_ = dir;
    dox->dot_port_ = FreePort();
    dox->doh_port_ = FreePort();
    dox->dns_port_ = FreePort();
    std::ostringstream conf;
    conf << "server:\n"
         << "  verbosity: 1\n  num-threads: 1\n  username: \"\"\n  chroot: \"\"\n"
         << "  directory: \"" << dir << "\"\n  pidfile: \"" << dir << "/unbound.pid\"\n"
         << "  use-syslog: no\n  logfile: \"" << dir << "/unbound.log\"\n"
         << "  do-ip6: no\n  so-reuseport: no\n"
         << "  interface: 127.0.0.1@" << dox->dot_port_ << "\n"
         << "  interface: 127.0.0.1@" << dox->doh_port_ << "\n"
         << "  interface: 127.0.0.1@" << dox->dns_port_ << "\n"
         << "  tls-port: " << dox->dot_port_ << "\n  https-port: " << dox->doh_port_ << "\n"
         << "  http-endpoint: \"/dns-query\"\n"
         << "  tls-service-key: \"" << dir << "/key.pem\"\n"
         << "  tls-service-pem: \"" << dir << "/cert.pem\"\n"
         << "  access-control: 127.0.0.0/8 allow\n"
         << "  incoming-num-tcp: 100\n"
         << "  module-config: \"iterator\"\n"
         << "  local-zone: \"test.\" nodefault\n";
    for (const auto& zone : options.local_zones) {
      conf << "  local-zone: \"" << zone << "\" static\n";
    }
    for (const auto& data : options.local_data) conf << "  local-data: '" << data << "'\n";
    for (const auto& line : options.extra_server) conf << "  " << line << "\n";
    conf << "remote-control:\n  control-enable: no\n" << options.extra_config;
    const std::string conf_path = dir + "/unbound.conf";
    if (auto s = WriteFile(conf_path, conf.str()); !s.ok()) return s;

    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      execl(kUnbound, kUnbound, "-d", "-c", conf_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    dox->pid_ = pid;
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      if (Accepts(dox->dot_port_) && Accepts(dox->doh_port_) && Accepts(dox->dns_port_)) {
        return dox;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        dox->pid_ = -1;
        break;
      }
      usleep(20000);  // polling a child's start-up, not standing in for an event
    }
    last_log = dox->log();
    dox->dir_.clear();  // keep the directory for the next attempt
  }
  return absl::InternalError(absl::StrCat("unbound did not start: ", last_log));
}

std::string UnboundDox::log() const {
  std::ifstream in(dir_ + "/unbound.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

UnboundDox::~UnboundDox() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(20000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
}

}  // namespace mtasts::fakes

#include "tests/fakes/signed_zones.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace mtasts::fakes {
namespace {

constexpr char kNsd[] = "/usr/sbin/nsd";
constexpr char kKeygen[] = "/usr/bin/ldns-keygen";
constexpr char kSignzone[] = "/usr/bin/ldns-signzone";

// Runs `cmd` in `dir` through the shell (test-only: every argument is ours).
absl::StatusOr<std::string> Run(const std::string& dir, const std::string& cmd) {
  std::string full = absl::StrCat("cd '", dir, "' && ", cmd, " 2>&1");
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return absl::InternalError(absl::StrCat("popen failed: ", cmd));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0 && out.size() < (1 << 20)) out.append(buf, n);
  const int rc = pclose(p);
  if (rc != 0) return absl::InternalError(absl::StrCat("`", cmd, "` failed: ", out));
  return out;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A port free right now on `address` for UDP and TCP (nsd binds both).
int FreePort(const std::string& address) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    socklen_t len = sizeof(a);
    if (bind(u, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(u);
      continue;
    }
    int t = socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(t);
    close(u);
    if (tcp_free) return ntohs(a.sin_port);
  }
  return 0;
}

// True once a server on address:port answers a ". SOA" query.
bool Answers(const std::string& address, int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  // id 0x1234, no flags, one question: "." SOA IN.
  const unsigned char q[] = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1};
  sendto(s, q, sizeof(q), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  pollfd p{s, POLLIN, 0};
  bool ok = false;
  if (poll(&p, 1, 200) == 1) {
    unsigned char buf[512];
    ok = recv(s, buf, sizeof(buf), 0) >= 12 && buf[0] == 0x12 && buf[1] == 0x34;
  }
  close(s);
  return ok;
}

struct Zone {
  std::string name;  // "secure.test", "." for the root
  bool signed_zone = true;
  bool with_ds = true;
  std::string expiry_args;  // ldns-signzone -e/-i
  std::vector<std::string> records;
  std::string key_base;  // K<name>+013+<tag>
};

std::string Fqdn(const std::string& zone) { return zone == "." ? "." : zone + "."; }

std::string FileStem(const std::string& zone) { return zone == "." ? "root" : zone; }

std::vector<std::string> MailRecords(const std::string& zone, const std::string& tlsa) {
  const std::string o = Fqdn(zone);
  return {
      absl::StrCat(o, " 3600 IN MX 10 mx.", o),
      absl::StrCat("mx.", o, " 3600 IN A 127.0.0.1"),
      absl::StrCat("_mta-sts.", o, " 3600 IN TXT \"v=STSv1; id=", absl::StrReplaceAll(zone, {{".", ""}}), "1\""),
      absl::StrCat("mta-sts.", o, " 3600 IN A 127.0.0.1"),
      absl::StrCat("_25._tcp.mx.", o, " 3600 IN TLSA ", tlsa),
  };
}

}  // namespace

std::string SignedZones::forwarder() const { return absl::StrCat(address_, "@", port_); }

absl::StatusOr<std::unique_ptr<SignedZones>> SignedZones::Start(const Options& options) {
  for (const char* tool : {kNsd, kKeygen, kSignzone}) {
    if (access(tool, X_OK) != 0) {
      return absl::UnavailableError(absl::StrCat(
          tool, " is not installed (Debian packages nsd and ldnsutils; scripts/ensure_deps.sh)"));
    }
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, options.address.c_str(), &parsed) != 1 ||
      (ntohl(parsed.s_addr) >> 24) != 127) {
    return absl::InvalidArgumentError(
        absl::StrCat("SignedZones listens on 127/8 only, not \"", options.address, "\""));
  }
  auto zones = std::unique_ptr<SignedZones>(new SignedZones());
  zones->address_ = options.address;
  const std::string glue = absl::StrCat("ns.test. 3600 IN A ", options.address);
  const char* tmp = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/signed_zones.XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  zones->dir_ = templ;
  const std::string& dir = zones->dir_;

  // Children first: a parent needs their DS records before it is signed.
  std::vector<Zone> list;
  list.push_back({"secure.test", true, true, "", MailRecords("secure.test", options.tlsa_rdata)});
  list.push_back(
      {"insecure.test", false, false, "", MailRecords("insecure.test", options.tlsa_rdata)});
  list.push_back({"bogus.test", true, true, "", MailRecords("bogus.test", options.tlsa_rdata)});
  // RFC 4034 §3.1.5: signatures valid only in 2020: expired now.
  list.push_back({"expired.test", true, true, "-i 20200101000000 -e 20200201000000",
                  MailRecords("expired.test", options.tlsa_rdata)});
  list.push_back({"test", true, true, "", {glue}});
  list.push_back({".", true, true, "", {glue}});

  std::string nsd_zones;
  for (size_t i = 0; i < list.size(); ++i) {
    Zone& z = list[i];
    const std::string o = Fqdn(z.name);
    std::vector<std::string> rr = {
        absl::StrCat(o, " 3600 IN SOA ns.test. hostmaster.test. 1 3600 900 604800 300"),
        absl::StrCat(o, " 3600 IN NS ns.test."),
    };
    rr.insert(rr.end(), z.records.begin(), z.records.end());
    if (auto it = options.extra.find(z.name); it != options.extra.end()) {
      rr.insert(rr.end(), it->second.begin(), it->second.end());
    }
    // Delegations to the zones already built whose parent this is.
    for (size_t c = 0; c < i; ++c) {
      const Zone& child = list[c];
      const std::string parent =
          child.name.find('.') == std::string::npos ? "." : child.name.substr(child.name.find('.') + 1);
      if (parent != z.name) continue;
      rr.push_back(absl::StrCat(Fqdn(child.name), " 3600 IN NS ns.test."));
      if (child.with_ds) {
        auto ds = ReadFile(absl::StrCat(dir, "/", child.key_base, ".ds"));
        if (!ds.ok()) return ds.status();
        rr.push_back(std::string(absl::StripAsciiWhitespace(*ds)));
      }
    }
    const std::string file = absl::StrCat(FileStem(z.name), ".zone");
    if (auto s = WriteFile(absl::StrCat(dir, "/", file), absl::StrJoin(rr, "\n") + "\n"); !s.ok()) {
      return s;
    }
    std::string served = file;
    if (z.signed_zone) {
      auto key = Run(dir, absl::StrCat(kKeygen, " -a ECDSAP256SHA256 -k ", o));
      if (!key.ok()) return key.status();
      z.key_base = std::string(absl::StripAsciiWhitespace(*key));
      auto sign = Run(dir, absl::StrCat(kSignzone, " ", z.expiry_args, " -o ", o, " ", file, " ",
                                        z.key_base));
      if (!sign.ok()) return sign.status();
      served = file + ".signed";
      if (z.name == "bogus.test") {
        // Tampered after signing: the RRSIGs no longer match the data.
        auto text = ReadFile(absl::StrCat(dir, "/", served));
        if (!text.ok()) return text.status();
        std::string t = absl::StrReplaceAll(
            *text, {{"MX\t10 mx.bogus.test.", "MX\t20 mx.bogus.test."},
                    {"v=STSv1; id=bogustest1", "v=STSv1; id=bogustest2"}});
        if (t == *text) return absl::InternalError("bogus.test: nothing to tamper with");
        if (auto s = WriteFile(absl::StrCat(dir, "/", served), t); !s.ok()) return s;
      }
    }
    absl::StrAppend(&nsd_zones, "zone:\n  name: \"", o, "\"\n  zonefile: \"", served, "\"\n");
  }
  auto root_ds = ReadFile(absl::StrCat(dir, "/", list.back().key_base, ".ds"));
  if (!root_ds.ok()) return root_ds.status();
  zones->trust_anchor_file_ = absl::StrCat(dir, "/root.anchor");
  if (auto s = WriteFile(zones->trust_anchor_file_, *root_ds); !s.ok()) return s;

  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    zones->port_ = options.port > 0 ? options.port : FreePort(options.address);
    if (zones->port_ == 0) {
      return absl::InternalError(absl::StrCat("no free port on ", options.address));
    }
    const std::string conf = absl::StrCat(
        "server:\n  ip-address: ", options.address, "@", zones->port_, "\n  port: ", zones->port_,
        "\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"", dir,
        "\"\n  pidfile: \"", dir, "/nsd.pid\"\n  database: \"\"\n  xfrdfile: \"", dir,
        "/xfrd.state\"\n  zonelistfile: \"", dir, "/zone.list\"\n  logfile: \"", dir,
        "/nsd.log\"\n  server-count: 1\n  rrl-ratelimit: 0\n  verbosity: 1\n"
        "remote-control:\n  control-enable: no\n",
        nsd_zones);
    const std::string conf_path = absl::StrCat(dir, "/nsd.conf");
    if (auto s = WriteFile(conf_path, conf); !s.ok()) return s;
    pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      execl(kNsd, kNsd, "-d", "-c", conf_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    zones->nsd_pid_ = pid;
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      if (Answers(options.address, zones->port_)) return zones;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        zones->nsd_pid_ = -1;
        break;
      }
    }
    if (zones->nsd_pid_ > 0) {
      kill(zones->nsd_pid_, SIGTERM);
      waitpid(zones->nsd_pid_, nullptr, 0);
      zones->nsd_pid_ = -1;
    }
    last_error = ReadFile(absl::StrCat(dir, "/nsd.log")).value_or("(no log)");
  }
  return absl::InternalError(absl::StrCat("nsd did not start: ", last_error));
}

SignedZones::~SignedZones() {
  if (nsd_pid_ > 0) {
    kill(nsd_pid_, SIGTERM);
    // Bounded: nsd exits on SIGTERM within a second; then it is killed.
    for (int i = 0; i < 50; ++i) {
      if (waitpid(nsd_pid_, nullptr, WNOHANG) == nsd_pid_) {
        nsd_pid_ = -1;
        break;
      }
      usleep(20000);
    }
    if (nsd_pid_ > 0) {
      kill(nsd_pid_, SIGKILL);
      waitpid(nsd_pid_, nullptr, 0);
    }
  }
  if (!dir_.empty() && dir_.find("/signed_zones.") != std::string::npos) {
    Run("/", absl::StrCat("rm -rf '", dir_, "'")).IgnoreError();
  }
}

}  // namespace mtasts::fakes

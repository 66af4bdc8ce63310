// mtasts_server: the MTA-STS checking service.
//
//   bazel run //server:mtasts_server -- --listen=127.0.0.1:50051
//
// SIGINT/SIGTERM: drain within the shutdown grace (config
// limits.shutdown_grace, default 10s): fleet streams stop reading, health
// turns NOT_SERVING, the streams answer what they admitted and end
// UNAVAILABLE "server draining", then the server stops accepting and cancel what still runs at the end of the grace
// (docs/design.md §3.8).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_transport.h"
#include "server/server.h"
#include "server/server_config.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address: ipv4:port, [ipv6]:port or localhost:port, port 1-65535; "
          "port 0 binds a free port the kernel picks (the \"serving\" line shows it)");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus metrics over HTTP at /metrics: ipv4:port or localhost:port, port 0 for a "
          "free one (the \"metrics\" line shows it); empty (default): off");
ABSL_FLAG(std::string, dns_servers, "",
          "Comma-separated DNS servers. udp: ip[:port] or [ipv6]:port; empty: the system "
          "resolver configuration (/etc/resolv.conf). tls: ip[:port][#name] (port 853, the "
          "certificate verified for name, or for ip). https: https://ip[:port]/path or "
          "https://name[:port]/path#ip");
ABSL_FLAG(std::string, dns_transport, "udp",
          "How the checker reaches its resolvers: udp (classic DNS), tls (DNS over TLS, "
          "RFC 7858) or https (DNS over HTTPS, RFC 8484); tls and https keep one verified "
          "connection (--ca_file) that all lookups share, DNSSEC queries included");
ABSL_FLAG(int, max_inflight, 0, "Domains in flight in the whole server (0: config or 2000)");
ABSL_FLAG(int, fleet_max_inflight, 0, "Domains in flight per fleet stream (0: config or 100)");
ABSL_FLAG(absl::Duration, check_timeout, absl::ZeroDuration(),
          "Overall time per domain, e.g. 90s (0: config or 75s); keep it above "
          "--policy_fetch_timeout, or slow policy hosts are cut short");
ABSL_FLAG(absl::Duration, policy_fetch_timeout, absl::ZeroDuration(),
          "Longest policy fetch at one address, connect to complete response (0: config or "
          "60s, RFC 8461 section 3.3's suggestion)");
ABSL_FLAG(absl::Duration, policy_fetch_slow_after, absl::ZeroDuration(),
          "A policy that arrives later than this is reported as POLICY_FETCH_SLOW (0: config "
          "or 5s)");
ABSL_FLAG(absl::Duration, smtp_greeting_slow_after, absl::ZeroDuration(),
          "An MX greeting later than this after the connect is reported as "
          "MX_TLS_GREETING_SLOW (0: config or 10s)");
ABSL_FLAG(std::string, config, "",
          "Text-format mtasts.v1.ServerConfig with scoring weights and limits");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain for TLS on the gRPC port, leaf first (checked at start-up)");
ABSL_FLAG(std::string, tls_key, "",
          "Unencrypted PEM private key of the first certificate in --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; when set, clients must present a certificate it signed (mTLS)");
ABSL_FLAG(std::string, allow_targets, "",
          "Comma-separated CIDRs the address guard lets checks connect to even though they "
          "are not public (for labs and tests); empty by default");
ABSL_FLAG(std::string, ca_file, "",
          "PEM trust store for the checks' TLS validation; empty: the system's");
ABSL_FLAG(std::string, ca_intermediates_file, "",
          "PEM bundle of intermediate CA certificates (never trusted), so a server that "
          "leaves out its intermediate is reported as an incomplete chain, not an unknown "
          "issuer");
ABSL_FLAG(bool, reflection, true,
          "Serve gRPC server reflection (grpcurl list/describe without a .proto); false for "
          "locked-down deployments, whose clients then use the descriptor set built by "
          "//proto/mtasts/v1:mtasts_descriptor_set (grpcurl -protoset)");
ABSL_FLAG(int, reactor_threads, 2, "Reactor threads driving all network I/O");
ABSL_FLAG(int, https_port, 443,
          "Port the policy is fetched from; anything but 443 is for tests only");
ABSL_FLAG(int, smtp_port, 25, "Port MX hosts are probed on; anything but 25 is for tests only");
ABSL_FLAG(std::string, ehlo_name, "mtasts-checker.invalid",
          "Host name sent in EHLO when probing MX hosts");
ABSL_FLAG(absl::Duration, mx_probe_cache_ttl, absl::Minutes(5),
          "How long an MX host's STARTTLS probe result is reused across checks (0: not cached)");
ABSL_FLAG(std::string, trust_anchor_file, "",
          "DNSSEC trust anchor file (DS or DNSKEY records); empty: Debian's root key "
          "(/usr/share/dns/root.key)");
ABSL_FLAG(bool, check_config, false,
          "Check the flags, the --config file and the files they name as a start would, "
          "print \"config ok\" and exit 0 (or the error and exit 2), without listening");
ABSL_FLAG(std::string, dnssec_forwarder, "",
          "ip[:port] of a resolver to send DNSSEC queries through (still validated here); "
          "empty: full recursion from the root");

namespace {

int signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char byte = 1;
  // write() is async-signal-safe; the main thread waits on the pipe.
  [[maybe_unused]] ssize_t n = write(signal_pipe[1], &byte, 1);
}

int Fail(const std::string& message) {
  fprintf(stderr, "mtasts_server: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "MTA-STS checking service (gRPC: mtasts.v1.MtaStsChecker).\n"
      "  mtasts_server --listen=127.0.0.1:50051 [--dns_servers=127.0.0.1:53]");
  absl::ParseCommandLine(argc, argv);

  mtasts::server::ServerSettings settings;
  settings.listen = absl::GetFlag(FLAGS_listen);
  settings.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  settings.reactor_threads = absl::GetFlag(FLAGS_reactor_threads);
  settings.reflection = absl::GetFlag(FLAGS_reflection);
  if (settings.reactor_threads < 1 || settings.reactor_threads > 64) {
    return Fail("--reactor_threads must be 1-64");
  }
  auto transport = mtasts::net::ParseDnsTransportKind(absl::GetFlag(FLAGS_dns_transport));
  if (!transport.ok()) {
    return Fail(absl::StrCat("--dns_transport: ", transport.status().message()));
  }
  settings.dns_transport = *transport;
  if (*transport == mtasts::net::DnsTransportKind::kUdp) {
    auto servers = mtasts::net::ParseDnsServers(absl::GetFlag(FLAGS_dns_servers));
    if (!servers.ok()) return Fail(absl::StrCat("--dns_servers: ", servers.status().message()));
    settings.dns_servers = *servers;
  } else {
    auto endpoints =
        mtasts::net::ParseDnsStreamEndpoints(*transport, absl::GetFlag(FLAGS_dns_servers));
    if (!endpoints.ok()) {
      return Fail(absl::StrCat("--dns_servers: ", endpoints.status().message()));
    }
    settings.dns_stream_endpoints = *endpoints;
  }

  if (!absl::GetFlag(FLAGS_config).empty()) {
    auto config = mtasts::server::LoadServerConfig(absl::GetFlag(FLAGS_config));
    if (!config.ok()) return Fail(std::string(config.status().message()));
    settings.config = *config;
  }
  // Flags win over the config file.
  mtasts::v1::Limits* limits = settings.config.mutable_limits();
  if (int v = absl::GetFlag(FLAGS_max_inflight); v != 0) {
    if (v < 0) return Fail("--max_inflight must be positive");
    limits->set_max_inflight(v);
  }
  if (int v = absl::GetFlag(FLAGS_fleet_max_inflight); v != 0) {
    if (v < 0) return Fail("--fleet_max_inflight must be positive");
    limits->set_fleet_max_inflight(v);
  }
  if (absl::Duration d = absl::GetFlag(FLAGS_check_timeout); d != absl::ZeroDuration()) {
    if (d < absl::ZeroDuration()) return Fail("--check_timeout must be positive");
    *limits->mutable_check_timeout() =
        google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
  }
  for (const auto& [flag, field, name] :
       {std::tuple{&FLAGS_policy_fetch_timeout, limits->mutable_policy_fetch_timeout(),
                   "--policy_fetch_timeout"},
        std::tuple{&FLAGS_policy_fetch_slow_after, limits->mutable_policy_fetch_slow_after(),
                   "--policy_fetch_slow_after"},
        std::tuple{&FLAGS_smtp_greeting_slow_after, limits->mutable_smtp_greeting_slow_after(),
                   "--smtp_greeting_slow_after"}}) {
    absl::Duration d = absl::GetFlag(*flag);
    if (d == absl::ZeroDuration()) continue;
    if (d < absl::ZeroDuration()) return Fail(absl::StrCat(name, " must be positive"));
    *field = google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
  }
  {
    const auto effective = mtasts::server::ResolveLimits(*limits);
    if (effective.check_timeout < effective.policy_fetch.total_timeout) {
      fprintf(stderr,
              "mtasts_server: warning: the time per domain (%s) is shorter than the policy "
              "fetch timeout (%s); a slow policy host is reported as cut short\n",
              absl::FormatDuration(effective.check_timeout).c_str(),
              absl::FormatDuration(effective.policy_fetch.total_timeout).c_str());
    }
  }
  settings.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  settings.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  settings.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);

  // Checked (and applied) by the engine: a bad CIDR or trust store is a
  // start-up error naming the flag.
  settings.allow_targets = absl::GetFlag(FLAGS_allow_targets);
  settings.ca_file = absl::GetFlag(FLAGS_ca_file);
  settings.ca_intermediates_file = absl::GetFlag(FLAGS_ca_intermediates_file);
  for (auto [flag, port, name] :
       {std::tuple{absl::GetFlag(FLAGS_https_port), &settings.probe.https_port, "--https_port"},
        std::tuple{absl::GetFlag(FLAGS_smtp_port), &settings.probe.smtp_port, "--smtp_port"}}) {
    if (flag < 1 || flag > 65535) return Fail(absl::StrCat(name, " must be 1-65535"));
    *port = static_cast<uint16_t>(flag);
  }
  settings.probe.ehlo_name = absl::GetFlag(FLAGS_ehlo_name);
  if (settings.probe.ehlo_name.empty() ||
      settings.probe.ehlo_name.find_first_of(" \r\n\t") != std::string::npos) {
    return Fail("--ehlo_name must be a host name");
  }
  settings.probe.mx_probe_cache_ttl = absl::GetFlag(FLAGS_mx_probe_cache_ttl);
  if (settings.probe.mx_probe_cache_ttl < absl::ZeroDuration()) {
    return Fail("--mx_probe_cache_ttl must not be negative");
  }
  settings.probe.trust_anchor_file = absl::GetFlag(FLAGS_trust_anchor_file);
  settings.probe.dnssec_forwarder = absl::GetFlag(FLAGS_dnssec_forwarder);
  if (absl::GetFlag(FLAGS_check_config)) {
    // A dry run for deployments (a ConfigMap checked before it is rolled
    // out): the same checks as a real start, without listening.
    if (absl::Status s = mtasts::server::MtaStsServer::Check(settings); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    printf("config ok\n");
    return 0;
  }

  // Thousands of checks in flight hold thousands of sockets.
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  signal(SIGPIPE, SIG_IGN);
  if (pipe(signal_pipe) != 0) return Fail("pipe() failed");
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  auto server = mtasts::server::MtaStsServer::Start(settings);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  // Before "serving": whoever waits for that line knows both ports then.
  if ((*server)->metrics_port() != 0) {
    fprintf(stderr, "{\"event\":\"metrics\",\"listen\":\"%s\",\"port\":%d}\n",
            settings.metrics_listen.c_str(), (*server)->metrics_port());
  }
  fprintf(stderr,
          "{\"event\":\"serving\",\"listen\":\"%s\",\"port\":%d,\"reflection\":%s,"
          "\"dns_transport\":\"%s\",\"dns_servers\":\"%s\"}\n",
          settings.listen.c_str(), (*server)->port(), settings.reflection ? "true" : "false",
          mtasts::net::DnsTransportName(settings.dns_transport),
          absl::GetFlag(FLAGS_dns_servers).empty() ? "system"
                                                   : absl::GetFlag(FLAGS_dns_servers).c_str());

  char byte;
  while (read(signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  const absl::Duration grace =
      mtasts::server::ResolveLimits(settings.config.limits()).shutdown_grace;
  fprintf(stderr, "{\"event\":\"shutting_down\",\"grace_ms\":%lld}\n",
          static_cast<long long>(absl::ToInt64Milliseconds(grace)));
  (*server)->Shutdown(grace);
  server->reset();
  fprintf(stderr, "{\"event\":\"stopped\"}\n");
  return 0;
}

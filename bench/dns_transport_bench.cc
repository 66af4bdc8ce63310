// The price of the encrypted resolver transports, as ratios against a peer
// in the same run: the same lookups, the same unbound, the same c-ares
// sessions, once over classic UDP straight to unbound and once each through
// the forwarder over DoT and DoH. Also counts the connections unbound saw.
//
//   bazel run -c opt //bench:dns_transport_bench -- --lookups=20000 --inflight=256
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_transport.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/counting_proxy.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/unbound_dox.h"

ABSL_FLAG(int, lookups, 20000, "TXT lookups per transport");
ABSL_FLAG(int, inflight, 256, "lookups in flight at once (the server's dns_max_outstanding)");
ABSL_FLAG(int, names, 1000, "distinct names (answered from unbound's local data)");

namespace mtasts {
namespace {

struct Run {
  absl::Duration wall;
  int answered = 0;
};

// `total` lookups, `inflight` at a time, over one session on `reactor`.
Run Lookups(net::Reactor* reactor, const net::DnsServer& server, int total, int inflight,
            int names) {
  net::DnsOptions o;
  o.servers = {server};
  o.attempt_timeout = absl::Seconds(2);
  std::unique_ptr<net::DnsSession> session;
  net::RunSync(reactor, [&] { session = *net::DnsSession::Create(reactor, o); });
  Run run;
  int started = 0, finished = 0;
  absl::Notification done;
  std::function<void()> next = [&] {
    const int i = started++;
    session->Query(absl::StrCat("n", i % names, ".example.test"), net::RrType::kTxt,
                   [&](net::DnsResult r) {
                     if (r.outcome == net::DnsOutcome::kAnswer) ++run.answered;
                     if (++finished == total) done.Notify();
                     if (started < total) next();
                   });
  };
  const absl::Time t0 = absl::Now();
  net::RunSync(reactor, [&] {
    for (int i = 0; i < inflight && started < total; ++i) next();
  });
  done.WaitForNotification();
  run.wall = absl::Now() - t0;
  net::RunSync(reactor, [&] { session.reset(); });
  return run;
}

int Main() {
  const int lookups = absl::GetFlag(FLAGS_lookups);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const int names = absl::GetFlag(FLAGS_names);
  auto root = *fakes::TestCa::CreateRoot("bench root");
  fakes::CertSpec spec = fakes::CertSpec::ForHosts({"dns.test"});
  auto cert = *root->Issue(spec);
  const std::string ca_file = *root->WriteCertFile();
  fakes::UnboundDox::Options uo;
  uo.cert = cert;
  for (int i = 0; i < names; ++i) {
    uo.local_data.push_back(absl::StrCat("n", i, ".example.test. 300 IN TXT \"v=STSv1; id=", i, "\""));
  }
  auto dox = fakes::UnboundDox::Start(uo);
  if (!dox.ok()) {
    fprintf(stderr, "%s\n", std::string(dox.status().message()).c_str());
    return 1;
  }
  auto reactor = *net::Reactor::Create("bench");
  // unbound also answers plain UDP on its DoT port: the peer.
  const Run udp = Lookups(reactor.get(), {"127.0.0.1", (*dox)->dot_port()}, lookups, inflight,
                          names);
  printf("transport  lookups  answered  wall_ms  per_lookup_us  vs_udp  connections\n");
  printf("udp        %7d  %8d  %7lld  %13.1f  %6.2f  -\n", lookups, udp.answered,
         static_cast<long long>(absl::ToInt64Milliseconds(udp.wall)),
         absl::ToDoubleMicroseconds(udp.wall) / lookups, 1.0);
  for (auto kind : {net::DnsTransportKind::kTls, net::DnsTransportKind::kHttps}) {
    fakes::CountingProxy proxy(kind == net::DnsTransportKind::kTls ? (*dox)->dot_port()
                                                                   : (*dox)->doh_port());
    net::DnsForwarderOptions fo;
    fo.kind = kind;
    fo.endpoints = *net::ParseDnsStreamEndpoints(
        kind, kind == net::DnsTransportKind::kTls
                  ? absl::StrCat("127.0.0.1:", proxy.port(), "#dns.test")
                  : absl::StrCat("https://dns.test:", proxy.port(), "/dns-query#127.0.0.1"));
    fo.ca_file = ca_file;
    auto fwd = *net::DnsForwarder::Start(fo);
    const Run r = Lookups(reactor.get(), fwd->local(), lookups, inflight, names);
    printf("%-9s  %7d  %8d  %7lld  %13.1f  %6.2f  %d\n", net::DnsTransportName(kind), lookups,
           r.answered, static_cast<long long>(absl::ToInt64Milliseconds(r.wall)),
           absl::ToDoubleMicroseconds(r.wall) / lookups,
           absl::ToDoubleSeconds(r.wall) / absl::ToDoubleSeconds(udp.wall), proxy.accepted());
  }
  return 0;
}

}  // namespace
}  // namespace mtasts

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mtasts::Main();
}

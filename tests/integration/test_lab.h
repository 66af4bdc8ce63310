// TestLab: the real server on loopback, resolving through a scripted fake DNS
// server, with a real gRPC channel to it. Every integration test starts here.
//
//   auto lab = TestLab::Start({});
//   lab->dns().Txt("_mta-sts.example.com", {{"v=STSv1; id=1"}});
//   absl::StatusOr<v1::DomainReport> report = lab->Check("example.com");
#ifndef MTASTS_TESTS_INTEGRATION_TEST_LAB_H_
#define MTASTS_TESTS_INTEGRATION_TEST_LAB_H_

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "server/server.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/reflection_client.h"

namespace mtasts::testing {

using fakes::DnsRcode;
using fakes::DnsType;

// Zone scripting in the terms tests think in, over fakes::FakeDnsServer.
class LabDns {
 public:
  explicit LabDns(std::unique_ptr<fakes::FakeDnsServer> server) : server_(std::move(server)) {}

  void Mx(const std::string& name, std::vector<std::pair<int, std::string>> hosts);
  void A(const std::string& name, std::vector<std::string> addresses);
  void Aaaa(const std::string& name, std::vector<std::string> addresses);
  // Each inner vector is one TXT record's character-strings.
  void Txt(const std::string& name, std::vector<std::vector<std::string>> records);
  void Cname(const std::string& name, const std::string& target);
  void Rcode(const std::string& name, DnsRcode rcode, DnsType type = DnsType::kTxt);
  void NoData(const std::string& name, DnsType type = DnsType::kTxt);
  void Drop(const std::string& name, DnsType type = DnsType::kTxt);
  // The records already scripted for (name, type), answered late / TC over UDP.
  void Delay(const std::string& name, absl::Duration delay, DnsType type = DnsType::kTxt);
  void Truncate(const std::string& name, DnsType type = DnsType::kTxt);

  int64_t QueriesFor(const std::string& name) const { return server_->queries_for(name); }
  int64_t TcpQueries() const { return server_->tcp_queries(); }
  // Waits until `name` has been asked at least n times; fails the test on timeout.
  void WaitForQueries(const std::string& name, int64_t n, absl::Duration timeout) const;

  fakes::FakeDnsServer& server() { return *server_; }

 private:
  void Set(const std::string& name, DnsType type, std::vector<fakes::DnsRecord> records);

  std::unique_ptr<fakes::FakeDnsServer> server_;
  absl::Mutex mu_;
  // What Set scripted per (lower-case name, type), for Delay and Truncate.
  absl::flat_hash_map<std::pair<std::string, uint16_t>, std::vector<fakes::DnsRecord>> records_
      ABSL_GUARDED_BY(mu_);
};

struct LabOptions {
  int max_inflight = 0;         // 0: server default
  int fleet_max_inflight = 0;   // 0: server default
  absl::Duration check_timeout = absl::Seconds(10);
  // The resolver's per-attempt timeout and tries: short, so timeouts are quick.
  absl::Duration dns_timeout = absl::Milliseconds(200);
  int dns_tries = 3;
  // limits.dns_max_outstanding (0: the server's default).
  int dns_max_outstanding = 0;
  // The address guard's allowlist (--allow_targets); "" to see its refusals.
  std::string allow_targets = "127.0.0.0/8, ::1";
  // The lab's policy web server: where it listens (its port is the server's
  // --https_port) and the newest TLS version it speaks.
  std::string https_bind_address = "127.0.0.1";
  fakes::FakeTlsVersion https_max_version = fakes::FakeTlsVersion::kDefault;
  // The lab's CA also has an intermediate, whose certificate the server
  // knows (--ca_intermediates_file): leaves it issues without their chain
  // are then reported as an incomplete chain.
  bool known_intermediate = false;
  // Policy fetch timeouts (config limits), short so timeout tests are quick.
  // Zero: left unset, so each phase may use the whole policy_fetch_timeout.
  absl::Duration policy_phase_timeout = absl::Seconds(1);
  absl::Duration policy_response_timeout = absl::Seconds(2);
  // limits.policy_fetch_timeout and policy_fetch_slow_after; zero: the
  // server's defaults (60 s, 5 s).
  absl::Duration policy_fetch_timeout = absl::ZeroDuration();
  absl::Duration policy_fetch_slow_after = absl::ZeroDuration();
  // DNSSEC validation (the dnssec check): the server's --trust_anchor_file
  // and --dnssec_forwarder ("" = Debian's root key, full recursion).
  std::string trust_anchor_file;
  std::string dnssec_forwarder;
  // The server's stub resolver (c-ares) asks 127.0.0.1 at this port instead
  // of the lab's fake DNS server (0: the fake), e.g. a real nsd.
  int dns_server_port = 0;
  // MX STARTTLS probes (mx_tls): the server's --smtp_port (0: leave 25; the
  // test's FakeSmtpServer port otherwise), each phase's timeout (short, so
  // timeout tests are quick) and how long results are reused.
  int smtp_port = 0;
  absl::Duration smtp_phase_timeout = absl::Seconds(1);
  // limits.smtp_greeting_slow_after; zero: the server's default (10 s).
  absl::Duration smtp_greeting_slow_after = absl::ZeroDuration();
  absl::Duration mx_probe_cache_ttl = absl::Minutes(5);
  // The server's checks (unset: the built-in registry) and configured points
  // per check name (ServerConfig.weights).
  std::function<std::vector<std::unique_ptr<checks::Check>>()> make_checks;
  std::map<std::string, int> weights;
  // The server's call log (not owned; must outlive the lab); null: off.
  FILE* call_log = nullptr;
  // The server's --metrics_listen ("127.0.0.1:0": on, a free port); "": off.
  std::string metrics_listen;
};

// The real server with TLS on its gRPC port, from the test PKI in
// clients/cli/testdata (//clients/cli:test_pki in the test's data):
// server.pem, and client certificates from ca.pem required when
// `require_client_cert`. It resolves through a fake DNS server of its own.
struct TlsServer {
  std::unique_ptr<fakes::FakeDnsServer> dns;
  std::unique_ptr<server::MtaStsServer> server;
};
absl::StatusOr<TlsServer> StartTlsServer(bool require_client_cert);

// --- Requests as bytes, as a client in another language may send them (the
// C++ API will not make a proto3 string that is not UTF-8 without a fuss).
// A length-delimited field: tag, length, `value`.
std::string WireField(int number, const std::string& value);
// A message's bytes as a ByteBuffer, and back.
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);
std::string FromByteBuffer(const grpc::ByteBuffer& buffer);

// Reading reports in tests.
// The result of check `name` (an empty result, and a test failure, if absent).
const v1::CheckResult& ResultOf(const v1::DomainReport& report, const std::string& name);
// The first finding with `code`, or null.
const v1::Finding* FindingOf(const v1::CheckResult& result, v1::FindingCode code);
// Finding codes in report order (duplicates kept), or as a set.
std::vector<v1::FindingCode> CodeList(const v1::CheckResult& result);
std::set<v1::FindingCode> CodeSet(const v1::CheckResult& result);
std::set<v1::FindingCode> DomainCodeSet(const v1::DomainReport& report);

// Waits until `condition` holds (checked every few milliseconds). On timeout
// fails the test naming `what` and returns false. For events tests cannot be
// called back on: a fake's counter, the server's in-flight count.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               const std::string& what);

class TestLab {
 public:
  static std::unique_ptr<TestLab> Start(const LabOptions& options);
  ~TestLab();

  LabDns& dns() { return *dns_; }
  server::MtaStsServer& server() { return *server_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  v1::MtaStsChecker::Stub& stub() { return *stub_; }

  // CheckDomain through the channel; the call's error as an absl::Status.
  absl::StatusOr<v1::DomainReport> Check(const std::string& domain,
                                         const v1::CheckOptions& options = {},
                                         absl::Duration deadline = absl::Seconds(30));
  // CheckDomain with `request` as the request's bytes; the response's bytes
  // in *response.
  grpc::Status RawCheckDomain(const std::string& request, std::string* response,
                              absl::Duration deadline = absl::Seconds(30));
  // StreamFleet writing and reading bytes (serialized FleetRequest and
  // FleetEvent messages).
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> RawStreamFleet(
      grpc::ClientContext* context);
  // "SERVING", "NOT_SERVING", ... or the call's error code name.
  std::string HealthStatus(const std::string& service);

  // Returns once the server's resolver has taken a dropped lookup through
  // all its tries (LabOptions::dns_tries attempts, dns_timeout apart), on a
  // name of its own: by then any retry the resolver had already scheduled
  // has reached the fake DNS server. Tests that assert "no more queries"
  // wait with this instead of a guessed sleep.
  void WaitOutDnsRetries();

  // --- The policy web: one FakeHttpsServer for every mta-sts.<domain>,
  // answering by Host header, with certificates from the lab's CA (the
  // server's --ca_file) chosen by SNI.
  fakes::FakeHttpsServer& https() { return *https_; }
  // The lab's root CA: issue special certificates from it.
  const fakes::TestCa& ca() const { return *ca_; }
  // Only with LabOptions::known_intermediate.
  const fakes::TestCa& intermediate() const { return *intermediate_; }
  // mta-sts.<domain> answers `response` for the policy path (other paths:
  // 404) with `cert` (default: a valid certificate for mta-sts.<domain>).
  // Does not touch DNS.
  void ServePolicy(const std::string& domain, fakes::FakeHttpResponse response,
                   std::optional<fakes::TestCert> cert = std::nullopt);
  // The usual case: mta-sts.<domain> resolves to the web server's address
  // and serves `body` as "text/plain; charset=utf-8".
  void PublishPolicy(const std::string& domain, const std::string& body);

 private:
  LabOptions options_;
  int retry_clocks_ = 0;  // names used by WaitOutDnsRetries
  std::unique_ptr<LabDns> dns_;
  std::unique_ptr<fakes::TestCa> ca_;
  std::unique_ptr<fakes::TestCa> intermediate_;
  std::unique_ptr<fakes::FakeHttpsServer> https_;
  absl::Mutex policy_mu_;
  // By lower-case host name.
  absl::flat_hash_map<std::string, fakes::FakeHttpResponse> policies_
      ABSL_GUARDED_BY(policy_mu_);
  std::string https_address_;
  std::unique_ptr<server::MtaStsServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MtaStsChecker::Stub> stub_;
};

}  // namespace mtasts::testing

#endif  // MTASTS_TESTS_INTEGRATION_TEST_LAB_H_

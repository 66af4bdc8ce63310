// TestLab: the real server on loopback, resolving through a scripted fake DNS
// server, with a real gRPC channel to it. Every integration test starts here.
//
//   auto lab = TestLab::Start({});
//   lab->dns().Txt("_mta-sts.example.com", {{"v=STSv1; id=1"}});
//   absl::StatusOr<v1::DomainReport> report = lab->Check("example.com");
#ifndef MTASTS_TESTS_INTEGRATION_TEST_LAB_H_
#define MTASTS_TESTS_INTEGRATION_TEST_LAB_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "server/server.h"
#include "tests/fakes/fake_dns_server.h"
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
  absl::flat_hash_map<std::pair<std::string, uint16_t>, std::vector<fakes::DnsRecord>> records_;
};

struct LabOptions {
  int max_inflight = 0;         // 0: server default
  int fleet_max_inflight = 0;   // 0: server default
  absl::Duration check_timeout = absl::Seconds(10);
  // The resolver's per-attempt timeout and tries: short, so timeouts are quick.
  absl::Duration dns_timeout = absl::Milliseconds(200);
  int dns_tries = 3;
};

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
  // "SERVING", "NOT_SERVING", ... or the call's error code name.
  std::string HealthStatus(const std::string& service);

 private:
  std::unique_ptr<LabDns> dns_;
  std::unique_ptr<server::MtaStsServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MtaStsChecker::Stub> stub_;
};

}  // namespace mtasts::testing

#endif  // MTASTS_TESTS_INTEGRATION_TEST_LAB_H_

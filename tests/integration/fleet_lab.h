// The fleet of the StreamFleet integration tests (fleet_*_test.cc): kDomains
// domains answered by the fake DNS server, a lab whose streams hold at most
// kLimit of them in flight, and a stream run to its end.
#ifndef MTASTS_TESTS_INTEGRATION_FLEET_LAB_H_
#define MTASTS_TESTS_INTEGRATION_FLEET_LAB_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {

constexpr int kDomains = 2000;
constexpr int kLimit = 25;

std::string FleetDomain(int i);

// Index of a fleet domain in a query name ("_mta-sts.d0042.fleet.example" -> 42).
int DomainIndex(const std::string& name);

// Answers every fleet domain. Only the _mta-sts TXT answer is late (a random
// 0-40 ms per domain), and MX/TLS-RPT answers are immediate, so each query
// outstanding at the fake is exactly one domain in flight in the server.
fakes::FakeDnsServer::Handler FleetZone(int seed);

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = TestLab::Start(LabOptions{.fleet_max_inflight = kLimit});
    lab_->dns().server().SetHandler(FleetZone(7));
  }
  std::unique_ptr<TestLab> lab_;
};

// What one stream got back.
struct StreamOutcome {
  std::set<std::string> reported;  // tags
  std::vector<v1::FleetError> errors;
  v1::FleetSummary summary;
  grpc::Status status;
};

// Sends `entries` fleet domains from `first` on one stream and reads it to
// the end.
StreamOutcome RunStream(TestLab& lab, int first, int entries);

}  // namespace mtasts::testing

#endif  // MTASTS_TESTS_INTEGRATION_FLEET_LAB_H_

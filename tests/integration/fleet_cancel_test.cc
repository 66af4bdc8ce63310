// Cancelling a fleet stream stops its outstanding DNS lookups.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::DnsQuery;
using fakes::DnsReply;

TEST_F(FleetTest, CancellingTheStreamStopsOutstandingLookups) {
  // Nothing answers _mta-sts: every domain hangs until its DNS retries run out.
  lab_->dns().server().SetHandler([](const DnsQuery& q) {
    if (absl::StartsWith(q.name, "_mta-sts.")) return DnsReply::Drop();
    return DnsReply::NoData();
  });
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  for (int i = 0; i < 200; ++i) {
    v1::FleetRequest request;
    request.set_domain(FleetDomain(i));
    if (!stream->Write(request)) break;
    if (lab_->dns().server().dropped() >= kLimit) break;
  }
  // Cancel while the fleet limit's worth of lookups hang at the DNS server.
  struct FleetQueries {
    int64_t total = 0;
    std::map<std::string, int> mta_sts;  // _mta-sts name -> times asked
    int MostTries() const {
      int most = 0;
      for (const auto& [name, n] : mta_sts) most = std::max(most, n);
      return most;
    }
  };
  auto fleet_queries = [&] {
    FleetQueries f;
    for (const DnsQuery& q : lab_->dns().server().queries()) {
      if (DomainIndex(q.name) < 0) continue;
      ++f.total;
      if (absl::StartsWith(q.name, "_mta-sts.")) ++f.mta_sts[q.name];
    }
    return f;
  };
  WaitUntil([&] { return fleet_queries().mta_sts.size() >= static_cast<size_t>(kLimit); },
            absl::Seconds(10), "a lookup of every domain in flight");
  context.TryCancel();
  v1::FleetEvent event;
  while (stream->Read(&event)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Every run calls back and frees its admission slot...
  WaitUntil([&] { return lab_->server().service().InFlight() == 0; }, absl::Seconds(10),
            "the cancelled runs to release their slots");
  // ...without any lookup having run through its tries (the resolver would
  // retry every 200 ms, 3 tries)...
  const FleetQueries after_cancel = fleet_queries();
  EXPECT_LT(after_cancel.MostTries(), 3) << "a lookup was not stopped by the cancel";
  // ...and the DNS server hears nothing more of the fleet, not even while
  // another lookup goes through all its retries.
  lab_->WaitOutDnsRetries();
  EXPECT_EQ(fleet_queries().total, after_cancel.total);
  EXPECT_EQ(lab_->server().service().InFlight(), 0);
}

}  // namespace
}  // namespace mtasts::testing

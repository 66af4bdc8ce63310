#include "tests/integration/fleet_lab.h"

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace mtasts::testing {

using fakes::DnsQuery;
using fakes::DnsRecord;
using fakes::DnsReply;

std::string FleetDomain(int i) { return absl::StrFormat("d%04d.fleet.example", i); }

int DomainIndex(const std::string& name) {
  const size_t at = name.find(".fleet.example");
  if (at == std::string::npos || at < 5) return -1;
  int index;
  return absl::SimpleAtoi(name.substr(at - 4, 4), &index) ? index : -1;
}

fakes::FakeDnsServer::Handler FleetZone(int seed) {
  auto delays = std::make_shared<std::vector<absl::Duration>>();
  absl::BitGen gen(std::seed_seq{seed});
  for (int i = 0; i < kDomains; ++i) {
    delays->push_back(absl::Milliseconds(absl::Uniform(gen, 0, 40)));
  }
  return [delays](const DnsQuery& q) -> DnsReply {
    // The TLS-RPT mailbox's domain: no MX, an address (implicit MX), so the
    // tls_rpt check finds it reachable (one check shared by every domain).
    if (q.name == "fleet.example") {
      return q.type == static_cast<uint16_t>(fakes::DnsType::kA)
                 ? DnsReply::Records({DnsRecord::A("192.0.2.25")})
                 : DnsReply::NoData();
    }
    const int index = DomainIndex(q.name);
    if (index < 0) return DnsReply::NxDomain();
    if (q.type == static_cast<uint16_t>(fakes::DnsType::kTxt) &&
        absl::StartsWith(q.name, "_mta-sts.")) {
      return DnsReply::Records({DnsRecord::Txt({absl::StrCat("v=STSv1; id=", index)})})
          .Delayed((*delays)[index]);
    }
    if (q.type == static_cast<uint16_t>(fakes::DnsType::kTxt)) {
      return DnsReply::Records({DnsRecord::Txt({"v=TLSRPTv1; rua=mailto:r@fleet.example"})});
    }
    return DnsReply::NoData();  // no MX: no address lookups to follow
  };
}

StreamOutcome RunStream(TestLab& lab, int first, int entries) {
  StreamOutcome out;
  grpc::ClientContext context;
  auto stream = lab.stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = first; i < first + entries; ++i) {
      v1::FleetRequest request;
      request.set_domain(FleetDomain(i));
      request.set_tag(absl::StrCat(i));
      request.mutable_options()->add_checks("txt");
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) out.reported.insert(event.result().tag());
    if (event.has_error()) out.errors.push_back(event.error());
    if (event.has_summary()) out.summary = event.summary();
  }
  writer.join();
  out.status = stream->Finish();
  return out;
}

}  // namespace mtasts::testing

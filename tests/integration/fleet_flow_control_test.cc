// Flow control on a fleet stream: a client that stops reading holds the
// server back, and a stream at its limit takes in one HTTP/2 window of
// entries, not the fleet.
#include <atomic>
#include <cstdint>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::DnsQuery;
using fakes::DnsReply;

TEST_F(FleetTest, SlowReaderHoldsTheServerBackInsteadOfBuffering) {
  // A client with a fixed 64 KiB receive window (no BDP auto-tuning), so the
  // transport's share of the buffering is known: what the server may hold
  // beyond that is its own, and must be bounded by the fleet limit.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 65535);
  auto channel = grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", lab_->server().port()), grpc::InsecureChannelCredentials(),
      args);
  auto stub = v1::MtaStsChecker::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->StreamFleet(&context);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < kDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(FleetDomain(i));
      request.set_tag(absl::StrCat(i));
      if (!stream->Write(request)) break;
      ++written;
    }
    stream->WritesDone();
  });
  auto domains_started = [&] {
    int64_t n = 0;
    for (const DnsQuery& q : lab_->dns().server().queries()) {
      if (q.type == static_cast<uint16_t>(fakes::DnsType::kMx)) ++n;
    }
    return n;
  };
  // The server is busy: every slot has had a domain...
  WaitUntil([&] { return domains_started() >= kLimit; }, absl::Seconds(10),
            "the server to fill its fleet slots");
  // ...then the client reads nothing for a second. Time is the behaviour
  // here: in that second an unbounded server would start hundreds of the
  // 2,000 domains (each takes 0-40 ms); a bounded one only as many as its
  // slots plus what the transport's flow-control window absorbs.
  absl::SleepFor(absl::Seconds(1));
  const int64_t started = domains_started();
  // Reports are about 2 KiB: the window holds a few dozen, the server's
  // slots kLimit more. Without back-pressure all 2,000 would have started.
  std::cout << "slow reader: " << started << " domains started while the client read "
            << "nothing; " << written << " entries accepted by the transport\n";
  EXPECT_LT(started, kLimit + 100) << "server kept working for a client that does not read";

  // Now read everything: nothing was lost.
  int results = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) results += event.has_result();
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(results, kDomains);
}

// Backpressure is real: a stream at its in-flight limit stops being read, and
// what the client can still push is one HTTP/2 window (the server turns BDP
// probing off), not the fleet. With BDP probing the server took in ~117,000
// entries (~4 MB) of a stream it had stopped reading; now ~2,000.
TEST_F(FleetTest, AStreamAtItsLimitTakesInAWindowOfEntriesNotTheWholeFleet) {
  lab_->dns().server().SetHandler([](const DnsQuery& q) {
    if (absl::StartsWith(q.name, "_mta-sts.")) return DnsReply::Drop();
    return DnsReply::NoData();
  });
  constexpr int kMaxWrites = 200000;  // bound on the loop, far above a window
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  std::atomic<int> written{0};
  std::thread writer([&] {
    v1::FleetRequest request;
    for (int i = 0; i < kMaxWrites; ++i) {
      request.set_domain(absl::StrFormat("w%06d.fleet.example", i));
      if (!stream->Write(request)) return;  // cancelled
      written.fetch_add(1);
    }
  });
  // The writer blocks once the window is full: wait until it has not moved
  // for 2 s (at most 60 s).
  int last = -1;
  absl::Time still_since = absl::Now();
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    const int now_written = written.load();
    if (now_written != last) {
      last = now_written;
      still_since = absl::Now();
    } else if (absl::Now() - still_since >= absl::Seconds(2)) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_GE(last, kLimit) << "the server read its in-flight limit's worth";
  EXPECT_LT(last, 10000) << "entries taken in while the server had stopped reading";
  context.TryCancel();
  writer.join();
  v1::FleetEvent event;
  while (stream->Read(&event)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace mtasts::testing

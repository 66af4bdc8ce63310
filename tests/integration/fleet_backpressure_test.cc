// The server-wide limit: fleet streams wait for it (their entries are not
// refused), and a stream cancelled or shut down while waiting leaves nothing
// behind.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

// --- The server-wide limit: streams wait for it, entries are not refused ---

// 50 streams of 100 entries once got about 2,100 entries back as "at its
// in-flight limit; resend later". Now a stream at the server-wide limit stops
// reading and waits its turn: every entry is checked, and the limit holds.
TEST(FleetBackpressureTest, StreamsWaitAtTheServerWideLimitAndEveryEntryIsChecked) {
  constexpr int kStreams = 6;
  constexpr int kEntries = 20;
  constexpr int kServerLimit = 5;
  auto lab = TestLab::Start(
      LabOptions{.max_inflight = kServerLimit, .fleet_max_inflight = 10});
  lab->dns().server().SetHandler(FleetZone(11));
  const server::MtaStsService& service = lab->server().service();

  std::atomic<bool> running{true};
  int polled_peak = 0;
  std::thread poller([&] {
    while (running) {
      polled_peak = std::max(polled_peak, service.InFlight());
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::vector<StreamOutcome> outcomes(kStreams);
  std::vector<std::thread> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.emplace_back([&, s] { outcomes[s] = RunStream(*lab, s * kEntries, kEntries); });
  }
  for (std::thread& t : streams) t.join();
  running = false;
  poller.join();

  for (int s = 0; s < kStreams; ++s) {
    const StreamOutcome& out = outcomes[s];
    EXPECT_TRUE(out.status.ok()) << "stream " << s << ": " << out.status.error_message();
    for (const v1::FleetError& e : out.errors) {
      ADD_FAILURE() << "stream " << s << " entry " << e.tag() << ": code " << e.code() << ", "
                    << e.message();
    }
    EXPECT_EQ(out.reported.size(), static_cast<size_t>(kEntries)) << "stream " << s;
    EXPECT_EQ(out.summary.received(), kEntries) << "stream " << s;
    EXPECT_EQ(out.summary.reported(), kEntries) << "stream " << s;
    EXPECT_EQ(out.summary.errors(), 0) << "stream " << s;
  }
  std::cout << "backpressure: peak in flight " << service.PeakInFlight() << " (polled "
            << polled_peak << ", at the DNS server " << lab->dns().server().max_outstanding()
            << "), limit " << kServerLimit << "\n";
  EXPECT_LE(polled_peak, kServerLimit);
  EXPECT_LE(lab->dns().server().max_outstanding(), kServerLimit);
  // The limit was reached (so streams did wait) and never passed.
  EXPECT_EQ(service.PeakInFlight(), kServerLimit);
  EXPECT_EQ(service.InFlight(), 0);
  EXPECT_EQ(service.Waiting(), 0);
}

// A stream cancelled while it holds an entry for a server-wide slot leaves
// nothing behind: it is out of the queue, the slot freed next goes to
// whoever asks (not to the cancelled stream's entry, which never runs), and
// CheckDomain is still refused outright at the limit meanwhile.
TEST(FleetBackpressureTest, StreamCancelledWhileWaitingReleasesEverything) {
  // Slow DNS tries, so the two busy lookups hold the server's slots for the
  // whole test, until they are cancelled.
  auto lab = TestLab::Start(LabOptions{
      .max_inflight = 2, .fleet_max_inflight = 10, .dns_timeout = absl::Seconds(3)});
  const server::MtaStsService& service = lab->server().service();
  lab->dns().Drop("_mta-sts.busy1.example");
  lab->dns().Drop("_mta-sts.busy2.example");

  grpc::ClientContext busy_context;
  auto busy = lab->stub().StreamFleet(&busy_context);
  for (const char* domain : {"busy1.example", "busy2.example"}) {
    v1::FleetRequest request;
    request.set_domain(domain);
    ASSERT_TRUE(busy->Write(request));
  }
  lab->dns().WaitForQueries("_mta-sts.busy1.example", 1, absl::Seconds(5));
  lab->dns().WaitForQueries("_mta-sts.busy2.example", 1, absl::Seconds(5));
  ASSERT_EQ(service.InFlight(), 2);

  grpc::ClientContext waiting_context;
  auto waiting = lab->stub().StreamFleet(&waiting_context);
  absl::Mutex mu;
  std::vector<v1::FleetEvent> waiting_events;
  std::thread reader([&] {
    v1::FleetEvent event;
    while (waiting->Read(&event)) {
      absl::MutexLock lock(&mu);
      waiting_events.push_back(event);
    }
  });
  for (const char* domain : {"waiting1.example", "waiting2.example"}) {
    v1::FleetRequest request;
    request.set_domain(domain);
    request.set_tag(domain);
    ASSERT_TRUE(waiting->Write(request));
  }
  WaitUntil([&] { return service.Waiting() == 1; }, absl::Seconds(5),
            "the stream to wait for a slot");

  // CheckDomain at the limit: refused, not queued.
  auto refused = lab->Check("other.example");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "server is at its limit of 2 domains in flight; retry later");

  // The waiting stream got nothing (no refusal) and started nothing.
  absl::SleepFor(absl::Milliseconds(200));
  {
    absl::MutexLock lock(&mu);
    for (const v1::FleetEvent& event : waiting_events) {
      ADD_FAILURE() << "event while waiting: " << event.ShortDebugString();
    }
  }
  EXPECT_EQ(lab->dns().QueriesFor("_mta-sts.waiting1.example"), 0);

  waiting_context.TryCancel();
  reader.join();
  EXPECT_EQ(waiting->Finish().error_code(), grpc::StatusCode::CANCELLED);
  WaitUntil([&] { return service.Waiting() == 0; }, absl::Seconds(5),
            "the cancelled stream to leave the queue");

  // Free the busy slots: nobody waits for them any more.
  busy_context.TryCancel();
  v1::FleetEvent event;
  while (busy->Read(&event)) {
  }
  EXPECT_EQ(busy->Finish().error_code(), grpc::StatusCode::CANCELLED);
  WaitUntil([&] { return service.InFlight() == 0; }, absl::Seconds(10),
            "every slot to be released");
  EXPECT_EQ(lab->dns().QueriesFor("_mta-sts.waiting1.example"), 0);
  EXPECT_EQ(lab->dns().QueriesFor("_mta-sts.waiting2.example"), 0);
  EXPECT_EQ(service.PeakInFlight(), 2);

  // Capacity is back for everyone.
  EXPECT_TRUE(lab->Check("other.example").ok());
  EXPECT_EQ(service.InFlight(), 0);
  EXPECT_EQ(service.Waiting(), 0);
}

// Streams cancelled at all kinds of moments while others wait for slots (in
// the queue, or just as a slot is handed to them): nothing leaks, the limit
// holds, and the server serves the next stream in full.
TEST(FleetBackpressureTest, StreamsCancelledUnderContentionLeaveNothingBehind) {
  constexpr int kServerLimit = 3;
  auto lab = TestLab::Start(
      LabOptions{.max_inflight = kServerLimit, .fleet_max_inflight = 5});
  lab->dns().server().SetHandler(FleetZone(13));
  const server::MtaStsService& service = lab->server().service();
  std::vector<std::thread> streams;
  for (int s = 0; s < 8; ++s) {
    streams.emplace_back([&, s] {
      grpc::ClientContext context;
      auto stream = lab->stub().StreamFleet(&context);
      std::thread writer([&] {
        for (int i = 0; i < 30; ++i) {
          v1::FleetRequest request;
          request.set_domain(FleetDomain(s * 30 + i));
          request.mutable_options()->add_checks("txt");
          if (!stream->Write(request)) break;
        }
        stream->WritesDone();
      });
      // Streams 0-5 cancel after 0 to 5 results; 6 and 7 run to the end.
      const int cancel_after = s < 6 ? s : -1;
      int results = 0;
      if (cancel_after == 0) context.TryCancel();
      v1::FleetEvent event;
      while (stream->Read(&event)) {
        EXPECT_FALSE(event.has_error()) << event.error().message();
        if (event.has_result() && ++results == cancel_after) context.TryCancel();
      }
      writer.join();
      const grpc::Status status = stream->Finish();
      if (cancel_after < 0) {
        EXPECT_TRUE(status.ok()) << status.error_message();
        EXPECT_EQ(results, 30);
      }
    });
  }
  for (std::thread& t : streams) t.join();
  WaitUntil([&] { return service.InFlight() == 0 && service.Waiting() == 0; },
            absl::Seconds(10), "every slot released and the queue empty");
  EXPECT_LE(service.PeakInFlight(), kServerLimit);
  const StreamOutcome after = RunStream(*lab, 1000, 10);
  EXPECT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(after.reported.size(), 10u);
  EXPECT_TRUE(after.errors.empty());
  EXPECT_EQ(service.InFlight(), 0);
}

// Shutdown cancels a stream waiting for a slot within the grace, as it does
// every call.
TEST(FleetBackpressureTest, ShutdownCancelsAWaitingStreamWithinTheGrace) {
  auto lab = TestLab::Start(LabOptions{.max_inflight = 1, .dns_timeout = absl::Seconds(3)});
  lab->dns().Drop("_mta-sts.busy.example");
  grpc::ClientContext busy_context;
  auto busy = lab->stub().StreamFleet(&busy_context);
  v1::FleetRequest request;
  request.set_domain("busy.example");
  ASSERT_TRUE(busy->Write(request));
  lab->dns().WaitForQueries("_mta-sts.busy.example", 1, absl::Seconds(5));
  grpc::ClientContext waiting_context;
  auto waiting = lab->stub().StreamFleet(&waiting_context);
  request.set_domain("waiting.example");
  ASSERT_TRUE(waiting->Write(request));
  WaitUntil([&] { return lab->server().service().Waiting() == 1; }, absl::Seconds(5),
            "the stream to wait for a slot");

  const absl::Time start = absl::Now();
  lab->server().Shutdown(absl::Milliseconds(100));
  v1::FleetEvent event;
  while (waiting->Read(&event)) {
  }
  EXPECT_FALSE(waiting->Finish().ok());
  while (busy->Read(&event)) {
  }
  EXPECT_FALSE(busy->Finish().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(lab->server().service().Waiting(), 0);
  WaitUntil([&] { return lab->server().service().InFlight() == 0; }, absl::Seconds(5),
            "every slot to be released");
}

}  // namespace
}  // namespace mtasts::testing

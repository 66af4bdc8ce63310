// StreamFleet end to end: thousands of domains through one stream against the
// fake DNS server, with the limits observed where they matter (at the DNS
// server, and in what the server holds for a slow reader); and a provider's
// fleet sharing MX and policy hosts, some broken, grouped in the summary.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::DnsQuery;
using fakes::DnsRecord;
using fakes::DnsReply;
using ::testing::ElementsAre;

constexpr int kDomains = 2000;
constexpr int kLimit = 25;

std::string FleetDomain(int i) { return absl::StrFormat("d%04d.fleet.example", i); }

// Index of a fleet domain in a query name ("_mta-sts.d0042.fleet.example" -> 42).
int DomainIndex(const std::string& name) {
  const size_t at = name.find(".fleet.example");
  if (at == std::string::npos || at < 5) return -1;
  int index;
  return absl::SimpleAtoi(name.substr(at - 4, 4), &index) ? index : -1;
}

// Answers every fleet domain. Only the _mta-sts TXT answer is late (a random
// 0-40 ms per domain), and MX/TLS-RPT answers are immediate, so each query
// outstanding at the fake is exactly one domain in flight in the server.
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

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = TestLab::Start(LabOptions{.fleet_max_inflight = kLimit});
    lab_->dns().server().SetHandler(FleetZone(7));
  }
  std::unique_ptr<TestLab> lab_;
};

TEST_F(FleetTest, EveryDomainAnsweredOnceInCompletionOrderWithinTheLimit) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(FleetDomain(i));
      request.set_tag(absl::StrCat("tag-", i));
      // The zone above scripts DNS only: the checks that need no web or mail
      // server, so every domain's outcome (and score) is known.
      request.mutable_options()->add_checks("txt");
      request.mutable_options()->add_checks("tls_rpt");
      if (!stream->Write(request)) break;
      // A bad entry every 100 domains: an error event, and the stream goes on.
      if (i % 100 == 50) {
        v1::FleetRequest bad;
        bad.set_domain(absl::StrCat("https://bad", i, ".example/"));
        bad.set_tag(absl::StrCat("bad-", i));
        if (!stream->Write(bad)) break;
      }
    }
    stream->WritesDone();
  });

  std::map<std::string, int> seen;  // tag -> times answered
  std::vector<int> order;
  std::vector<v1::FleetError> errors;
  v1::FleetSummary summary;
  int summaries = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) {
      const std::string& tag = event.result().tag();
      ++seen[tag];
      order.push_back(DomainIndex(event.result().report().domain()));
      EXPECT_EQ(tag, absl::StrCat("tag-", order.back()));
      EXPECT_EQ(event.result().report().evidence().sts_id(), absl::StrCat(order.back()));
    } else if (event.has_error()) {
      errors.push_back(event.error());
    } else if (event.has_summary()) {
      summary = event.summary();
      ++summaries;
    }
  }
  writer.join();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(seen.size(), static_cast<size_t>(kDomains));
  for (const auto& [tag, count] : seen) EXPECT_EQ(count, 1) << tag;
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(order, sorted) << "reports came back in input order despite random delays";

  ASSERT_EQ(errors.size(), static_cast<size_t>(kDomains / 100));
  for (const auto& e : errors) {
    EXPECT_EQ(e.code(), 3) << e.message();  // INVALID_ARGUMENT
    EXPECT_THAT(e.tag(), ::testing::StartsWith("bad-"));
    EXPECT_THAT(e.message(), ::testing::HasSubstr("URL"));
  }

  EXPECT_EQ(summaries, 1);
  EXPECT_EQ(summary.received(), kDomains + kDomains / 100);
  EXPECT_EQ(summary.reported(), kDomains);
  EXPECT_EQ(summary.errors(), kDomains / 100);
  ASSERT_EQ(summary.score_histogram_size(), 10);
  EXPECT_EQ(summary.score_histogram(9), kDomains);  // every domain scores 100
  EXPECT_DOUBLE_EQ(summary.mean_score(), 100);
  ASSERT_EQ(summary.by_grade_size(), 1);
  EXPECT_EQ(summary.by_grade(0).grade(), v1::GRADE_A);
  EXPECT_EQ(summary.by_grade(0).count(), kDomains);
  EXPECT_EQ(summary.slowest_size(), 10);

  // Observed at the DNS server: never more domains in flight than the limit,
  // and the limit was actually reached (so this assertion can fail).
  const int64_t max_in_flight = lab_->dns().server().max_outstanding();
  std::cout << "fleet: max domains in flight observed at the DNS server: " << max_in_flight
            << " (limit " << kLimit << ")\n";
  RecordProperty("max_in_flight_observed", static_cast<int>(max_in_flight));
  EXPECT_LE(max_in_flight, kLimit);
  EXPECT_GE(max_in_flight, kLimit * 3 / 4);
  EXPECT_EQ(lab_->server().service().InFlight(), 0);
}

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

TEST_F(FleetTest, EmptyStreamEndsWithAnEmptySummary) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  stream->WritesDone();
  v1::FleetEvent event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(event.has_summary());
  EXPECT_EQ(event.summary().received(), 0);
  EXPECT_EQ(event.summary().reported(), 0);
  EXPECT_FALSE(stream->Read(&event));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(FleetTest, EveryKindOfBadEntryIsAnErrorEventAndTheStreamGoesOn) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  const std::vector<std::string> bad = {"", "192.0.2.1", "user@example.com",
                                        "https://example.com/", "a b.example",
                                        std::string(260, 'a')};
  for (size_t i = 0; i < bad.size(); ++i) {
    v1::FleetRequest request;
    request.set_domain(bad[i]);
    request.set_tag(absl::StrCat("bad", i));
    ASSERT_TRUE(stream->Write(request));
  }
  v1::FleetRequest good;
  good.set_domain(FleetDomain(1));
  good.set_tag("good");
  ASSERT_TRUE(stream->Write(good));
  stream->WritesDone();
  std::set<std::string> error_tags;
  int results = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_error()) {
      EXPECT_EQ(event.error().code(), 3);
      EXPECT_FALSE(event.error().message().empty());
      error_tags.insert(event.error().tag());
    }
    results += event.has_result();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(error_tags.size(), bad.size());
  EXPECT_EQ(results, 1);
}

// An entry the generated parser would refuse (a domain or tag that is not
// UTF-8, bytes that are not a FleetRequest) once ended the stream early with
// status OK: that entry and every later one got no event. Now each gets an
// error event naming its position, and the stream goes on.
TEST_F(FleetTest, EntriesThatAreNotUtf8GetAnErrorEventAndTheStreamGoesOn) {
  grpc::ClientContext context;
  auto stream = lab_->RawStreamFleet(&context);
  const auto entry = [](const std::string& domain, const std::string& tag) {
    return WireField(1, domain) + WireField(2, tag);
  };
  const std::vector<std::string> sent = {
      entry(FleetDomain(1), "good1"),
      entry("bad\xFF.example", "bad-domain"),
      entry(FleetDomain(2), "good2"),
      entry(FleetDomain(3), "bad-tag\xFE"),
      std::string("\x0a\x40short", 7),  // not a FleetRequest
      entry(FleetDomain(4), "good4"),
  };
  for (const std::string& bytes : sent) ASSERT_TRUE(stream->Write(ToByteBuffer(bytes)));
  stream->WritesDone();
  std::set<std::string> reported;
  std::map<std::string, v1::FleetError> errors;  // by message
  v1::FleetSummary summary;
  grpc::ByteBuffer buffer;
  while (stream->Read(&buffer)) {
    v1::FleetEvent event;
    ASSERT_TRUE(event.ParseFromString(FromByteBuffer(buffer)))
        << "every event parses: echoes are valid UTF-8";
    if (event.has_result()) reported.insert(event.result().tag());
    if (event.has_error()) errors[event.error().message()] = event.error();
    if (event.has_summary()) summary = event.summary();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(reported, (std::set<std::string>{"good1", "good2", "good4"}));
  EXPECT_EQ(summary.received(), 6);
  EXPECT_EQ(summary.reported(), 3);
  EXPECT_EQ(summary.errors(), 3);
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& [message, error] : errors) {
    EXPECT_EQ(error.code(), 3) << message;
    if (error.tag() == "bad-domain") {
      EXPECT_THAT(message, ::testing::StartsWith("entry 2 (tag \"bad-domain\"): "));
      EXPECT_THAT(message, ::testing::HasSubstr("not valid UTF-8"));
      EXPECT_EQ(error.domain(), "bad\xEF\xBF\xBD.example");
      EXPECT_FALSE(error.domain_cut());
    } else if (error.domain() == FleetDomain(3)) {
      EXPECT_EQ(error.tag(), "bad-tag\xEF\xBF\xBD");
      EXPECT_THAT(message, ::testing::StartsWith("entry 4: the tag is not valid UTF-8"));
    } else {
      EXPECT_THAT(message, ::testing::StartsWith("entry 5: "));
      EXPECT_THAT(message, ::testing::HasSubstr("not a valid FleetRequest"));
    }
  }
}

// An entry just under the 4 MiB message limit once came back whole in its
// error event, over a default client's limit, which killed the stream.
TEST_F(FleetTest, ErrorEventEchoesAtMost255BytesOfTheDomain) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  v1::FleetRequest huge;
  huge.set_domain(std::string((4 << 20) - 64, 'a'));
  huge.set_tag("huge");
  ASSERT_TRUE(stream->Write(huge));
  v1::FleetRequest good;
  good.set_domain(FleetDomain(1));
  good.set_tag("good");
  ASSERT_TRUE(stream->Write(good));
  stream->WritesDone();
  int results = 0;
  int summaries = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_error()) {
      EXPECT_EQ(event.error().tag(), "huge");
      EXPECT_EQ(event.error().domain(), std::string(255, 'a'));
      EXPECT_TRUE(event.error().domain_cut());
      EXPECT_LT(event.ByteSizeLong(), 1024u);
    }
    results += event.has_result();
    summaries += event.has_summary();
  }
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(results, 1);
  EXPECT_EQ(summaries, 1);
}

// --- The server-wide limit: streams wait for it, entries are not refused ---

// What one stream got back.
struct StreamOutcome {
  std::set<std::string> reported;  // tags
  std::vector<v1::FleetError> errors;
  v1::FleetSummary summary;
  grpc::Status status;
};

// Sends `entries` fleet domains from `first` on one stream and reads it to
// the end.
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

// --- The summary's groups: 30 domains of one provider sharing 3 MX hosts
// (one with an expired certificate) and 2 policy hosts (one refusing
// connections), over the real checks and the fakes.

constexpr char kMx1[] = "mx1.provider.example";
constexpr char kMx2[] = "mx2.provider.example";  // expired certificate
constexpr char kMx3[] = "mx3.provider.example";
constexpr char kMx1Addr[] = "127.0.0.2";
constexpr char kMx2Addr[] = "127.0.0.3";
constexpr char kMx3Addr[] = "127.0.0.4";
constexpr char kPolicyAddr[] = "127.0.0.1";  // the lab's web server
constexpr char kDeadPolicyAddr[] = "127.0.0.9";  // nothing listens: refused
constexpr char kRua[] = "mailto:tlsrpt@provider.example";
constexpr char kRuaHttps[] = "https://reports.provider.example/v1";
constexpr int kGroupDomains = 30;

std::string GroupDomain(int i) { return absl::StrFormat("g%02d.customers.example", i); }

// Domain i: primary MX host mx{i%3+1}; those on mx2 keep mx1 as a backup.
// Its policy (enforce, listing its hosts) is served from the lab's web server
// for i < 20 and from a dead address for the rest. Every domain reports to
// kRua; the first five also to kRuaHttps.
std::vector<std::string> HostsOf(int i) {
  switch (i % 3) {
    case 0: return {kMx1};
    case 1: return {kMx2, kMx1};
    default: return {kMx3};
  }
}

const v1::FleetGrouping* GroupingOf(const v1::FleetSummary& s, v1::FleetGroupKind kind) {
  for (const auto& g : s.groupings()) {
    if (g.kind() == kind) return &g;
  }
  return nullptr;
}

const v1::FleetGroup* GroupOf(const v1::FleetGrouping* g, const std::string& key) {
  if (g == nullptr) return nullptr;
  for (const auto& group : g->groups()) {
    if (group.key() == key) return &group;
  }
  return nullptr;
}

std::vector<std::string> KeyCounts(const v1::FleetGrouping* g) {
  std::vector<std::string> out;
  if (g == nullptr) return out;
  for (const auto& group : g->groups()) out.push_back(absl::StrCat(group.key(), "=", group.count()));
  return out;
}

std::vector<std::string> ExampleList(const v1::FleetGroup& g) {
  std::vector<std::string> out;
  for (const auto& e : g.examples()) out.push_back(absl::StrCat(e.domain(), " [", e.tag(), "]"));
  return out;
}

TEST(FleetGroupsTest, SharedHostsAreGroupedWithTheirOutcomes) {
  auto smtp = fakes::FakeSmtpServer::Start({kMx1Addr, kMx2Addr, kMx3Addr});
  ASSERT_TRUE(smtp.ok()) << smtp.status();
  auto lab = TestLab::Start(LabOptions{.smtp_port = (*smtp)->port(),
                                       .smtp_phase_timeout = absl::Milliseconds(800)});
  ASSERT_NE(lab, nullptr);
  auto issue = [&](const fakes::CertSpec& spec) {
    auto cert = lab->ca().Issue(spec);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *std::move(cert);
  };
  using fakes::CertSpec;
  using fakes::FakeSmtpScript;
  ASSERT_TRUE((*smtp)->SetScript(kMx1Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx1}))))
                  .ok());
  ASSERT_TRUE(
      (*smtp)->SetScript(kMx2Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx2}).Expired())))
          .ok());
  ASSERT_TRUE((*smtp)->SetScript(kMx3Addr, FakeSmtpScript::Good(issue(CertSpec::ForHosts({kMx3}))))
                  .ok());
  lab->dns().A(kMx1, {kMx1Addr});
  lab->dns().A(kMx2, {kMx2Addr});
  lab->dns().A(kMx3, {kMx3Addr});

  // The provider's policy host: one certificate naming every customer's
  // mta-sts host it serves, as a hosted MTA-STS service has.
  std::vector<std::string> served;
  for (int i = 0; i < 20; ++i) served.push_back("mta-sts." + GroupDomain(i));
  CertSpec shared_spec = CertSpec::ForHosts(served);
  shared_spec.common_name = "mta-sts.provider.example";
  const fakes::TestCert shared = issue(shared_spec);

  for (int i = 0; i < kGroupDomains; ++i) {
    const std::string domain = GroupDomain(i);
    std::vector<std::pair<int, std::string>> mx;
    std::string policy = "version: STSv1\nmode: enforce\n";
    int preference = 10;
    for (const std::string& host : HostsOf(i)) {
      mx.push_back({preference, host});
      preference += 10;
      absl::StrAppend(&policy, "mx: ", host, "\n");
    }
    absl::StrAppend(&policy, "max_age: 86400\n");
    lab->dns().Mx(domain, mx);
    lab->dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=1"}});
    lab->dns().Txt("_smtp._tls." + domain,
                   {{absl::StrCat("v=TLSRPTv1; rua=", kRua, i < 5 ? absl::StrCat(",", kRuaHttps) : "")}});
    if (i < 20) {
      fakes::FakeHttpResponse response = fakes::FakeHttpResponse::Text(policy);
      response.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
      lab->ServePolicy(domain, std::move(response), shared);
      lab->dns().A("mta-sts." + domain, {kPolicyAddr});
    } else {
      lab->dns().A("mta-sts." + domain, {kDeadPolicyAddr});
    }
  }

  grpc::ClientContext context;
  auto stream = lab->stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kGroupDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(GroupDomain(i));
      request.set_tag(absl::StrCat("cust-", i));
      // Every check but dnssec, which would need a validating resolver.
      for (const char* check :
           {"txt", "policy_fetch", "policy_content", "mx_match", "mx_tls", "tls_rpt"}) {
        request.mutable_options()->add_checks(check);
      }
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  v1::FleetSummary summary;
  int reports = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) ++reports;
    if (event.has_summary()) summary = event.summary();
  }
  writer.join();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reports, kGroupDomains);
  SCOPED_TRACE(summary.DebugString());

  // MX hosts: mx1 serves 20 domains (10 as primary, 10 as backup) and is
  // fine; mx2's 10 domains all see its expired certificate; mx3 is fine.
  // Equal counts: the failing host first.
  const v1::FleetGrouping* mx = GroupingOf(summary, v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_NE(mx, nullptr);
  EXPECT_THAT(KeyCounts(mx), ElementsAre(absl::StrCat(kMx1, "=20"), absl::StrCat(kMx2, "=10"),
                                         absl::StrCat(kMx3, "=10")));
  EXPECT_EQ(mx->groups(0).outcome(), "ok");
  EXPECT_EQ(mx->groups(0).outcome_count(), 20);
  EXPECT_EQ(mx->groups(1).outcome(), "MX_TLS_CERT_EXPIRED");
  EXPECT_EQ(mx->groups(1).outcome_count(), 10);
  // Critical where the policy is enforced (the domains whose policy host
  // refused have none): the worst is shown.
  EXPECT_EQ(mx->groups(1).severity(), v1::SEVERITY_CRITICAL);
  EXPECT_THAT(ExampleList(mx->groups(1)),
              ElementsAre("g01.customers.example [cust-1]", "g04.customers.example [cust-4]",
                          "g07.customers.example [cust-7]"));
  EXPECT_EQ(mx->groups(2).outcome(), "ok");
  EXPECT_EQ(mx->keys_tracked(), 3);
  EXPECT_EQ(mx->keys_not_sent(), 0);
  EXPECT_EQ(mx->untracked(), 0);

  // Policy host addresses: 20 served, 10 refused.
  const v1::FleetGrouping* addresses = GroupingOf(summary, v1::FLEET_GROUP_KIND_POLICY_ADDRESS);
  ASSERT_NE(addresses, nullptr);
  EXPECT_THAT(KeyCounts(addresses),
              ElementsAre(absl::StrCat(kPolicyAddr, "=20"), absl::StrCat(kDeadPolicyAddr, "=10")));
  EXPECT_EQ(addresses->groups(0).outcome(), "ok");
  EXPECT_EQ(addresses->groups(0).outcome_count(), 20);
  EXPECT_EQ(addresses->groups(1).outcome(), "connection refused");
  EXPECT_EQ(addresses->groups(1).outcome_count(), 10);
  EXPECT_EQ(addresses->groups(1).severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(ExampleList(addresses->groups(1)),
              ElementsAre("g20.customers.example [cust-20]", "g21.customers.example [cust-21]",
                          "g22.customers.example [cust-22]"));

  // The shared certificate: one group of the 20 domains it served.
  const v1::FleetGrouping* certs = GroupingOf(summary, v1::FLEET_GROUP_KIND_POLICY_CERTIFICATE);
  ASSERT_NE(certs, nullptr);
  ASSERT_EQ(certs->groups_size(), 1);
  EXPECT_THAT(certs->groups(0).key(), ::testing::StartsWith(shared.subject + "; issuer "));
  EXPECT_EQ(certs->groups(0).count(), 20);
  EXPECT_EQ(certs->groups(0).outcome(), "valid");

  // TLS-RPT destinations.
  const v1::FleetGrouping* rua = GroupingOf(summary, v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION);
  ASSERT_NE(rua, nullptr);
  EXPECT_THAT(KeyCounts(rua),
              ElementsAre(absl::StrCat(kRua, "=30"), absl::StrCat(kRuaHttps, "=5")));

  // Finding codes: the expired MX certificate and the refused policy host,
  // each on exactly the domains behind them; the TLS-RPT destinations, which
  // this zone gives neither mail nor an address (tls_rpt's reachability);
  // nothing else to fix (INFO findings are not grouped). Equal counts: the
  // more severe first.
  const v1::FleetGrouping* codes = GroupingOf(summary, v1::FLEET_GROUP_KIND_FINDING_CODE);
  ASSERT_NE(codes, nullptr);
  EXPECT_THAT(KeyCounts(codes),
              ElementsAre("TLSRPT_RUA_MAILTO_NO_MAIL=30", "MX_TLS_CERT_EXPIRED=10",
                          "POLICY_CONNECT_FAILED=10", "TLSRPT_RUA_HTTPS_BROKEN=5"));
  const v1::FleetGroup* expired = GroupOf(codes, "MX_TLS_CERT_EXPIRED");
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->count(), 10);
  EXPECT_EQ(expired->code(), v1::MX_TLS_CERT_EXPIRED);
  EXPECT_EQ(ExampleList(*expired), ExampleList(mx->groups(1)));
  const v1::FleetGroup* refused = GroupOf(codes, "POLICY_CONNECT_FAILED");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(ExampleList(*refused), ExampleList(addresses->groups(1)));
}

}  // namespace
}  // namespace mtasts::testing

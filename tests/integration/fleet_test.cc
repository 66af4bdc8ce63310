// StreamFleet end to end: thousands of domains through one stream against the
// fake DNS server, with the limits observed where they matter (at the DNS
// server, and in what the server holds for a slow reader).
#include <algorithm>
#include <atomic>
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
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::DnsQuery;
using fakes::DnsRecord;
using fakes::DnsReply;

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

}  // namespace
}  // namespace mtasts::testing

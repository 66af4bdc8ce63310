// Entries a fleet stream cannot check (not a domain, not UTF-8, not a
// FleetRequest, too long): each an error event, and the stream goes on.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

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

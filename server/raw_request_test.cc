#include "server/raw_request.h"

#include <string>

#include "gtest/gtest.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::server {
namespace {

// A length-delimited field on the wire (lengths below 128).
std::string Field(int number, const std::string& value) {
  return std::string(1, static_cast<char>(number << 3 | 2)) +
         std::string(1, static_cast<char>(value.size())) + value;
}

TEST(RawRequestTest, KeepsADomainThatIsNotUtf8) {
  const std::string bytes = Field(1, "bad\xFF.example") + Field(2, "t1");
  v1::FleetRequest typed;
  EXPECT_FALSE(typed.ParseFromString(bytes))
      << "the generated parser refuses it: why the service decodes itself";
  auto entry = DecodeFleetRequest(bytes);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->domain, "bad\xFF.example");
  EXPECT_EQ(entry->tag, "t1");
}

TEST(RawRequestTest, DecodesLikeTheGeneratedParser) {
  v1::CheckOptions first;
  first.add_checks("txt");
  v1::CheckOptions second;
  second.add_checks("tls_rpt");
  second.set_skip_mx_probe(true);
  // Last domain wins, options merge, unknown fields (a varint 9, a string
  // 15) are skipped.
  const std::string bytes = Field(1, "first.example") + Field(3, first.SerializeAsString()) +
                            std::string("\x48\x07", 2) + Field(15, "x") +
                            Field(1, "example.com") + Field(3, second.SerializeAsString());
  v1::FleetRequest typed;
  ASSERT_TRUE(typed.ParseFromString(bytes));
  auto entry = DecodeFleetRequest(bytes);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->domain, typed.domain());
  EXPECT_EQ(entry->tag, typed.tag());
  EXPECT_EQ(entry->options.SerializeAsString(), typed.options().SerializeAsString());
}

TEST(RawRequestTest, CheckDomainRequestHasNoTag) {
  v1::CheckDomainRequest request;
  request.set_domain("example.com");
  request.mutable_options()->set_skip_mx_probe(true);
  auto entry = DecodeCheckDomainRequest(request.SerializeAsString());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->domain, "example.com");
  EXPECT_TRUE(entry->tag.empty());
  EXPECT_TRUE(entry->options.skip_mx_probe());
}

TEST(RawRequestTest, RefusesWhatIsNotAMessage) {
  EXPECT_EQ(DecodeFleetRequest(std::string("\x0a\x10short", 7)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeFleetRequest(std::string("\x00\x01", 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Options whose check name is not UTF-8.
  EXPECT_EQ(DecodeFleetRequest(Field(3, Field(1, "t\xFFxt"))).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RawRequestTest, FlattenAndSerializeRoundTrip) {
  v1::FleetRequest request;
  request.set_domain("example.com");
  request.set_tag("t");
  const grpc::ByteBuffer buffer = Serialize(request);
  EXPECT_EQ(Flatten(buffer), request.SerializeAsString());
}

}  // namespace
}  // namespace mtasts::server

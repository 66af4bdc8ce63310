#include "server/raw_request.h"

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/slice.h"

namespace mtasts::server {
namespace {

using google::protobuf::internal::WireFormatLite;

// Field numbers; 0 for a field the message does not have.
struct Fields {
  int domain;
  int tag;
  int options;
};

absl::StatusOr<RawEntry> Decode(absl::string_view bytes, Fields fields,
                                absl::string_view what) {
  const auto malformed = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("the request is not a valid ", what, " message"));
  };
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return malformed();
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  RawEntry entry;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      // 0 is both the end of the input and an invalid tag.
      if (in.CurrentPosition() != static_cast<int>(bytes.size())) return malformed();
      break;
    }
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const bool known = field == fields.domain || field == fields.tag || field == fields.options;
    if (!known ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return malformed();
      continue;
    }
    uint32_t length;
    std::string value;
    if (!in.ReadVarint32(&length) ||
        length > static_cast<uint32_t>(std::numeric_limits<int>::max()) ||
        !in.ReadString(&value, static_cast<int>(length))) {
      return malformed();
    }
    if (field == fields.domain) {
      entry.domain = std::move(value);
    } else if (field == fields.tag) {
      entry.tag = std::move(value);
    } else if (!entry.options.MergeFromString(value)) {
      return absl::InvalidArgumentError(
          "options is not a valid CheckOptions message (are the check names UTF-8?)");
    }
  }
  return entry;
}

}  // namespace

absl::StatusOr<RawEntry> DecodeCheckDomainRequest(absl::string_view bytes) {
  return Decode(bytes,
                {v1::CheckDomainRequest::kDomainFieldNumber, 0,
                 v1::CheckDomainRequest::kOptionsFieldNumber},
                "CheckDomainRequest");
}

absl::StatusOr<RawEntry> DecodeFleetRequest(absl::string_view bytes) {
  return Decode(bytes,
                {v1::FleetRequest::kDomainFieldNumber, v1::FleetRequest::kTagFieldNumber,
                 v1::FleetRequest::kOptionsFieldNumber},
                "FleetRequest");
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::string out;
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer Serialize(const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace mtasts::server

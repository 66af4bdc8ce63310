// Requests decoded from the wire by the service itself.
//
// Why: gRPC's typed handlers parse requests with the generated code, which
// refuses a proto3 `string` holding invalid UTF-8 and fails the whole
// message. Before the handler runs, a unary call then ends UNIMPLEMENTED with
// no reason and no log line; in a stream the failed read looks like the
// client's half-close, so that entry and every later one vanish. The service
// therefore registers raw handlers (bytes in, bytes out) and decodes here,
// keeping `domain` and `tag` as the bytes sent, so it can say what is wrong
// with an entry and go on. The public proto is unchanged.
#ifndef MTASTS_SERVER_RAW_REQUEST_H_
#define MTASTS_SERVER_RAW_REQUEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::server {

// A CheckDomainRequest or FleetRequest with its strings unchecked.
struct RawEntry {
  std::string domain;  // as sent; may be any bytes
  std::string tag;     // as sent; FleetRequest only
  v1::CheckOptions options;
};

// Decodes serialized bytes as the generated parser would (last value of a
// field wins, repeated messages merge, unknown fields are skipped), except
// that `domain` and `tag` may hold any bytes. INVALID_ARGUMENT when the bytes
// are not such a message or the options do not parse.
absl::StatusOr<RawEntry> DecodeCheckDomainRequest(absl::string_view bytes);
absl::StatusOr<RawEntry> DecodeFleetRequest(absl::string_view bytes);

// The bytes of a received message, as one string.
std::string Flatten(const grpc::ByteBuffer& buffer);

// `message` serialized for sending.
grpc::ByteBuffer Serialize(const google::protobuf::MessageLite& message);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_RAW_REQUEST_H_

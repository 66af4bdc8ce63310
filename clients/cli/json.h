// The CLI's JSON: protobuf's JSON mapping of a message, exactly as
// MessageToJsonString prints it with preserve_proto_field_names and
// always_print_primitive_fields, written straight from the message.
//
// Why not MessageToJsonString alone: protobuf 3.21 serialises the message,
// builds google.protobuf.Type descriptions through a type resolver on every
// call and re-parses the bytes into a tree of nodes; for `mtasts fleet --json`
// that was most of the CLI's CPU per domain. This writer walks the message
// with reflection once. Whatever it does not render exactly the same way
// (maps, bytes, well-known types other than Timestamp and Duration, values
// protobuf refuses or renders oddly) it leaves to protobuf's printer.
#ifndef MTASTS_CLIENTS_CLI_JSON_H_
#define MTASTS_CLIENTS_CLI_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace mtasts::cli {

// Appends message's JSON to *out and returns true, or returns false with *out
// unchanged when the message holds something only protobuf's printer renders:
// a map or bytes field; a well-known type other than Timestamp and Duration;
// a Timestamp or Duration that is out of range or inconsistent (protobuf
// refuses most of those); a string that is not valid UTF-8; an enum number
// its enum does not name; a proto2 message.
bool AppendDirectJson(const google::protobuf::Message& message,
                      std::string* out);

// The JSON of message on one line (no newline): the direct writer, else
// protobuf's printer. Fails only where protobuf's printer fails, such as a
// Timestamp outside years 1-9999 from a misbehaving server.
absl::StatusOr<std::string> MessageToJson(
    const google::protobuf::Message& message);

// protobuf's printer alone, with the same options (the reference the direct
// writer is tested against).
absl::StatusOr<std::string> ProtobufJson(
    const google::protobuf::Message& message);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_JSON_H_

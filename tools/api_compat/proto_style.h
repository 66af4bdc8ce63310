// Style rules for the public protos, checked on a descriptor set built with
// --include_source_info (comments are in the source info):
//   - every message, field, enum, enum value, service and RPC has a leading
//     or trailing comment (map entries, which protoc makes up, excepted);
//   - an enum's zero value is <ENUM_PREFIX>_UNSPECIFIED, or its comment says
//     it is the meaningful default (contains "default");
//   - field names lower_snake_case; message, enum, service and RPC names
//     UpperCamelCase; enum values UPPER_SNAKE_CASE;
//   - requests and responses: every RPC takes <Rpc>Request (a client-streaming
//     RPC Stream<X> takes <X>Request); no RPC returns a *Request; a message
//     named *Request is only ever an RPC input and one named *Response only an
//     output, never a field's type.
#ifndef MTASTS_TOOLS_API_COMPAT_PROTO_STYLE_H_
#define MTASTS_TOOLS_API_COMPAT_PROTO_STYLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.pb.h"

namespace mtasts::api_compat {

// One line per problem, "<file>:<line>: <element>: <rule>", over the files of
// `package` in `set`. Errors: the set does not build, or carries no source
// info (built without --include_source_info).
absl::StatusOr<std::vector<std::string>> StyleProblems(
    const google::protobuf::FileDescriptorSet& set, absl::string_view package);

}  // namespace mtasts::api_compat

#endif  // MTASTS_TOOLS_API_COMPAT_PROTO_STYLE_H_

// Differential fuzz target for the CLI's direct JSON writer: any bytes that
// parse as a FleetEvent, and the same bytes as a string field (which skips
// the parser's UTF-8 check), must print exactly as protobuf's printer prints
// them, refusals included.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "clients/cli/json.h"
#include "mtasts/v1/service.pb.h"

namespace {

void Compare(const google::protobuf::Message& m) {
  absl::StatusOr<std::string> reference = mtasts::cli::ProtobufJson(m);
  absl::StatusOr<std::string> ours = mtasts::cli::MessageToJson(m);
  if (reference.ok() != ours.ok()) abort();
  if (reference.ok() && *reference != *ours) abort();
  std::string direct;
  if (mtasts::cli::AppendDirectJson(m, &direct) &&
      (!reference.ok() || direct != *reference)) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  mtasts::v1::FleetEvent event;
  if (event.ParseFromString(bytes)) Compare(event);
  mtasts::v1::FleetEvent raw;
  raw.mutable_error()->set_domain(bytes);
  raw.mutable_error()->set_tag(bytes.substr(0, size / 2));
  Compare(raw);
  return 0;
}

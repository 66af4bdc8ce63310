// The wire contract of a protobuf package as lines of text, and the
// comparison that tells a breaking change from an addition.
//
// One line per element, in declaration order, e.g.
//   file mtasts/v1/service.proto package mtasts.v1
//   message mtasts.v1.FleetRequest
//   field mtasts.v1.FleetRequest.tag = 2 optional string
//   value mtasts.v1.Severity.SEVERITY_INFO = 1
//   rpc mtasts.v1.MtaStsChecker.StreamFleet (stream .mtasts.v1.FleetRequest) returns (stream .mtasts.v1.FleetEvent)
// Everything before " = " (or the whole line when there is none) names the
// element; the rest is what a client depends on. Comments are not part of
// the contract.
#ifndef MTASTS_TOOLS_API_COMPAT_API_SURFACE_H_
#define MTASTS_TOOLS_API_COMPAT_API_SURFACE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.pb.h"

namespace mtasts::api_compat {

// The lines of every file of `set` whose package is `package`: file syntax,
// package and options; messages (nested ones too, map entries as their
// field's type), fields with number, label, type, oneof and options,
// reserved numbers and names; enums and values; services and RPCs with
// streaming and options. Errors: the set does not build (a missing import).
absl::StatusOr<std::vector<std::string>> ApiSurface(
    const google::protobuf::FileDescriptorSet& set, absl::string_view package);

// The element a line names ("field mtasts.v1.FleetRequest.tag").
std::string ElementKey(absl::string_view line);

struct Comparison {
  // One sentence per break, e.g. "changed: field X = 2 optional string -> field X = 3 ...".
  std::vector<std::string> breaking;
  // Lines of `current` naming elements that `golden` lacks.
  std::vector<std::string> added;
};

// Every element of `golden` must be in `current` with the same line; an
// element only in `current` is an addition. Lines starting with '#' and
// blank lines are ignored.
Comparison Compare(const std::vector<std::string>& golden, const std::vector<std::string>& current);

// The golden file's text: a header saying how to update it, then `lines`.
std::string GoldenText(const std::vector<std::string>& lines);

// Splits a golden file into its element lines (comments and blanks dropped).
std::vector<std::string> ParseGolden(absl::string_view text);

}  // namespace mtasts::api_compat

#endif  // MTASTS_TOOLS_API_COMPAT_API_SURFACE_H_

// One structured log line per call (JSON, to the given stream). Every string
// field is bounded: at most 255 bytes of valid UTF-8 (bytes that are not
// UTF-8 become U+FFFD), and a longer value ends with "...(N octets)". E.g.
//   {"ts":"2026-11-28T15:00:00Z","rpc":"CheckDomain","peer":"ipv4:127.0.0.1:5000",
//    "domain":"example.com","duration_ms":41.2,"code":"OK","score":85}
#ifndef MTASTS_SERVER_CALL_LOG_H_
#define MTASTS_SERVER_CALL_LOG_H_

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mtasts::server {

class CallLog {
 public:
  // Writes to `out` (not owned; stderr in the server). Null: logging off.
  explicit CallLog(FILE* out) : out_(out) {}

  struct Record {
    std::string rpc;
    std::string peer;
    absl::Duration duration;
    std::string code;  // gRPC status code name
    // Extra fields, already typed: strings are quoted and escaped, numbers not.
    std::vector<std::pair<std::string, std::string>> strings;
    std::vector<std::pair<std::string, double>> numbers;
  };
  // Writes `record` as one line. Thread-safe.
  void Write(const Record& record);

 private:
  absl::Mutex mu_;
  // Lines are written whole under mu_, so concurrent calls never interleave.
  FILE* const out_ ABSL_PT_GUARDED_BY(mu_);
};

// "OK", "INVALID_ARGUMENT", ... for a numeric gRPC status code.
const char* StatusCodeName(int code);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_CALL_LOG_H_

// A minimal HTTP/1.0 GET on loopback for tests of the metrics endpoint (and
// of a Prometheus started by a test): blocking, bounded, no redirects.
#ifndef MTASTS_SERVER_LOOPBACK_HTTP_GET_H_
#define MTASTS_SERVER_LOOPBACK_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mtasts::server {

struct HttpReply {
  int status = 0;        // e.g. 200
  std::string headers;   // the header block, status line included
  std::string body;
};

// GETs `target` (e.g. "/metrics") from 127.0.0.1:`port`. Errors: UNAVAILABLE
// (cannot connect, no complete reply within `timeout`, reply over 8 MiB).
absl::StatusOr<HttpReply> LoopbackHttpGet(int port, const std::string& target,
                                          absl::Duration timeout = absl::Seconds(10));

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_LOOPBACK_HTTP_GET_H_

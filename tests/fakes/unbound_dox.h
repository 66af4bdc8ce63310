// A real unbound (Debian's, built with libnghttp2) serving DNS over TLS and
// DNS over HTTPS (and plain DNS) on 127.0.0.1 high ports, for tests of the stream
// transports: answers come from local-data lines (no recursion), or from a
// stub zone when a test points it at a lab server.
//
//   auto cert = ca->Issue(CertSpec{.dns_names = {"dns.test"}, .ip_addresses = {"127.0.0.1"}});
//   UnboundDox::Options o;
//   o.cert = *cert;
//   o.local_data = {"a.example.test. 300 IN TXT \"v=STSv1; id=1\""};
//   auto dox = UnboundDox::Start(o);   // UNAVAILABLE when unbound is missing
//   (*dox)->dot_port(); (*dox)->doh_port();
//
// The process is started with fork/exec, its own config and certificate in
// a fresh directory, and stopped (by its PID) in the destructor.
#ifndef MTASTS_TESTS_FAKES_UNBOUND_DOX_H_
#define MTASTS_TESTS_FAKES_UNBOUND_DOX_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::fakes {

class UnboundDox {
 public:
  struct Options {
    TestCert cert;                        // presented on both listeners
    std::vector<std::string> local_data;  // unbound local-data, absolute names
    // Zones answered from local_data (static: other names NXDOMAIN).
    std::vector<std::string> local_zones = {"example.test."};
    // Extra "server:" lines (e.g. stub-zone clauses go in extra_config).
    std::vector<std::string> extra_server;
    std::string extra_config;  // appended after the server: clause
  };
  // Errors: UNAVAILABLE when /usr/sbin/unbound is missing; INTERNAL when it
  // does not start (with its log).
  static absl::StatusOr<std::unique_ptr<UnboundDox>> Start(const Options& options);
  ~UnboundDox();

  int dot_port() const { return dot_port_; }
  int doh_port() const { return doh_port_; }
  // Plain DNS (UDP and TCP), the same answers.
  int dns_port() const { return dns_port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  UnboundDox() = default;
  pid_t pid_ = -1;
  int dot_port_ = 0;
  int doh_port_ = 0;
  int dns_port_ = 0;
  std::string dir_;
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_UNBOUND_DOX_H_

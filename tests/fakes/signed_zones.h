// SignedZones: DNSSEC-signed test zones served by a real nsd on loopback.
//
// At start it writes zone files, generates a key per signed zone
// (ldns-keygen), signs children first (ldns-signzone), puts their DS records
// (from ldns-keygen's .ds files) into the parents, and serves every zone from
// one nsd on 127.0.0.1 and a free port. One nsd answers for all zones, so
// resolvers reach it as a forwarder (RD queries; answers are validated by the
// resolver from trust_anchor_file(), the lab's own root key).
//
//   auto zones = SignedZones::Start({});        // UNAVAILABLE without nsd/ldnsutils
//   validator_options.forwarder = zones->forwarder();
//   validator_options.trust_anchor_file = zones->trust_anchor_file();
//
// The zones (TLD "test."; ns.test. is nsd's own address):
//   secure.test    signed, DS in test.: MX, _mta-sts TXT, mta-sts A, mx A,
//                  TLSA at _25._tcp.mx.secure.test
//   insecure.test  unsigned, no DS (an insecure delegation): same records
//   bogus.test     signed, DS in test., then its MX and TXT rdata tampered
//   expired.test   signed with RRSIGs that expired in the past
// Extra records per zone come from Options::extra (e.g. the TLSA a test
// computed from its certificate).
//
// The destructor kills exactly the nsd it started (by PID) and removes the
// directory. Nothing is installed here: scripts/ensure_deps.sh installs nsd
// and ldnsutils; without them Start() returns UNAVAILABLE and tests skip
// (or fail under CI=true: tests/fakes/prerequisite.h).
#ifndef MTASTS_TESTS_FAKES_SIGNED_ZONES_H_
#define MTASTS_TESTS_FAKES_SIGNED_ZONES_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mtasts::fakes {

class SignedZones {
 public:
  struct Options {
    // zone name without trailing dot ("secure.test") -> records in zone-file
    // syntax with absolute names, added before signing.
    std::map<std::string, std::vector<std::string>> extra;
    // TLSA record data (presentation) at _25._tcp.mx.<zone> for secure.test and
    // insecure.test; a fixed DANE-EE SPKI SHA-256 placeholder by default.
    std::string tlsa_rdata =
        "3 1 1 0000000000000000000000000000000000000000000000000000000000000000";
    // Where nsd listens, also the glue of ns.test. in the zones. Port 0: a
    // free one. Port 53 on an address of 127/8 lets a resolver recurse from
    // this root by itself (referrals carry no port), e.g. a stub for ".".
    std::string address = "127.0.0.1";
    int port = 0;
  };

  // Errors: UNAVAILABLE when nsd or ldnsutils are not installed; INTERNAL when
  // a tool fails (with its output).
  static absl::StatusOr<std::unique_ptr<SignedZones>> Start(const Options& options);
  ~SignedZones();

  int port() const { return port_; }
  const std::string& address() const { return address_; }
  // "<address>@<port>", for DnssecOptions::forwarder / --dnssec_forwarder,
  // or as the address of a stub zone for ".".
  std::string forwarder() const;
  // The lab root's KSK as a DS line.
  const std::string& trust_anchor_file() const { return trust_anchor_file_; }
  const std::string& dir() const { return dir_; }

 private:
  SignedZones() = default;
  std::string dir_;
  std::string trust_anchor_file_;
  std::string address_;
  int port_ = 0;
  pid_t nsd_pid_ = -1;
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_SIGNED_ZONES_H_

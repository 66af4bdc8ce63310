// Resolving the domain's MX set once per run (Input::kMxSet), then each MX
// host's A and AAAA records (Input::kMxAddresses). The MX set always goes
// into the evidence (preferences, addresses, null MX, aliases), and what it
// says about the domain as a whole (no MX, null MX, NXDOMAIN, failed lookup,
// MX pointing at an alias) becomes domain findings (MxSetFindings()).
//
//   MxSetResolver mx(ctx, /*max_mx_hosts=*/32,
//                    [&](v1::Finding f) { *report.add_domain_findings() = f; });
//   mx.Start([&] { /* mx.mx_set_ready(), then mx.addresses_ready() */ });
//
// Queries go through ctx.dns(): cancelled with the run's DNS session.
// Reactor thread only.
#ifndef MTASTS_CHECKS_INPUTS_MX_SET_RESOLVER_H_
#define MTASTS_CHECKS_INPUTS_MX_SET_RESOLVER_H_

#include <cstddef>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/inputs/run_inputs.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {

class MxSetResolver {
 public:
  using DomainFindingSink = absl::AnyInvocable<void(v1::Finding)>;
  // `ctx` outlives the resolver. Hosts beyond `max_mx_hosts` (after sorting
  // by preference, then name) are dropped.
  MxSetResolver(CheckContext& ctx, int max_mx_hosts, DomainFindingSink add_domain_finding)
      : ctx_(ctx), max_mx_hosts_(max_mx_hosts), add_domain_finding_(std::move(add_domain_finding)) {}
  MxSetResolver(const MxSetResolver&) = delete;
  MxSetResolver& operator=(const MxSetResolver&) = delete;

  // Starts the MX lookup. `on_progress` runs when the MX answer is in
  // (mx_set_ready()) and again when every host's address lookups are in
  // (addresses_ready(); in the same call when there are no hosts). It runs on
  // the reactor thread, from DNS callbacks, never inside Start.
  void Start(absl::AnyInvocable<void()> on_progress);

  // The run's deadline (`budget` after its start) came first: marks the MX
  // set known (empty if its lookup never returned, with a CHECK_TIMED_OUT
  // domain finding saying the run was cut short: not MX_LOOKUP_FAILED, which
  // would blame the domain) and stops waiting for address lookups. No
  // callback runs afterwards.
  void GiveUp(absl::Duration budget);

  bool mx_set_ready() const { return mx_ready_; }
  bool addresses_ready() const { return mx_ready_ && address_lookups_pending_ == 0; }
  const MxSet& mx_set() const { return mx_set_; }

 private:
  void OnMxLookup(net::DnsResult result);
  void OnHostAddresses(size_t host_index, net::DnsResult result);

  CheckContext& ctx_;
  const int max_mx_hosts_;
  DomainFindingSink add_domain_finding_;
  absl::AnyInvocable<void()> on_progress_;
  MxSet mx_set_;
  bool mx_ready_ = false;
  bool gave_up_ = false;
  int address_lookups_pending_ = 0;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_INPUTS_MX_SET_RESOLVER_H_

// Fetching the policy the way a sender does (RFC 8461 §3.3), from every
// address of mta-sts.<domain>: the run's shared Input::kPolicy. Resolves A
// and AAAA, asks the address guard about each address, and GETs
// /.well-known/mta-sts.txt over HTTPS from each allowed one (at most
// ProbeSettings::max_policy_addresses), all in parallel on the run's reactor,
// and parses the chosen body once for every check. Judging how the fetch
// went is the policy_fetch check's job.
//
//   auto fetcher = std::make_unique<PolicyFetcher>(ctx);
//   fetcher->Start([](PolicyFetch fetch) { ... });  // later, reactor thread
//   fetcher.reset();  // cancels the HTTPS fetches; the callback never runs
//
// The DNS queries go through ctx.dns(): they stop with the run's session.
#ifndef MTASTS_CHECKS_INPUTS_POLICY_FETCHER_H_
#define MTASTS_CHECKS_INPUTS_POLICY_FETCHER_H_

#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "checks/check.h"
#include "net/address_guard.h"
#include "net/https_get.h"
#include "net/lifetime.h"

namespace mtasts::checks {

inline constexpr char kPolicyPath[] = "/.well-known/mta-sts.txt";

class PolicyFetcher {
 public:
  using Callback = absl::AnyInvocable<void(PolicyFetch)>;
  // `ctx` must outlive the fetcher.
  explicit PolicyFetcher(CheckContext& ctx) : ctx_(ctx) {}
  PolicyFetcher(const PolicyFetcher&) = delete;
  PolicyFetcher& operator=(const PolicyFetcher&) = delete;

  // Starts; `done` runs once, on the reactor thread, never inside Start.
  void Start(Callback done);

 private:
  void OnAddresses(bool ipv6, net::DnsResult result);
  void FetchAll();
  void OnFetched(size_t index, net::HttpsResult result);
  void MaybeDone();

  CheckContext& ctx_;
  Callback done_;
  PolicyFetch fetch_;
  int lookups_pending_ = 0;
  int fetches_pending_ = 0;
  std::vector<std::unique_ptr<net::HttpsFetch>> in_flight_;
  // Posted reactions do nothing once we are gone.
  net::LifetimeToken lifetime_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_INPUTS_POLICY_FETCHER_H_

#include "checks/inputs/policy_fetcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "checks/inputs/guarded_address.h"

namespace mtasts::checks {

void PolicyFetcher::Start(Callback done) {
  done_ = std::move(done);
  fetch_.host = absl::StrCat("mta-sts.", ctx_.domain());
  fetch_.url = absl::StrCat("https://", fetch_.host,
                            ctx_.settings().https_port == 443
                                ? ""
                                : absl::StrCat(":", ctx_.settings().https_port),
                            kPolicyPath);
  lookups_pending_ = 2;
  ctx_.dns().Query(fetch_.host, net::RrType::kA,
                   [this](net::DnsResult r) { OnAddresses(false, std::move(r)); });
  ctx_.dns().Query(fetch_.host, net::RrType::kAaaa,
                   [this](net::DnsResult r) { OnAddresses(true, std::move(r)); });
}

void PolicyFetcher::OnAddresses(bool ipv6, net::DnsResult result) {
  ctx_.RecordLookup(result);
  (ipv6 ? fetch_.aaaa_lookup : fetch_.a_lookup) = std::move(result);
  if (--lookups_pending_ == 0) FetchAll();
}

void PolicyFetcher::FetchAll() {
  const ProbeSettings& settings = ctx_.settings();
  int budget = settings.max_policy_addresses;
  for (const net::DnsResult* lookup : {&fetch_.a_lookup, &fetch_.aaaa_lookup}) {
    for (const std::string& address : lookup->addresses) {
      PolicyFetchAttempt attempt;
      attempt.address = address;
      attempt.guard = GuardResolvedAddress(ctx_.address_guard(), address);
      if (attempt.guard.allowed && budget-- <= 0) attempt.skipped = true;
      fetch_.attempts.push_back(std::move(attempt));
    }
  }
  fetch_.slow_after = settings.policy_fetch_slow_after;
  net::HttpsLimits limits = settings.https;
  limits.deadline = ctx_.deadline();
  // Counted first: a fetch can fail only through its callback, which never
  // runs inside HttpsGet, so MaybeDone cannot fire early.
  for (const auto& attempt : fetch_.attempts) fetches_pending_ += attempt.contacted() ? 1 : 0;
  for (size_t i = 0; i < fetch_.attempts.size(); ++i) {
    if (!fetch_.attempts[i].contacted()) continue;
    // The guard judged this exact address; we connect to it and nothing else
    // (no second resolution, so no rebinding).
    in_flight_.push_back(net::HttpsGet(
        &ctx_.reactor(), &ctx_.tls_context(), fetch_.attempts[i].address,
        settings.https_port, fetch_.host, kPolicyPath, limits,
        [this, i](net::HttpsResult r) { OnFetched(i, std::move(r)); }));
  }
  if (fetches_pending_ == 0) {
    // Nothing to wait for; report from a fresh reaction, never inside Start's
    // call chain of DNS callbacks (the caller may destroy us in `done`).
    ctx_.reactor().Post(lifetime_.Guard([this] { MaybeDone(); }));
  }
}

void PolicyFetcher::OnFetched(size_t index, net::HttpsResult result) {
  fetch_.attempts[index].result = std::move(result);
  --fetches_pending_;
  MaybeDone();
}

void PolicyFetcher::MaybeDone() {
  if (fetches_pending_ > 0 || !done_) return;
  for (size_t i = 0; i < fetch_.attempts.size(); ++i) {
    const auto& attempt = fetch_.attempts[i];
    if (attempt.contacted() && attempt.result.ok() && attempt.result.status_code == 200) {
      fetch_.chosen = static_cast<int>(i);
      fetch_.parsed = ParsePolicy(attempt.result.body);
      break;
    }
  }
  auto done = std::move(done_);
  done(std::move(fetch_));
}

}  // namespace mtasts::checks

#include "checks/mx_tls/mx_tls_check.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "checks/common/cached_check_run.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/inputs/guarded_address.h"
#include "checks/mx_tls/mx_tls_judge.h"
#include "checks/common/policy.h"
#include "net/address_guard.h"
#include "net/lifetime.h"

namespace mtasts::checks {
namespace {

// One run's probes. Owns itself until it stops (see the class comment in the
// header); touched only on the run's reactor thread.
class MxTlsRun final : public CachedCheckRun<MxTlsRun, ProbeCache> {
 public:
  using CachedCheckRun::CachedCheckRun;

  void Start() {
    HoldSelf();
    const ParsedPolicy& policy = ctx_->policy().parsed;
    if (policy.valid) input_.mode = policy.mode;
    input_.greeting_slow_after = ctx_->settings().smtp_greeting_slow_after;
    const MxSet& mx = ctx_->mx_set();
    for (size_t i = 0; i < mx.hosts.size(); ++i) {
      MxHostProbes host;
      host.host = absl::AsciiStrToLower(mx.hosts[i].host);
      if (!host.host.empty() && host.host.back() == '.') host.host.pop_back();
      if (i < mx.addresses.size()) {
        host.a_outcome = mx.addresses[i].a.outcome;
        host.aaaa_outcome = mx.addresses[i].aaaa.outcome;
        for (const auto* lookup : {&mx.addresses[i].a, &mx.addresses[i].aaaa}) {
          for (const std::string& address : lookup->addresses) {
            if (host.addresses.size() >= MxTlsCheck::kMaxAddressesPerHost) break;
            MxAddressProbe probe;
            probe.address = address;
            probe.guard = GuardResolvedAddress(ctx_->address_guard(), address);
            host.addresses.push_back(std::move(probe));
          }
        }
      }
      input_.hosts.push_back(std::move(host));
    }
    for (size_t h = 0; h < input_.hosts.size(); ++h) {
      for (size_t a = 0; a < input_.hosts[h].addresses.size(); ++a) {
        if (input_.hosts[h].addresses[a].guard.allowed) todo_.push_back({h, a});
      }
    }
    waiters_.assign(todo_.size(), 0);
    if (todo_.empty()) {
      // Purely local verdict (no hosts, or every address refused).
      reactor_->Post([self = shared_from_this()] { self->Finish(); });
      return;
    }
    deadline_timer_.RunAt(ctx_->deadline(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->Stop();
    });
    // The run may end first (its deadline, or the caller cancels): leave the
    // probe cache at once rather than when the probes come back.
    StopOnCancel();
    RequestMore();
  }

 private:
  struct Slot {
    size_t host;
    size_t address;
  };

  void RequestMore() {
    const ProbeSettings& settings = ctx_->settings();
    while (next_ < todo_.size() && in_flight_ < MxTlsCheck::kMaxProbesPerDomain) {
      const size_t index = next_++;
      const Slot slot = todo_[index];
      const std::string& host = input_.hosts[slot.host].host;
      const std::string& address = input_.hosts[slot.host].addresses[slot.address].address;
      ProbeKey key{host, address, settings.smtp_port};
      // The factory may run later for a queued key, after this run is gone:
      // it holds copies and engine-owned pointers only.
      const net::TlsClientContext* tls = &ctx_->tls_context();
      ProbeCache::Factory factory =
          [tls, key, ehlo = settings.ehlo_name, limits = settings.smtp](
              net::Reactor* reactor, net::SmtpProbeCallback done) mutable {
            return net::ProbeSmtpStartTls(reactor, tls, key.address, key.port, key.host, ehlo,
                                          limits, std::move(done));
          };
      ++in_flight_;
      waiters_[index] = cache_.Get(
          key, settings.mx_probe_cache_ttl, reactor_, std::move(factory),
          [weak = weak_from_this(), index](net::SmtpProbeResult result) {
            if (auto self = weak.lock()) self->OnResult(index, std::move(result));
          });
    }
  }

  void OnResult(size_t index, net::SmtpProbeResult result) {
    if (stopped_ || waiters_[index] == 0) return;
    waiters_[index] = 0;
    --in_flight_;
    ++answered_;
    if (!Live()) return;
    const Slot slot = todo_[index];
    input_.hosts[slot.host].addresses[slot.address].result = std::move(result);
    if (answered_ == todo_.size()) {
      Finish();
      return;
    }
    RequestMore();
  }

  void Finish() {
    if (!Live()) return;
    CheckVerdict verdict = JudgeMxTls(input_);
    v1::Evidence& evidence = ctx_->evidence();
    for (size_t h = 0; h < input_.hosts.size(); ++h) {
      if (static_cast<int>(h) >= evidence.mx_hosts_size()) break;
      v1::MxHost* host = evidence.mutable_mx_hosts(static_cast<int>(h));
      for (const MxAddressProbe& probe : input_.hosts[h].addresses) {
        *host->add_tls() = MxTlsEvidence(probe);
      }
    }
    Deliver(std::move(verdict));
  }

  MxTlsInput input_;
  std::vector<Slot> todo_;  // waiters_ has one entry per todo_ entry
  size_t next_ = 0;
  size_t answered_ = 0;
  int in_flight_ = 0;
};

}  // namespace

void MxTlsCheck::Run(CheckContext& ctx, DoneCallback done) {
  MxTlsRun::Launch(ctx, cache_, std::move(done));
}

}  // namespace mtasts::checks

#include "checks/tls_rpt/tls_rpt_check.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "checks/common/cached_check_run.h"
#include "checks/inputs/guarded_address.h"
#include "checks/tls_rpt/rua_reachability.h"
#include "checks/tls_rpt/tlsrpt_record.h"
#include "net/https_get.h"
#include "net/lifetime.h"

namespace mtasts::checks {
namespace {

// One run of the check. Owns itself until it stops; reactor thread only.
class TlsRptRun final : public CachedCheckRun<TlsRptRun, RuaCache> {
 public:
  using CachedCheckRun::CachedCheckRun;

  void Start() {
    HoldSelf();
    StopOnCancel();
    ctx_->dns().Query("_smtp._tls." + ctx_->domain(), net::RrType::kTxt,
                      [weak = weak_from_this()](net::DnsResult result) {
                        if (auto self = weak.lock()) self->OnRecord(std::move(result));
                      });
  }

 private:
  // The work of one destination this run does for the cache (as its worker).
  struct Job {
    RuaDestination destination;
    int pending = 0;  // DNS answers awaited
    net::DnsResult mx;
    std::vector<std::string> mail_hosts;  // by preference
    size_t next_host = 0;
    std::vector<MailHostLookup> hosts;
    HttpsReachInput https;
    std::unique_ptr<net::HttpsFetch> fetch;
  };

  void OnRecord(net::DnsResult result) {
    if (stopped_) return;
    ctx_->RecordLookup(result);
    subject_ = result.name;
    v1::TlsRptEvidence* evidence = ctx_->evidence().mutable_tls_rpt();
    verdict_ = JudgeTlsRptLookup(result, evidence);
    if (!evidence->valid() || evidence->rua().empty()) {
      Finish();
      return;
    }
    const int count = evidence->rua_size();
    reach_.resize(count);
    waiters_.assign(count, 0);
    for (int i = 0; i < count; ++i) {
      reach_[i].set_uri(evidence->rua(i));
      std::string why;
      std::optional<RuaDestination> d;
      if (static_cast<size_t>(i) >= kMaxRuaChecked) {
        why = absl::StrCat("not checked: only the first ", kMaxRuaChecked,
                           " destinations of a record are");
      } else {
        d = ParseRuaDestination(evidence->rua(i), &why);
        if (!d) why = absl::StrCat("not checked: it ", why);
      }
      if (!d) {
        reach_[i].set_outcome(v1::RUA_OUTCOME_INCONCLUSIVE);
        reach_[i].set_detail(why);
        continue;
      }
      destinations_.emplace(i, *d);
      ++unanswered_;
    }
    if (unanswered_ == 0) {
      Finish();
      return;
    }
    end_ = ctx_->deadline() - kRuaDeadlineMargin;
    if (end_ != absl::InfiniteFuture()) {
      deadline_timer_.RunAt(end_, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->OnDeadline();
      });
    }
    for (auto& [index, destination] : destinations_) {
      const int i = index;
      waiters_[i] = cache_.Get(
          destination.CacheKey(), reactor_,
          [weak = weak_from_this(), cache = &cache_, i](uint64_t id) {
            auto self = weak.lock();
            if (!self || self->stopped_) {
              cache->Cancel(id);  // hands the check to the next waiter
              return;
            }
            self->Work(i, id);
          },
          [weak = weak_from_this(), i](RuaResult result, bool shared) {
            if (auto self = weak.lock()) self->OnResult(i, std::move(result), shared);
          });
    }
  }

  // --- The work of one destination. ---

  void Work(int index, uint64_t id) {
    auto job = std::make_unique<Job>();
    job->destination = destinations_.at(index);
    Job& j = *job;
    jobs_[id] = std::move(job);
    if (j.destination.kind == RuaDestination::Kind::kMailto) {
      ++j.pending;
      Query(id, j.destination.host, net::RrType::kMx, [this, id](Job& j, net::DnsResult r) {
        j.mx = std::move(r);
        OnMx(id, j);
      });
      return;
    }
    ResolveHost(id, j, j.destination.host);
  }

  // A DNS query for job `id`, whose answer is dropped once the job is gone.
  void Query(uint64_t id, const std::string& name, net::RrType type,
             absl::AnyInvocable<void(Job&, net::DnsResult)> then) {
    ctx_->dns().Query(name, type, [weak = weak_from_this(), id,
                                   then = std::move(then)](net::DnsResult r) mutable {
      auto self = weak.lock();
      if (!self || self->stopped_) return;
      auto it = self->jobs_.find(id);
      if (it == self->jobs_.end()) return;
      self->ctx_->RecordLookup(r);
      then(*it->second, std::move(r));
    });
  }

  void OnMx(uint64_t id, Job& j) {
    --j.pending;
    if (j.mx.outcome == net::DnsOutcome::kAnswer) {
      std::vector<net::MxRecord> records = j.mx.mx;
      std::stable_sort(records.begin(), records.end(),
                       [](const net::MxRecord& a, const net::MxRecord& b) {
                         return a.preference < b.preference;
                       });
      for (const net::MxRecord& r : records) {
        if (!r.host.empty()) j.mail_hosts.push_back(r.host);
      }
    } else if (j.mx.outcome == net::DnsOutcome::kNoData) {
      j.mail_hosts.push_back(j.destination.host);  // implicit MX
    }
    NextMailHost(id, j);
  }

  // Resolves the next mail host, or judges when one had an address or none
  // is left to try.
  void NextMailHost(uint64_t id, Job& j) {
    const bool found = std::any_of(j.hosts.begin(), j.hosts.end(), [](const MailHostLookup& h) {
      return !h.a.addresses.empty() || !h.aaaa.addresses.empty();
    });
    if (found || j.next_host >= j.mail_hosts.size() || j.next_host >= kMaxRuaMailHosts) {
      const size_t left = found ? 0 : j.mail_hosts.size() - j.next_host;
      Done(id, JudgeMailtoLookups(j.destination.host, j.mx, j.hosts, left));
      return;
    }
    const size_t h = j.hosts.size();
    j.hosts.push_back({j.mail_hosts[j.next_host++], {}, {}});
    j.pending = 2;
    const std::string name = j.hosts[h].host;
    auto then = [this, id, h](bool v6) {
      return [this, id, h, v6](Job& j, net::DnsResult r) {
        (v6 ? j.hosts[h].aaaa : j.hosts[h].a) = std::move(r);
        if (--j.pending == 0) NextMailHost(id, j);
      };
    };
    Query(id, name, net::RrType::kA, then(false));
    Query(id, name, net::RrType::kAaaa, then(true));
  }

  void ResolveHost(uint64_t id, Job& j, const std::string& host) {
    j.pending = 2;
    auto then = [this, id](bool v6) {
      return [this, id, v6](Job& j, net::DnsResult r) {
        (v6 ? j.https.aaaa : j.https.a) = std::move(r);
        if (--j.pending == 0) Fetch(id, j);
      };
    };
    Query(id, host, net::RrType::kA, then(false));
    Query(id, host, net::RrType::kAaaa, then(true));
  }

  void Fetch(uint64_t id, Job& j) {
    std::string address;
    for (const net::DnsResult* r : {&j.https.a, &j.https.aaaa}) {
      for (const std::string& a : r->addresses) {
        const net::GuardVerdict guard = GuardResolvedAddress(ctx_->address_guard(), a);
        if (guard.allowed) {
          if (address.empty()) address = a;
        } else {
          j.https.refused.push_back(guard.explanation);
          if (!guard.range.empty()) j.https.refused_by_range = true;
        }
      }
    }
    if (address.empty()) {
      Done(id, JudgeHttpsReach(j.destination, j.https));
      return;
    }
    net::HttpsLimits limits;
    limits.deadline = end_;
    limits.http.max_body_bytes = kMaxRuaBodyBytes;
    j.fetch = net::HttpsGet(
        reactor_, &ctx_->tls_context(), address, j.destination.port, j.destination.host,
        j.destination.path, limits, [weak = weak_from_this(), id](net::HttpsResult r) {
          auto self = weak.lock();
          if (!self || self->stopped_) return;
          auto it = self->jobs_.find(id);
          if (it == self->jobs_.end()) return;
          Job& j = *it->second;
          j.https.fetch = std::move(r);
          self->Done(id, JudgeHttpsReach(j.destination, j.https));
        });
  }

  void Done(uint64_t id, RuaResult result) {
    // The fetch may be calling us: destroy it later, on this reactor.
    auto it = jobs_.find(id);
    if (it != jobs_.end()) {
      reactor_->Post([job = std::shared_ptr<Job>(std::move(it->second))] {});
      jobs_.erase(it);
    }
    cache_.Finish(id, std::move(result));  // posts to every waiter, us included
  }

  // --- Results. ---

  void OnResult(int index, RuaResult result, bool shared) {
    if (stopped_ || waiters_[index] == 0) return;
    waiters_[index] = 0;
    reach_[index].set_outcome(result.outcome);
    reach_[index].set_detail(std::move(result.detail));
    reach_[index].set_cached(shared);
    if (--unanswered_ == 0) Finish();
  }

  void OnDeadline() {
    if (stopped_) return;
    for (size_t i = 0; i < waiters_.size(); ++i) {
      if (waiters_[i] == 0) continue;
      reach_[i].set_outcome(v1::RUA_OUTCOME_INCONCLUSIVE);
      reach_[i].set_detail("not checked in time: the report's deadline came first");
    }
    Finish();
  }

  void Finish() {
    if (!Live()) return;
    v1::TlsRptEvidence* evidence = ctx_->evidence().mutable_tls_rpt();
    for (const v1::RuaReachability& r : reach_) *evidence->add_reachability() = r;
    AddRuaReachability(reach_, reach_.size(), subject_, &verdict_);
    Deliver(std::move(verdict_));
  }

  // Once the run has left the cache (handing our checks to other waiters):
  // closes the fetches.
  void OnStop() override {
    for (auto& [id, job] : jobs_) cache_.Cancel(id);  // already left: no-op
    reactor_->Post([jobs = std::make_shared<decltype(jobs_)>(std::move(jobs_))] {});
    jobs_.clear();
  }

  CheckVerdict verdict_;
  std::string subject_;
  std::vector<v1::RuaReachability> reach_;             // per rua URI, as waiters_
  absl::flat_hash_map<int, RuaDestination> destinations_;  // by rua index
  absl::flat_hash_map<uint64_t, std::unique_ptr<Job>> jobs_;  // by cache waiter id
  size_t unanswered_ = 0;
  absl::Time end_ = absl::InfiniteFuture();
};

}  // namespace

void TlsRptCheck::Run(CheckContext& ctx, DoneCallback done) {
  TlsRptRun::Launch(ctx, cache_, std::move(done));
}

}  // namespace mtasts::checks

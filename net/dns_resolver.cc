#include "net/dns_resolver.h"

#include <arpa/nameser.h>
#include <ares.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/dns_answer.h"
#include "net/dns_resolver_channel.h"
#include "net/dns_resolver_reply.h"
#include "net/dns_resolver_servers.h"
#include "net/lifetime.h"

namespace mtasts::net {
namespace {

absl::Status InitAresLibrary() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  // ares_library_init is not thread-safe and must run once per process.
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_library_init: ", ares_strerror(status)));
  }
  return absl::OkStatus();
}

uint64_t NextSessionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// A DnsSession on the reactor's shared AresChannel: its lookups (CNAME hops
// and overload resends included), their pacing, and the health probe.
class AresSession final : public DnsSession, public AresChannel::Client {
 public:
  AresSession(Reactor* reactor, const DnsOptions& options, absl::Time deadline)
      : reactor_(reactor), options_(options), deadline_(deadline) {}

  ~AresSession() override {
    assert(reactor_->InReactorThread());
    lifetime_.Expire();
    cancelled_ = true;
    ReturnSlots();
    DetachAll();
    lookups_.clear();
  }

  absl::Status Init() {
    auto channel = AresChannel::Get(reactor_, options_);
    if (!channel.ok()) return channel.status();
    channel_ = *std::move(channel);
    return absl::OkStatus();
  }

  void Query(const std::string& name, RrType type, Callback done) override {
    assert(reactor_->InReactorThread());
    if (cancelled_) return;  // contract: callbacks of later queries never run
    auto owned = std::make_unique<Lookup>();
    Lookup* lookup = owned.get();
    lookup->id = next_lookup_id_++;
    lookup->result.name = NormalizeName(name);
    lookup->result.type = type;
    lookup->done = std::move(done);
    lookups_.emplace(lookup->id, std::move(owned));

    absl::Status valid = ValidateName(lookup->result.name);
    if (!valid.ok()) {
      Finish(lookup, DnsOutcome::kError, std::string(valid.message()));
      return;
    }
    lookup->current = lookup->result.name;
    lookup->seen.insert(lookup->current);
    SendWhenPaced(lookup);
  }

  void Cancel() override {
    assert(reactor_->InReactorThread());
    cancelled_ = true;
    ReturnSlots();
    // The shared channel drops their answers and sends no more retries.
    DetachAll();
    // Also drops results already waiting in the reactor's queue.
    lookups_.clear();
  }

  // From AresChannel: `pending`'s query ended (c-ares' status and answer).
  void OnPendingDone(AresChannel::Pending* pending, int status, int timeouts,
                     const unsigned char* abuf, int alen,
                     const AresChannel::Source* source) override {
    pendings_.erase(pending);
    if (ended_inline_ != nullptr) *std::exchange(ended_inline_, nullptr) = true;
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) return;
    if (pending->lookup == nullptr) {
      OnRootNs(status);
      return;
    }
    auto* lookup = static_cast<Lookup*>(pending->lookup);
    lookup->pending = nullptr;
    // c-ares counts the tries that timed out; any other end is one more try
    // that was answered (or failed at once: no server, a bad name).
    lookup->attempt_timeouts += timeouts;
    lookup->attempts += timeouts + (status == ARES_ETIMEOUT ? 0 : 1);
    // Every answer, CNAME hops included; the lookup keeps the last one's.
    lookup->result.answered_by = source != nullptr ? Attribute(*source, abuf, alen) : "";
    NoteAnsweredBy(lookup->result.answered_by);
    HandleAnswer(lookup, status, abuf, alen);
  }

  const std::vector<std::string>& AnsweredBy() const override { return answered_by_; }

  // Marks lookups of this question as answered over TCP (see AresChannel).
  void NoteTruncated(AresChannel::Pending* pending) override {
    if (pending->lookup != nullptr) static_cast<Lookup*>(pending->lookup)->result.used_tcp = true;
  }

  int InFlight() const override { return static_cast<int>(lookups_.size()); }

 private:
  // Who answered: the server the socket is connected to, or, through a
  // relay (the tls/https forwarder), whom the relay says it got it from.
  std::string Attribute(const AresChannel::Source& source, const unsigned char* abuf,
                        int alen) const {
    if (options_.answer_origin) {
      return options_.answer_origin(source.local_port, abuf, static_cast<size_t>(alen));
    }
    return source.server;
  }

  void NoteAnsweredBy(const std::string& server) {
    if (server.empty() || answered_by_.size() >= kMaxAnsweredBy) return;
    if (std::find(answered_by_.begin(), answered_by_.end(), server) != answered_by_.end()) return;
    answered_by_.push_back(server);
  }

  // The result, chain and current name in LookupProgress, which ReadReply updates.
  struct Lookup : LookupProgress {
    uint64_t id = 0;
    AresChannel::Pending* pending = nullptr;  // its query in c-ares, if any
    Callback done;
    // Pacing (with an upstream): waiting in the pacer's line, or holding a slot.
    DnsPacer::Ticket ticket = 0;
    bool holds_slot = false;
    int overload_retries = 0;     // resends because our resolver was silent
    bool window_rechecked = false;  // the mass-timeout window was read twice
    int attempts = 0;             // tries c-ares made, every query of this lookup
    int attempt_timeouts = 0;     // of those, tries that got no answer in time
    std::string timeout_detail;   // the last round's, while asking for health
  };

  // --- Pacing and the overload verdict (DnsOptions::upstream).

  // Sends `lookup`'s query now, or once the pacer hands it a slot.
  void SendWhenPaced(Lookup* lookup) {
    if (options_.upstream == nullptr) {
      StartAresQuery(lookup);
      return;
    }
    DnsPacer::Acquired acquired = options_.upstream->pacer().Acquire(
        reactor_, deadline_, [this, id = lookup->id](bool granted) { OnSlot(id, granted); });
    if (!acquired.granted_now) {
      lookup->ticket = acquired.ticket;
      return;
    }
    lookup->holds_slot = true;
    StartAresQuery(lookup);
  }

  // The pacer's turn for lookup `id` came (runs from the reactor queue; the
  // session withdraws its tickets before it is cancelled or destroyed).
  void OnSlot(uint64_t id, bool granted) {
    auto it = lookups_.find(id);
    if (it == lookups_.end()) {
      if (granted) options_.upstream->pacer().Release();
      return;
    }
    Lookup* lookup = it->second.get();
    lookup->ticket = 0;
    if (!granted) {
      Finish(lookup, DnsOutcome::kResolverOverloaded,
             absl::StrCat("still waiting in the checker's own DNS queue (at most ",
                          options_.upstream->pacer().max_outstanding(),
                          " queries outstanding) at the domain's deadline"));
      return;
    }
    lookup->holds_slot = true;
    StartAresQuery(lookup);
  }

  void ReleaseSlot(Lookup* lookup) {
    if (!lookup->holds_slot) return;
    lookup->holds_slot = false;
    options_.upstream->pacer().Release();
  }

  // Cancel and destruction: every slot and place in line goes back, and a
  // probe in flight is abandoned (its waiters ask again).
  void ReturnSlots() {
    if (options_.upstream == nullptr) return;
    DnsPacer& pacer = options_.upstream->pacer();
    for (auto& [id, lookup] : lookups_) {
      if (lookup->ticket != 0) pacer.Withdraw(std::exchange(lookup->ticket, 0));
      ReleaseSlot(lookup.get());
    }
    if (probing_) {
      probing_ = false;
      if (probe_ticket_ != 0) pacer.Withdraw(std::exchange(probe_ticket_, 0));
      if (std::exchange(probe_holds_slot_, false)) pacer.Release();
      probe_.reset();
      options_.upstream->ProbeDone(UpstreamHealth::kUnknown);
    }
  }

  // Every try of `lookup` timed out: our resolver's fault or the domain's?
  void OnTimedOut(Lookup* lookup, std::string detail) {
    if (options_.upstream == nullptr) {
      Finish(lookup, DnsOutcome::kTimeout, detail);
      return;
    }
    ReleaseSlot(lookup);
    options_.upstream->NoteLookup(session_id_, /*timed_out=*/true);
    lookup->timeout_detail = std::move(detail);
    AskHealth(lookup->id);
  }

  void AskHealth(uint64_t id) {
    UpstreamHealth known = UpstreamHealth::kUnknown;
    const DnsUpstream::Ask ask = options_.upstream->AskHealth(
        reactor_, lifetime_.Guard([this, id](UpstreamHealth health) { OnHealth(id, health); }),
        &known);
    if (ask == DnsUpstream::Ask::kKnown) {
      OnHealth(id, known);
    } else if (ask == DnsUpstream::Ask::kProbe) {
      StartProbe();
    }
  }

  void OnHealth(uint64_t id, UpstreamHealth health) {
    auto it = lookups_.find(id);
    if (it == lookups_.end()) return;  // cancelled meanwhile
    Lookup* lookup = it->second.get();
    std::string why;
    switch (health) {
      case UpstreamHealth::kUnknown:  // the prober went away: ask again
        AskHealth(id);
        return;
      case UpstreamHealth::kAnswering: {
        // It answers some questions; but lookups of many unrelated runs
        // timing out at once is its overload, not this domain's servers.
        const int sessions = options_.upstream->MassTimeoutSessions();
        if (sessions == 0) {
          // The lookups sent in the same burst as this one time out within
          // about one attempt of it; the first of them to get here sees a
          // window that does not hold the others yet. Read it once more
          // after one attempt timeout before blaming the domain (a dead
          // zone's finding comes that much later).
          if (!lookup->window_rechecked &&
              absl::Now() + options_.attempt_timeout <= deadline_) {
            lookup->window_rechecked = true;
            reactor_->RunAfter(options_.attempt_timeout, lifetime_.Guard([this, id] {
              OnHealth(id, UpstreamHealth::kAnswering);
            }));
            return;
          }
          Finish(lookup, DnsOutcome::kTimeout, lookup->timeout_detail);
          return;
        }
        why = absl::StrCat("; lookups of ", sessions,
                           " domains checked at the same time timed out too, so the "
                           "checker's own resolver is overloaded");
        break;
      }
      case UpstreamHealth::kSilent:
        why = "; the checker's own resolver did not answer a probe for the root's NS "
              "records either";
        break;
    }
    const absl::Duration backoff = options_.overload_backoff * (1 << lookup->overload_retries);
    if (lookup->overload_retries < options_.overload_retries &&
        absl::Now() + backoff + RoundTime() <= deadline_) {
      ++lookup->overload_retries;
      reactor_->RunAfter(backoff, lifetime_.Guard([this, id] {
        auto again = lookups_.find(id);
        if (again != lookups_.end()) SendWhenPaced(again->second.get());
      }));
      return;
    }
    Finish(lookup, DnsOutcome::kResolverOverloaded,
           absl::StrCat(lookup->timeout_detail,
                        lookup->overload_retries > 0
                            ? absl::StrCat(", sent ", lookup->overload_retries + 1, " times")
                            : "",
                        why));
  }

  // The longest one round of c-ares tries can take: each try of each server,
  // the attempt timeout doubling per round over the servers.
  absl::Duration RoundTime() const {
    const int servers = std::max<int>(1, static_cast<int>(options_.servers.size()));
    return options_.attempt_timeout * servers * ((1 << std::min(options_.tries, 16)) - 1);
  }

  // Sends the health probe: ". NS" on a channel of its own with one try, so
  // its answer is not hidden behind c-ares' doubling timeouts, holding an
  // urgent slot (the bound holds for probes too).
  void StartProbe() {
    probing_ = true;
    DnsPacer::Acquired acquired = options_.upstream->pacer().Acquire(
        reactor_, absl::InfiniteFuture(), [this](bool granted) { OnProbeSlot(granted); },
        /*urgent=*/true);
    if (acquired.granted_now) {
      OnProbeSlot(true);
    } else {
      probe_ticket_ = acquired.ticket;
    }
  }

  void OnProbeSlot(bool granted) {
    probe_ticket_ = 0;
    probe_holds_slot_ = granted;
    DnsOptions options = options_;
    options.upstream = nullptr;
    options.tries = 1;
    auto probe = std::make_unique<AresSession>(reactor_, options, absl::InfiniteFuture());
    if (!granted || !probe->Init().ok()) {
      EndProbe(UpstreamHealth::kSilent);
      return;
    }
    probe_ = std::move(probe);
    probe_->QueryRootNs(lifetime_.Guard([this](int status) {
      // Any reply but SERVFAIL proves the resolver works; SERVFAIL on the
      // root means it cannot reach the root either: ours to fix.
      const bool answered = status == ARES_SUCCESS || status == ARES_ENODATA ||
                            status == ARES_ENOTFOUND || status == ARES_EREFUSED;
      EndProbe(answered ? UpstreamHealth::kAnswering : UpstreamHealth::kSilent);
    }));
  }

  void EndProbe(UpstreamHealth health) {
    if (std::exchange(probe_holds_slot_, false)) options_.upstream->pacer().Release();
    probing_ = false;
    // Runs from the probe's reactor-queued callback, never inside c-ares, so
    // the probe's channel can go now.
    probe_.reset();
    options_.upstream->ProbeDone(health);
  }

 public:
  // The probe's query: ". NS", `done` gets c-ares' status, from the reactor
  // queue. One at a time; never after Cancel or destruction.
  void QueryRootNs(absl::AnyInvocable<void(int)> done) {
    probe_done_ = std::move(done);
    Send(nullptr, ".", ns_t_ns);
  }

 private:
  void OnRootNs(int status) {
    reactor_->Post(lifetime_.Guard([this, status] {
      if (auto done = std::move(probe_done_)) done(status);
    }));
  }

  void DetachAll() {
    for (AresChannel::Pending* pending : pendings_) channel_->Detach(pending);
    pendings_.clear();
    for (auto& [id, lookup] : lookups_) lookup->pending = nullptr;
  }

  void StartAresQuery(Lookup* lookup) {
    // May call OnPendingDone before returning (a name c-ares cannot encode, no
    // server): Finish() defers delivery, so Query() still never calls back.
    lookup->pending = Send(lookup, lookup->current, AresType(lookup->result.type));
  }

  // Hands a query to the channel; null when it ended inside this call.
  AresChannel::Pending* Send(Lookup* lookup, const std::string& name, int type) {
    bool ended = false;
    ended_inline_ = &ended;
    AresChannel::Pending* pending = channel_->Query(this, lookup, name, type);
    ended_inline_ = nullptr;
    if (ended) return nullptr;
    pendings_.insert(pending);
    return pending;
  }

  // What c-ares' end of the current query means (dns_resolver_reply.h).
  void HandleAnswer(Lookup* lookup, int status, const unsigned char* abuf, int alen) {
    const ReplyLimits limits{options_.max_cname_depth, options_.max_records,
                             options_.max_txt_record_bytes};
    ReplyVerdict verdict = ReadReply(status, abuf, alen, limits, lookup);
    switch (verdict.step) {
      case ReplyStep::kFinish:
        Finish(lookup, verdict.outcome, verdict.detail);
        return;
      case ReplyStep::kAskTarget:
        StartAresQuery(lookup);
        return;
      case ReplyStep::kTimedOut:
        // c-ares doubles the attempt timeout on each round over the servers.
        OnTimedOut(lookup, absl::StrCat(verdict.detail, " after ", options_.tries,
                                        " tries per server (first timeout ",
                                        absl::FormatDuration(options_.attempt_timeout), ")"));
        return;
    }
  }


  // Ends `lookup` (the c-ares side is done) and schedules its callback. The
  // callback always runs from the reactor queue: never inside Query(), and
  // never inside a c-ares callback, where destroying the session would
  // destroy the channel under c-ares' feet.
  void Finish(Lookup* lookup, DnsOutcome outcome, absl::string_view detail) {
    ReleaseSlot(lookup);  // at once: the next query in line need not wait for delivery
    if (options_.upstream != nullptr && outcome != DnsOutcome::kTimeout &&
        outcome != DnsOutcome::kResolverOverloaded) {
      options_.upstream->NoteLookup(session_id_, /*timed_out=*/false);
    }
    DnsResult& r = lookup->result;
    r.outcome = outcome;
    AddDetail(&r, detail);
    r.ttl = outcome == DnsOutcome::kAnswer && lookup->min_ttl != UINT32_MAX ? lookup->min_ttl : 0;
    if (options_.on_question_finished) {
      options_.on_question_finished(DnsQueryStats{outcome, lookup->attempts,
                                                  lookup->attempt_timeouts, r.used_tcp});
    }
    // Dropped when the session is destroyed meanwhile.
    reactor_->Post(lifetime_.Guard([this, id = lookup->id] {
      auto it = lookups_.find(id);
      if (it == lookups_.end()) return;  // cancelled meanwhile
      std::unique_ptr<Lookup> done = std::move(it->second);
      lookups_.erase(it);
      // Last use of `this`: the callback may destroy the session.
      done->done(std::move(done->result));
    }));
  }

  Reactor* const reactor_;
  const DnsOptions options_;
  const absl::Time deadline_;
  // Tells sessions apart in the upstream's window of timeouts.
  const uint64_t session_id_ = NextSessionId();
  std::shared_ptr<AresChannel> channel_;
  // This session's queries in c-ares (to detach on Cancel and destruction).
  absl::flat_hash_set<AresChannel::Pending*> pendings_;
  // Set while Send() is inside AresChannel::Query: a query that ends there
  // never enters pendings_.
  bool* ended_inline_ = nullptr;
  // The health probe this session sends for the upstream, if any.
  bool probing_ = false;
  DnsPacer::Ticket probe_ticket_ = 0;
  bool probe_holds_slot_ = false;
  std::unique_ptr<AresSession> probe_;
  absl::AnyInvocable<void(int)> probe_done_;  // QueryRootNs, on the probe session
  absl::flat_hash_map<uint64_t, std::unique_ptr<Lookup>> lookups_;
  uint64_t next_lookup_id_ = 1;
  bool cancelled_ = false;
  std::vector<std::string> answered_by_;  // NoteAnsweredBy
  // Expires with the session; results queued on the reactor check it.
  LifetimeToken lifetime_;
};

absl::Status ValidateOptions(const DnsOptions& options) {
  if (options.tries < 1) {
    return absl::InvalidArgumentError(absl::StrCat("tries must be >= 1, got ", options.tries));
  }
  if (options.attempt_timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("attempt_timeout must be >= 1ms, got ",
                     absl::FormatDuration(options.attempt_timeout)));
  }
  if (options.overload_retries < 0 || options.overload_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("overload_retries and overload_backoff must be >= 0");
  }
  if (options.max_cname_depth < 0 || options.max_records < 1 ||
      options.max_txt_record_bytes < 1) {
    return absl::InvalidArgumentError(
        "max_cname_depth must be >= 0, max_records and max_txt_record_bytes >= 1");
  }
  return ValidateDnsServers(options.servers);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DnsSession>> DnsSession::Create(Reactor* reactor,
                                                               const DnsOptions& options,
                                                               absl::Time deadline) {
  if (reactor == nullptr) return absl::InvalidArgumentError("null reactor");
  if (!reactor->InReactorThread()) {
    return absl::FailedPreconditionError("DnsSession::Create off the reactor thread");
  }
  absl::Status status = ValidateOptions(options);
  if (!status.ok()) return status;
  status = InitAresLibrary();
  if (!status.ok()) return status;
  auto session = std::make_unique<AresSession>(reactor, options, deadline);
  status = session->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<DnsSession>(std::move(session));
}

}  // namespace mtasts::net

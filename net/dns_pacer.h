// DnsPacer: a bound on the DNS queries the whole server has outstanding at its
// upstream resolver, shared by every run on every reactor, with a FIFO line
// beyond it.
//
// Without it, a fleet of thousands of domains in flight floods the resolver,
// which drops queries, and the checker then blames the domains for its own
// load (issue 10). A query takes a slot before c-ares sends it and gives it
// back when c-ares is done with it (answer, or every try timed out).
//
//   auto pacer = DnsPacer::Create(256);
//   DnsPacer::Acquired a = pacer->Acquire(reactor, deadline, [](bool granted) {
//     // reactor thread; granted: a slot is held, send, then pacer->Release()
//   });
//   if (a.granted_now) { /* slot held; send now */ }
//   ...
//   pacer->Withdraw(a.ticket);  // the owner gives up (run cancelled)
//
// Order: requests wait in arrival order (FIFO, so no run starves); `urgent`
// ones (the resolver health probe) go ahead of every normal one. A waiter
// whose deadline passed before a slot came to it is passed over: its start
// runs with granted=false and the slot goes to the next. The pacer has no
// timer of its own: an owner that must not wait past its deadline withdraws
// (CheckRun cancels its DNS session at the run's deadline).
//
// Thread-safety: every method is thread-safe. `start` runs on the reactor
// given to Acquire, never inside Acquire/Withdraw/Release. Withdraw a ticket
// on that same reactor's thread: then its start is guaranteed not to run
// afterwards.
#ifndef MTASTS_NET_DNS_PACER_H_
#define MTASTS_NET_DNS_PACER_H_

#include <cstdint>
#include <list>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/reactor.h"

namespace mtasts::net {

// Default bound on outstanding queries per upstream resolver. A local
// unbound answers cached names in well under a millisecond and resolves
// uncached ones in tens of milliseconds, so 256 in flight already keeps it
// busy at thousands of queries per second, while staying well inside the
// per-client limits resolvers drop beyond (unbound's num-queries-per-thread
// is 512 or 1024 by default, and an outgoing-range of 4096 shared by all
// clients). c-ares itself has no such bound.
inline constexpr int kDefaultDnsMaxOutstanding = 256;

class DnsPacer : public std::enable_shared_from_this<DnsPacer> {
 public:
  using Ticket = uint64_t;
  // true: a slot is held for the caller (send, then Release); false: the
  // deadline passed while waiting, no slot is held.
  using Start = absl::AnyInvocable<void(bool granted)>;

  struct Acquired {
    Ticket ticket = 0;        // for Withdraw; 0 when granted_now
    bool granted_now = false;  // a slot is held already; `start` was dropped
  };

  // `max_outstanding` < 1 is taken as 1.
  static std::shared_ptr<DnsPacer> Create(int max_outstanding);

  // Asks for one slot. A free slot with nobody waiting is taken at once
  // (granted_now). Otherwise the request waits its turn and `start` runs
  // later on `reactor`'s thread (see the header comment).
  Acquired Acquire(Reactor* reactor, absl::Time deadline, Start start, bool urgent = false);

  // Gives up a ticket whose start has not run: it leaves the line (or, when
  // a slot was already handed to it, the slot goes to the next waiter), and
  // its start never runs. True when it did; false when the start already
  // ran or the ticket is unknown (then the caller holds whatever start gave).
  bool Withdraw(Ticket ticket);

  // Returns a slot held (granted_now, or start(true) ran).
  void Release();

  int max_outstanding() const { return max_; }
  // Slots held, waiters in line, and the most slots ever held at once.
  int outstanding() const;
  int waiting() const;
  int max_seen() const;

 private:
  explicit DnsPacer(int max_outstanding) : max_(max_outstanding) {}

  struct Waiter {
    Ticket ticket = 0;
    Reactor* reactor = nullptr;
    absl::Time deadline;
    Start start;
  };
  struct Handout {
    Reactor* reactor;
    Ticket ticket;
    Start start;
  };

  // Hands free slots to waiters in order; the starts to post go to `out`.
  void HandOutLocked(std::vector<Handout>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Post(std::vector<Handout> handouts);

  const int max_;
  mutable absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  int max_seen_ ABSL_GUARDED_BY(mu_) = 0;
  Ticket next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  std::list<Waiter> urgent_ ABSL_GUARDED_BY(mu_);
  std::list<Waiter> normal_ ABSL_GUARDED_BY(mu_);
  struct Place {
    bool urgent;
    std::list<Waiter>::iterator it;
  };
  absl::flat_hash_map<Ticket, Place> queued_ ABSL_GUARDED_BY(mu_);
  // Handed out, start posted but not run yet: whether a slot came with it.
  absl::flat_hash_map<Ticket, bool> handed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_PACER_H_

#include "net/dns_pacer.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mtasts::net {

std::shared_ptr<DnsPacer> DnsPacer::Create(int max_outstanding) {
  return std::shared_ptr<DnsPacer>(new DnsPacer(std::max(1, max_outstanding)));
}

DnsPacer::Acquired DnsPacer::Acquire(Reactor* reactor, absl::Time deadline, Start start,
                                     bool urgent) {
  absl::MutexLock lock(&mu_);
  if (outstanding_ < max_ && urgent_.empty() && normal_.empty()) {
    ++outstanding_;
    max_seen_ = std::max(max_seen_, outstanding_);
    return Acquired{0, true};
  }
  const Ticket ticket = next_ticket_++;
  std::list<Waiter>& line = urgent ? urgent_ : normal_;
  line.push_back(Waiter{ticket, reactor, deadline, std::move(start)});
  queued_[ticket] = Place{urgent, std::prev(line.end())};
  return Acquired{ticket, false};
}

bool DnsPacer::Withdraw(Ticket ticket) {
  std::vector<Handout> handouts;
  {
    absl::MutexLock lock(&mu_);
    if (auto q = queued_.find(ticket); q != queued_.end()) {
      (q->second.urgent ? urgent_ : normal_).erase(q->second.it);
      queued_.erase(q);
      return true;
    }
    auto h = handed_.find(ticket);
    if (h == handed_.end()) return false;
    const bool held = h->second;
    handed_.erase(h);  // its posted start finds nothing and does nothing
    if (held) {
      --outstanding_;
      HandOutLocked(&handouts);
    }
  }
  Post(std::move(handouts));
  return true;
}

void DnsPacer::Release() {
  std::vector<Handout> handouts;
  {
    absl::MutexLock lock(&mu_);
    if (outstanding_ > 0) --outstanding_;
    HandOutLocked(&handouts);
  }
  Post(std::move(handouts));
}

void DnsPacer::HandOutLocked(std::vector<Handout>* out) {
  const absl::Time now = absl::Now();
  while (outstanding_ < max_ && (!urgent_.empty() || !normal_.empty())) {
    std::list<Waiter>& line = urgent_.empty() ? normal_ : urgent_;
    Waiter waiter = std::move(line.front());
    line.pop_front();
    queued_.erase(waiter.ticket);
    // Past its deadline: told so without taking the slot from the next one.
    const bool granted = now <= waiter.deadline;
    if (granted) {
      ++outstanding_;
      max_seen_ = std::max(max_seen_, outstanding_);
    }
    handed_[waiter.ticket] = granted;
    out->push_back(Handout{waiter.reactor, waiter.ticket, std::move(waiter.start)});
  }
}

void DnsPacer::Post(std::vector<Handout> handouts) {
  for (Handout& h : handouts) {
    h.reactor->Post([self = shared_from_this(), ticket = h.ticket,
                     start = std::move(h.start)]() mutable {
      bool granted;
      {
        absl::MutexLock lock(&self->mu_);
        auto it = self->handed_.find(ticket);
        if (it == self->handed_.end()) return;  // withdrawn meanwhile
        granted = it->second;
        self->handed_.erase(it);
      }
      start(granted);
    });
  }
}

int DnsPacer::outstanding() const {
  absl::MutexLock lock(&mu_);
  return outstanding_;
}

int DnsPacer::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queued_.size());
}

int DnsPacer::max_seen() const {
  absl::MutexLock lock(&mu_);
  return max_seen_;
}

}  // namespace mtasts::net

// Client::Fleet: a fleet spread over every backend of the target, with
// failover. See client.h for the contract and docs/design.md §3.8 for why.
//
// One worker thread per backend keeps one StreamFleet call open at a time:
// a writer thread of its own hands it entries while it has fewer than
// `window` unanswered, taking resends first, then new entries from the
// caller's source; the worker reads the events. Every entry carries the
// client's own sequence number in its tag ("<n>:<caller's tag>"), so an
// event names its entry whatever stream it came on; the caller's tag is put
// back before the event is passed on. When a stream ends without answering
// all it was sent (killed server, draining server, broken connection), the
// unanswered entries go to the front of the queue for any stream with room,
// and the backend gets a new stream after a backoff, or is given up after
// max_stream_failures failures in a row that answered nothing.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/cpp/backends.h"
#include "clients/cpp/client.h"
#include "clients/cpp/fleet_summary.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace mtasts::client {
namespace {

// Codes that end the whole fleet: another backend would say the same (the
// caller's credentials, an API the server lacks) or the caller's own limit.
bool EndsFleet(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

// "<n>:<caller's tag>" -> n; -1 when the tag is not one of ours.
int64_t EntryIndex(const std::string& tag) {
  const size_t colon = tag.find(':');
  int64_t n = -1;
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(tag.substr(0, colon), &n)) {
    return -1;
  }
  return n;
}

std::string CallerTag(const std::string& tag) { return tag.substr(tag.find(':') + 1); }

// The groups of the streams' own summaries, as one (docs/api.md, "Several
// replicas"): counts of the same key added, the most severe outcome kept,
// examples (caller tags) up to 3, largest first, 20 per kind. Streams that
// ended without a summary (a killed or draining backend) add none: their
// entries are in the counts but not in the groups.
void MergeGroupings(const std::vector<v1::FleetSummary>& from, v1::FleetSummary* into) {
  std::map<int, v1::FleetGrouping> kinds;
  std::map<std::pair<int, std::string>, v1::FleetGroup> groups;
  for (const v1::FleetSummary& s : from) {
    for (const v1::FleetGrouping& g : s.groupings()) {
      v1::FleetGrouping& k = kinds[g.kind()];
      k.set_kind(g.kind());
      k.set_keys_tracked(std::max(k.keys_tracked(), g.keys_tracked()));
      k.set_keys_not_sent(k.keys_not_sent() + g.keys_not_sent());
      k.set_untracked(k.untracked() + g.untracked());
      for (const v1::FleetGroup& group : g.groups()) {
        v1::FleetGroup& m = groups[{g.kind(), group.key()}];
        if (m.key().empty()) {
          m = group;
          m.clear_examples();
        } else {
          m.set_count(m.count() + group.count());
          if (group.severity() > m.severity()) {
            m.set_severity(group.severity());
            m.set_outcome(group.outcome());
            m.set_outcome_count(group.outcome_count());
          } else if (group.outcome() == m.outcome()) {
            m.set_outcome_count(m.outcome_count() + group.outcome_count());
          }
        }
        for (const auto& e : group.examples()) {
          if (m.examples_size() >= 3) break;
          auto* added = m.add_examples();
          *added = e;
          added->set_tag(CallerTag(e.tag()));
        }
      }
    }
  }
  for (auto& [key, group] : groups) *kinds[key.first].add_groups() = std::move(group);
  for (auto& [kind, grouping] : kinds) {
    auto* g = grouping.mutable_groups();
    std::stable_sort(g->begin(), g->end(), [](const v1::FleetGroup& a, const v1::FleetGroup& b) {
      if (a.count() != b.count()) return a.count() > b.count();
      if (a.severity() != b.severity()) return a.severity() > b.severity();
      return a.key() < b.key();
    });
    while (g->size() > 20) {
      g->RemoveLast();
      grouping.set_keys_not_sent(grouping.keys_not_sent() + 1);
    }
    *into->add_groupings() = std::move(grouping);
  }
}

// The server names an entry it could not read by its position in the stream
// ("entry 7 (tag \"12:cust\"): ..."); on a spread fleet that is the
// position in one stream of several, so it becomes the entry's position in
// the caller's fleet, counting from 1, and the caller's tag.
std::string FleetPositionMessage(const std::string& message, int64_t index) {
  absl::string_view rest = message;
  if (!absl::ConsumePrefix(&rest, "entry ")) return message;
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
  if (digits == 0) return message;
  rest.remove_prefix(digits);
  std::string out = absl::StrCat("entry ", index + 1);
  const std::string ours = absl::StrCat(" (tag \"", index, ":");
  if (absl::ConsumePrefix(&rest, ours)) absl::StrAppend(&out, " (tag \"");
  absl::StrAppend(&out, rest);
  return out;
}

class Spreader {
 public:
  using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>(const Backend&)>;
  using Resolver = std::function<absl::StatusOr<std::vector<Backend>>()>;

  // `resolve` (may be empty) finds the target's backends again after a
  // stream failure (a dns:/// name whose addresses may have changed).
  Spreader(const Client::EntrySource& source, const FleetOptions& options,
           ChannelFactory make_channel, Resolver resolve)
      : source_(source),
        options_(options),
        deadline_(options.timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                               : absl::Now() + options.timeout),
        make_channel_(std::move(make_channel)),
        resolve_(std::move(resolve)) {}

  absl::Status Run(const std::vector<Backend>& backends, const Client::EventSink& on_event,
                   FleetStats* stats) {
    const absl::Time started = absl::Now();
    AddBackends(backends);
    FleetSummaryBuilder summary;
    while (true) {
      std::deque<v1::FleetEvent> batch;
      bool over;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !deliver_.empty() || Over();
        };
        if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline_) && !Over()) {
          EndLocked(absl::DeadlineExceededError("the fleet's timeout passed"));
        }
        batch.swap(deliver_);
        over = Over();
      }
      for (const v1::FleetEvent& event : batch) {
        summary.Add(event);
        on_event(event);
      }
      if (!batch.empty() && options_.on_batch_end) options_.on_batch_end();
      if (over && batch.empty()) break;
    }
    // Workers added by a re-resolution while the first ones ran are joined too.
    while (true) {
      std::vector<std::thread> workers;
      {
        absl::MutexLock lock(&mu_);
        workers.swap(workers_);
      }
      if (workers.empty()) break;
      for (std::thread& t : workers) t.join();
    }
    {
      absl::MutexLock lock(&mu_);
      if (stats != nullptr) {
        stats->backends = static_cast<int>(backends_.size());
        stats->entries = next_index_;
        stats->answered = answered_;
        stats->resent = resent_;
        stats->duplicates = duplicates_;
        stats->per_backend.clear();
        for (const auto& b : backends_) stats->per_backend.push_back(b->stats);
      }
      if (!fatal_.ok()) return fatal_;
    }
    v1::FleetEvent last;
    *last.mutable_summary() = summary.Build(absl::Now() - started);
    {
      absl::MutexLock lock(&mu_);
      MergeGroupings(server_summaries_, last.mutable_summary());
    }
    on_event(last);
    if (options_.on_batch_end) options_.on_batch_end();
    return absl::OkStatus();
  }

 private:
  struct Entry {
    v1::FleetRequest request;  // tag already "<n>:<caller's tag>"
    int stream = -1;           // the stream it was last sent on; -1: queued
  };
  struct BackendState {
    std::unique_ptr<v1::MtaStsChecker::Stub> stub;
    int inflight = 0;  // entries sent on the current stream, unanswered
    int failures = 0;  // streams in a row that failed
    FleetStats::BackendStats stats;
  };

  // A worker for each backend not seen yet (by target), unless the fleet is over.
  void AddBackends(const std::vector<Backend>& found) {
    absl::MutexLock lock(&mu_);
    for (const Backend& b : found) {
      if (Over()) return;
      bool known = false;
      for (const auto& have : backends_) known = known || have->stats.address == b.target;
      if (known) continue;
      auto state = std::make_unique<BackendState>();
      state->stub = v1::MtaStsChecker::NewStub(make_channel_(b));
      state->stats.address = b.target;
      BackendState* raw = state.get();
      backends_.push_back(std::move(state));
      workers_.emplace_back([this, raw] { Work(*raw); });
    }
  }

  // Every entry answered, or the fleet ended with an error.
  bool Over() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return complete_ || !fatal_.ok(); }

  void EndLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (Over()) return;
    fatal_ = std::move(status);
    for (grpc::ClientContext* c : open_calls_) c->TryCancel();
  }

  void CheckCompleteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (source_done_ && outstanding_.empty() && fatal_.ok()) complete_ = true;
  }

  // One backend: streams one after the other until the fleet is over or the
  // backend is given up.
  void Work(BackendState& backend) {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (Over()) return;
        if (backend.failures > 0) {
          // Backoff before another stream: 1x, 2x, 4x ... the initial, capped.
          absl::Duration wait = options_.retry_backoff;
          for (int i = 1; i < backend.failures && wait < options_.max_retry_backoff; ++i) wait *= 2;
          wait = std::min(wait, options_.max_retry_backoff);
          auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Over(); };
          mu_.AwaitWithDeadline(absl::Condition(&over), std::min(absl::Now() + wait, deadline_));
          if (Over()) return;
        }
      }
      if (!RunStream(backend)) return;
    }
  }

  // One stream on backend b. False when the backend is done with (fleet over,
  // or given up).
  bool RunStream(BackendState& backend) {
    grpc::ClientContext context;
    if (deadline_ != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline_));
    int stream;
    {
      absl::MutexLock lock(&mu_);
      if (Over()) return false;
      stream = next_stream_++;
      open_calls_.push_back(&context);
      backend.inflight = 0;
      ++backend.stats.streams;
    }
    auto call = backend.stub->StreamFleet(&context);
    std::thread writer([&] { Send(backend, stream, *call); });
    int64_t answered_here = 0;
    bool summary = false;
    v1::FleetEvent event;
    while (call->Read(&event)) {
      std::string* tag = event.has_result()  ? event.mutable_result()->mutable_tag()
                         : event.has_error() ? event.mutable_error()->mutable_tag()
                                             : nullptr;
      if (tag == nullptr) {
        if (event.has_summary()) {
          summary = true;
          // The fleet's counts are built from the events; the server's
          // groups (fleet_summary groupings) are merged from each stream's.
          absl::MutexLock lock(&mu_);
          server_summaries_.push_back(event.summary());
        }
        continue;
      }
      const int64_t index = EntryIndex(*tag);
      absl::MutexLock lock(&mu_);
      auto it = index < 0 ? outstanding_.end() : outstanding_.find(index);
      if (it == outstanding_.end()) {
        // Already answered (or not ours): the caller sees each entry once.
        ++duplicates_;
        continue;
      }
      if (it->second.stream == stream) --backend.inflight;
      outstanding_.erase(it);
      ++answered_;
      ++answered_here;
      ++backend.stats.answered;
      *tag = CallerTag(*tag);
      if (event.has_error()) {
        event.mutable_error()->set_message(
            FleetPositionMessage(event.error().message(), index));
      }
      deliver_.push_back(std::move(event));
      CheckCompleteLocked();
    }
    // Read() returning false means the call is over: a Write() in progress
    // fails promptly, and a writer waiting for room wakes up to leave.
    {
      absl::MutexLock lock(&mu_);
      dead_streams_.insert(stream);
    }
    writer.join();
    const grpc::Status status = call->Finish();

    bool given_up = false;
    bool reresolve = false;
    absl::Status why;
    {
      absl::MutexLock lock(&mu_);
      open_calls_.erase(std::find(open_calls_.begin(), open_calls_.end(), &context));
      // Whatever this stream was sent and did not answer goes back to the queue
      // (front, in fleet order) for any stream with room.
      std::vector<int64_t> back;
      for (auto& [index, entry] : outstanding_) {
        if (entry.stream == stream) {
          entry.stream = -1;
          back.push_back(index);
        }
      }
      pending_.insert(pending_.begin(), back.begin(), back.end());
      resent_ += static_cast<int64_t>(back.size());
      backend.stats.resent_from += static_cast<int64_t>(back.size());
      backend.inflight = 0;
      // A normal end: the fleet is complete.
      if (status.ok() && summary && back.empty()) return false;
      if (Over()) return false;
      why = FromGrpc(status);
      if (why.ok()) why = absl::InternalError("the stream ended without answering every entry");
      backend.stats.last_error = why.ToString();
      ++backend.stats.failed_streams;
      if (EndsFleet(why.code())) {
        EndLocked(why);
        return false;
      }
      backend.failures = answered_here > 0 ? 1 : backend.failures + 1;
      if (backend.failures >= options_.max_stream_failures) {
        backend.stats.given_up = true;
        given_up = true;
        ++given_up_;
      }
      // The name may point elsewhere now: look again, at most once per
      // max_retry_backoff for the whole fleet.
      if (resolve_ && absl::Now() >= next_resolve_) {
        reresolve = true;
        next_resolve_ = absl::Now() + options_.max_retry_backoff;
      }
    }
    if (reresolve) {
      // Without the lock: getaddrinfo may take its time.
      absl::StatusOr<std::vector<Backend>> found = resolve_();
      if (found.ok()) AddBackends(*found);
    }
    absl::MutexLock lock(&mu_);
    if (given_up && given_up_ == static_cast<int>(backends_.size())) {
      EndLocked(absl::UnavailableError(absl::StrCat("every backend failed; ", outstanding_.size(),
                                                    " entries unanswered; last: ",
                                                    why.ToString())));
    }
    return !given_up;
  }

  // The writer of one stream: entries while it has room, half-close once the
  // whole fleet is answered.
  void Send(BackendState& backend, int stream,
            grpc::ClientReaderWriter<v1::FleetRequest, v1::FleetEvent>& call) {
    while (true) {
      v1::FleetRequest request;
      {
        absl::MutexLock lock(&mu_);
        auto can_act = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          if (Over() || dead_streams_.count(stream) > 0) return true;
          const size_t max_deliver = static_cast<size_t>(options_.window) * backends_.size();
          if (backend.inflight >= options_.window || deliver_.size() >= max_deliver) return false;
          return !pending_.empty() || (!source_done_ && !source_busy_);
        };
        mu_.Await(absl::Condition(&can_act));
        if (dead_streams_.count(stream) > 0) return;
        if (Over()) break;
        int64_t index;
        if (!pending_.empty()) {
          index = pending_.front();
          pending_.pop_front();
        } else {
          // The caller's source, one thread at a time, without the lock (it
          // may block, reading stdin).
          source_busy_ = true;
          mu_.Unlock();
          absl::StatusOr<std::optional<v1::FleetRequest>> next = source_();
          mu_.Lock();
          source_busy_ = false;
          if (!next.ok()) {
            EndLocked(next.status());
            break;
          }
          if (!next->has_value()) {
            source_done_ = true;
            CheckCompleteLocked();
            continue;
          }
          index = next_index_++;
          Entry& entry = outstanding_[index];
          entry.request = **std::move(next);
          entry.request.set_tag(absl::StrCat(index, ":", entry.request.tag()));
        }
        Entry& entry = outstanding_[index];
        entry.stream = stream;
        ++backend.inflight;
        ++backend.stats.sent;
        request = entry.request;
      }
      if (!call.Write(request)) {
        // The call is over; the reader hands this stream's entries back.
        absl::MutexLock lock(&mu_);
        dead_streams_.insert(stream);
        return;
      }
    }
    // Fleet over: half-close (the server answers with its summary) when
    // complete; after an error the reader's cancel ends the call.
    {
      absl::MutexLock lock(&mu_);
      if (!complete_) return;
    }
    call.WritesDone();
  }

  const Client::EntrySource& source_;
  const FleetOptions options_;
  const absl::Time deadline_;
  const ChannelFactory make_channel_;
  const Resolver resolve_;

  absl::Mutex mu_;
  // Workers hold their BackendState by pointer: the vector only grows.
  std::vector<std::unique_ptr<BackendState>> backends_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);  // not joined yet
  absl::Time next_resolve_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<int64_t, Entry> outstanding_ ABSL_GUARDED_BY(mu_);  // taken, unanswered
  std::deque<int64_t> pending_ ABSL_GUARDED_BY(mu_);  // to send again
  std::deque<v1::FleetEvent> deliver_ ABSL_GUARDED_BY(mu_);
  std::vector<grpc::ClientContext*> open_calls_ ABSL_GUARDED_BY(mu_);
  std::set<int> dead_streams_ ABSL_GUARDED_BY(mu_);
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  int next_stream_ ABSL_GUARDED_BY(mu_) = 0;
  bool source_done_ ABSL_GUARDED_BY(mu_) = false;
  bool source_busy_ ABSL_GUARDED_BY(mu_) = false;
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  int64_t answered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t resent_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<v1::FleetSummary> server_summaries_ ABSL_GUARDED_BY(mu_);
  int64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  int given_up_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::Status Client::Fleet(const EntrySource& next_entry, const EventSink& on_event,
                           const FleetOptions& options, FleetStats* stats) {
  if (options.window < 1 || options.max_stream_failures < 1 ||
      options.retry_backoff <= absl::ZeroDuration() ||
      options.max_retry_backoff < options.retry_backoff) {
    return absl::InvalidArgumentError(
        "fleet options: window and max_stream_failures must be at least 1, the backoffs "
        "positive and the maximum at least the initial one");
  }
  absl::StatusOr<std::vector<Backend>> backends = ResolveBackends(target_);
  if (!backends.ok()) return backends.status();
  auto make_channel = [this](const Backend& b) -> std::shared_ptr<grpc::Channel> {
    if (b.target == target_) return channel_;
    grpc::ChannelArguments args = args_;
    if (!b.authority.empty()) {
      // The name the caller gave, not the address: TLS checks the server's
      // certificate against it.
      args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, b.authority);
      if (tls_) args.SetSslTargetNameOverride(b.authority.substr(0, b.authority.rfind(':')));
    }
    return grpc::CreateCustomChannel(b.target, credentials_, args);
  };
  Spreader::Resolver resolve;
  // Only names can change their addresses.
  if (backends->size() != 1 || (*backends)[0].target != target_) {
    if (absl::StartsWith(target_, "dns:")) {
      resolve = [this] { return ResolveBackends(target_); };
    }
  }
  Spreader spreader(next_entry, options, make_channel, resolve);
  return spreader.Run(*backends, on_event, stats);
}

absl::Status Client::Fleet(const EntrySource& next_entry, const EventSink& on_event,
                           absl::Duration timeout) {
  FleetOptions options;
  options.timeout = timeout;
  return Fleet(next_entry, on_event, options);
}

}  // namespace mtasts::client

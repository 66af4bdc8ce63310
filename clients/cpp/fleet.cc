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
//
// With FleetOptions::drive_on_calling_thread the streams are async calls on
// one completion queue that the calling thread drives alone (reads, events,
// source, writes), so no thread is woken per entry; the workers only start
// the streams and do what follows their end.
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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/cpp/backends.h"
#include "clients/cpp/client.h"
#include "clients/cpp/fleet_summary.h"
#include "clients/cpp/fleet_tags.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/support/async_stream.h"

namespace mtasts::client {
namespace {

using fleet_tags::CallerTag;
using fleet_tags::EntryIndex;
using fleet_tags::FleetPositionMessage;
using fleet_tags::MergeGroupings;

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
    sink_ = &on_event;
    if (options_.drive_on_calling_thread) {
      cq_ = std::make_unique<grpc::CompletionQueue>();
      AddBackends(backends);
      Drive();
      cq_->Shutdown();
      void* tag;
      bool ok;
      while (cq_->Next(&tag, &ok)) {
      }
    } else {
      AddBackends(backends);
      DeliverBatches();
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
    {
      absl::MutexLock lock(&deliver_mu_);
      *last.mutable_summary() = summary_.Build(absl::Now() - started);
    }
    {
      absl::MutexLock lock(&mu_);
      MergeGroupings(server_summaries_, last.mutable_summary());
    }
    absl::MutexLock lock(&deliver_mu_);
    on_event(last);
    if (options_.on_batch_end) options_.on_batch_end();
    return absl::OkStatus();
  }

 private:
  // The sync streams' events, passed on in batches as they are queued.
  void DeliverBatches() {
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
      if (!batch.empty()) {
        absl::MutexLock lock(&deliver_mu_);
        for (const v1::FleetEvent& event : batch) {
          summary_.Add(event);
          (*sink_)(event);
        }
        if (options_.on_batch_end) options_.on_batch_end();
      }
      if (over && batch.empty()) break;
    }
  }

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
  // What one stream did (guarded by mu_ while it runs).
  struct StreamEnd {
    int64_t answered = 0;  // entries it answered first
    bool summary = false;  // the server's summary arrived
  };

  // One stream on the completion queue that the calling thread drives
  // (FleetOptions::drive_on_calling_thread). Each operation's tag points at
  // the stream; everything but the messages is guarded by mu_.
  struct AsyncStream {
    enum Op { kStart, kRead, kWrite, kWritesDone, kFinish, kOps };
    struct Tag { AsyncStream* stream; Op op; };
    AsyncStream(BackendState& b, int id) : backend(b), stream(id) {
      for (int op = 0; op < kOps; ++op) tags[op] = {this, static_cast<Op>(op)};
    }
    BackendState& backend;
    const int stream;
    Tag tags[kOps];
    std::unique_ptr<grpc::ClientAsyncReaderWriterInterface<v1::FleetRequest, v1::FleetEvent>>
        call;
    v1::FleetEvent event;      // being read
    v1::FleetRequest request;  // being written
    StreamEnd end;
    int ops = 0;           // started, not returned by the queue yet
    bool writing = false;  // a write (or the half-close) in progress
    bool closed = false;   // half-closed, or a write failed: no more writes
    bool finishing = false;
    grpc::Status status;
    bool done = false;  // finished, nothing pending: its worker takes over
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
      // Counted before the lock is let go: Drive() ends only after it.
      if (options_.drive_on_calling_thread) ++open_streams_;
      backend.inflight = 0;
      ++backend.stats.streams;
    }
    StreamEnd end;
    const grpc::Status status = options_.drive_on_calling_thread
                                    ? RunAsyncStream(backend, stream, context, end)
                                    : RunSyncStream(backend, stream, context, end);

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
      if (!back.empty()) PumpLocked();  // callback streams with room take them now
      resent_ += static_cast<int64_t>(back.size());
      backend.stats.resent_from += static_cast<int64_t>(back.size());
      backend.inflight = 0;
      // A normal end: the fleet is complete.
      if (status.ok() && end.summary && back.empty()) return false;
      if (Over()) return false;
      why = FromGrpc(status);
      if (why.ok()) why = absl::InternalError("the stream ended without answering every entry");
      backend.stats.last_error = why.ToString();
      ++backend.stats.failed_streams;
      if (EndsFleet(why.code())) {
        EndLocked(why);
        return false;
      }
      backend.failures = end.answered > 0 ? 1 : backend.failures + 1;
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

  // One stream on the sync API: this thread reads, a writer thread sends.
  grpc::Status RunSyncStream(BackendState& backend, int stream, grpc::ClientContext& context,
                             StreamEnd& end) {
    auto call = backend.stub->StreamFleet(&context);
    std::thread writer([&] { Send(backend, stream, *call); });
    v1::FleetEvent event;
    while (call->Read(&event)) {
      absl::MutexLock lock(&mu_);
      if (TakeEventLocked(event, backend, stream, end)) deliver_.push_back(std::move(event));
    }
    // Read() returning false means the call is over: a Write() in progress
    // fails promptly, and a writer waiting for room wakes up to leave.
    {
      absl::MutexLock lock(&mu_);
      dead_streams_.insert(stream);
    }
    writer.join();
    return call->Finish();
  }

  // One stream on the calling thread's queue: started here, then run by
  // Drive() until it is over.
  grpc::Status RunAsyncStream(BackendState& backend, int stream, grpc::ClientContext& context,
                              StreamEnd& end) {
    AsyncStream s(backend, stream);
    absl::MutexLock lock(&mu_);
    s.call = backend.stub->PrepareAsyncStreamFleet(&context, cq_.get());
    ++s.ops;
    s.call->StartCall(&s.tags[AsyncStream::kStart]);
    mu_.Await(absl::Condition(&s.done));
    end = s.end;
    return s.status;
  }

  void StartLocked(AsyncStream& s, AsyncStream::Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++s.ops;
    switch (op) {
      case AsyncStream::kRead:
        s.call->Read(&s.event, &s.tags[op]);
        break;
      case AsyncStream::kWrite:
        s.writing = true;
        s.call->Write(s.request, &s.tags[op]);
        break;
      case AsyncStream::kWritesDone:
        s.writing = s.closed = true;
        s.call->WritesDone(&s.tags[op]);
        break;
      default:  // kFinish (kStart is started by RunAsyncStream)
        s.finishing = true;
        s.call->Finish(&s.status, &s.tags[op]);
        break;
    }
  }

  // The calling thread runs every stream; on_batch_end once no completion is
  // ready. Returns once the fleet is over and every stream has ended.
  void Drive() {
    bool unflushed = false;
    while (true) {
      void* got = nullptr;
      bool ok = false;
      grpc::CompletionQueue::NextStatus next =
          cq_->AsyncNext(&got, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC));
      if (next == grpc::CompletionQueue::TIMEOUT) {
        if (unflushed && options_.on_batch_end) options_.on_batch_end();
        unflushed = false;
        absl::Time until = deadline_;
        {
          absl::MutexLock lock(&mu_);
          if (Over() && open_streams_ == 0) return;
          // Without a stream nothing may come to wake this thread: look
          // again soon (a backoff, or the end decided on another thread).
          if (open_streams_ == 0) until = std::min(until, absl::Now() + absl::Milliseconds(20));
        }
        next = cq_->AsyncNext(&got, &ok, absl::ToChronoTime(until));
        if (next == grpc::CompletionQueue::TIMEOUT) {
          absl::MutexLock lock(&mu_);
          if (absl::Now() >= deadline_ && !Over()) {
            EndLocked(absl::DeadlineExceededError("the fleet's timeout passed"));
          }
          continue;
        }
      }
      if (next != grpc::CompletionQueue::GOT_EVENT) return;
      unflushed |= Handle(*static_cast<AsyncStream::Tag*>(got), ok);
    }
  }

  // One completed operation; true when an event was passed on.
  bool Handle(const AsyncStream::Tag& tag, bool ok) {
    AsyncStream& s = *tag.stream;
    bool pass_on = false;
    {
      absl::MutexLock lock(&mu_);
      --s.ops;
      switch (tag.op) {
        case AsyncStream::kStart:
          // Writes wait for the call to start; a failed start fails the read.
          StartLocked(s, AsyncStream::kRead);
          if (ok) {
            live_.push_back(&s);
            PumpLocked();
          }
          break;
        case AsyncStream::kRead:
          if (!ok) {
            // The call is over: no more writes on it; its status.
            auto it = std::find(live_.begin(), live_.end(), &s);
            if (it != live_.end()) live_.erase(it);
            StartLocked(s, AsyncStream::kFinish);
            break;
          }
          pass_on = TakeEventLocked(s.event, s.backend, s.stream, s.end);
          // An answer makes room: the next entry goes out before the event
          // is passed on.
          if (pass_on) {
            PumpLocked();
          } else {
            StartLocked(s, AsyncStream::kRead);
          }
          break;
        case AsyncStream::kWrite:
          s.writing = false;
          if (!ok) s.closed = true;  // the call is over; its read fails too
          PumpLocked();
          break;
        default:  // kWritesDone, kFinish
          break;
      }
      if (s.finishing && s.ops == 0) {
        --open_streams_;
        s.done = true;  // its worker may destroy it from here on
        return false;
      }
    }
    if (!pass_on) return false;
    {
      absl::MutexLock lock(&deliver_mu_);
      summary_.Add(s.event);
      (*sink_)(s.event);
    }
    absl::MutexLock lock(&mu_);  // not finishing: no read was pending
    StartLocked(s, AsyncStream::kRead);
    return true;
  }

  // Gives every live stream with room and no write in progress its next
  // entry (a re-send first, else one from the source), or half-closes it
  // once the whole fleet is answered (after an error the cancel ends it).
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (size_t i = 0; i < live_.size();) {
      AsyncStream& s = *live_[i];
      if (s.writing || s.closed) {
        ++i;
      } else if (Over()) {
        if (complete_) StartLocked(s, AsyncStream::kWritesDone);
        ++i;
      } else if (!CanSendLocked(s.backend)) {
        ++i;
      } else if (!pending_.empty()) {
        const int64_t index = pending_.front();
        pending_.pop_front();
        s.request = AssignLocked(index, s.backend, s.stream);
        StartLocked(s, AsyncStream::kWrite);
        ++i;
      } else {
        // The source runs without the lock, so streams may have changed:
        // the new entry is queued and every stream looked at again.
        std::optional<int64_t> index = PullSourceLocked();
        if (index.has_value()) pending_.push_back(*index);
        i = 0;
      }
    }
  }

  // An event read on `stream`. True: it answers an entry not answered
  // before, and now carries the caller's tag, to be passed on. A summary is
  // kept for its groups, a second answer counted and dropped.
  bool TakeEventLocked(v1::FleetEvent& event, BackendState& backend, int stream, StreamEnd& end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string* tag = event.has_result()  ? event.mutable_result()->mutable_tag()
                       : event.has_error() ? event.mutable_error()->mutable_tag()
                                           : nullptr;
    if (tag == nullptr) {
      if (event.has_summary()) {
        end.summary = true;
        // The fleet's counts are built from the events; the server's
        // groups (fleet_summary groupings) are merged from each stream's.
        server_summaries_.push_back(event.summary());
      }
      return false;
    }
    const int64_t index = EntryIndex(*tag);
    auto it = index < 0 ? outstanding_.end() : outstanding_.find(index);
    if (it == outstanding_.end()) {
      // Already answered (or not ours): the caller sees each entry once.
      ++duplicates_;
      return false;
    }
    if (it->second.stream == stream) --backend.inflight;
    outstanding_.erase(it);
    ++answered_;
    ++end.answered;
    ++backend.stats.answered;
    *tag = CallerTag(*tag);
    if (event.has_error()) {
      event.mutable_error()->set_message(FleetPositionMessage(event.error().message(), index));
    }
    CheckCompleteLocked();
    return true;
  }

  // Room on the backend's stream, and a re-send or the source free to ask.
  bool CanSendLocked(const BackendState& backend) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return backend.inflight < options_.window &&
           (!pending_.empty() || (!source_done_ && !source_busy_));
  }

  // The caller's source, one thread at a time, without the lock (it may
  // block, reading stdin). The new entry's index (taken, sent nowhere yet),
  // or nullopt when the source ended or failed (the fleet's state changed).
  std::optional<int64_t> PullSourceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    source_busy_ = true;
    mu_.Unlock();
    absl::StatusOr<std::optional<v1::FleetRequest>> next = source_();
    mu_.Lock();
    source_busy_ = false;
    if (!next.ok()) {
      EndLocked(next.status());
      return std::nullopt;
    }
    if (!next->has_value()) {
      source_done_ = true;
      CheckCompleteLocked();
      return std::nullopt;
    }
    const int64_t index = next_index_++;
    Entry& entry = outstanding_[index];
    entry.request = **std::move(next);
    entry.request.set_tag(absl::StrCat(index, ":", entry.request.tag()));
    return index;
  }

  // Entry `index` goes out on `stream`.
  const v1::FleetRequest& AssignLocked(int64_t index, BackendState& backend, int stream)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Entry& entry = outstanding_[index];
    entry.stream = stream;
    ++backend.inflight;
    ++backend.stats.sent;
    return entry.request;
  }

  // The writer of one sync stream: entries while it has room, half-close
  // once the whole fleet is answered.
  void Send(BackendState& backend, int stream,
            grpc::ClientReaderWriter<v1::FleetRequest, v1::FleetEvent>& call) {
    while (true) {
      v1::FleetRequest request;
      {
        absl::MutexLock lock(&mu_);
        auto can_act = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          if (Over() || dead_streams_.count(stream) > 0) return true;
          const size_t max_deliver = static_cast<size_t>(options_.window) * backends_.size();
          return deliver_.size() < max_deliver && CanSendLocked(backend);
        };
        mu_.Await(absl::Condition(&can_act));
        if (dead_streams_.count(stream) > 0) return;
        if (Over()) break;
        std::optional<int64_t> index;
        if (!pending_.empty()) {
          index = pending_.front();
          pending_.pop_front();
        } else {
          index = PullSourceLocked();
          if (!index.has_value()) continue;  // ended (then complete?) or failed (then over)
        }
        request = AssignLocked(*index, backend, stream);
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
  const Client::EventSink* sink_ = nullptr;  // set by Run()
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
  // Async streams (drive_on_calling_thread) and their queue; live_: those
  // started whose read side has not ended, open_streams_: those not over.
  std::unique_ptr<grpc::CompletionQueue> cq_;
  std::vector<AsyncStream*> live_ ABSL_GUARDED_BY(mu_);
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;

  // Held while the sink is called: one event at a time, from any thread.
  absl::Mutex deliver_mu_;
  FleetSummaryBuilder summary_ ABSL_GUARDED_BY(deliver_mu_);
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

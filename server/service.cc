#include "server/service.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "server/bounded_text.h"
#include "server/fleet_summary.h"
#include "server/grpc_status.h"
#include "server/raw_request.h"

namespace mtasts::server {
namespace {

using google::protobuf::util::TimeUtil;

// Time kept back from the caller's deadline so the partial report still gets
// back before the caller gives up.
absl::Duration AnswerMargin(absl::Duration remaining) {
  return std::min(absl::Milliseconds(250), remaining / 10);
}

absl::Time CallDeadline(const grpc::CallbackServerContext* context) {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

std::string Peer(const grpc::CallbackServerContext* context) { return context->peer(); }

}  // namespace

MtaStsService::MtaStsService(engine::Engine* engine, ServiceOptions options)
    : engine_(engine), options_(options) {}

bool MtaStsService::TryAdmit() {
  absl::MutexLock lock(&mu_);
  // Waiters exist only at the limit (every freed slot goes to one), so a
  // CheckDomain never takes a slot a waiting stream was promised.
  if (inflight_ >= options_.max_inflight) return false;
  peak_inflight_ = std::max(peak_inflight_, ++inflight_);
  return true;
}

bool MtaStsService::AdmitOrWait(AdmissionWaiter* waiter) {
  absl::MutexLock lock(&mu_);
  if (inflight_ < options_.max_inflight) {
    peak_inflight_ = std::max(peak_inflight_, ++inflight_);
    return true;
  }
  waiters_.push_back(waiter);
  return false;
}

bool MtaStsService::CancelWait(AdmissionWaiter* waiter) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  return true;
}

void MtaStsService::Release() {
  AdmissionWaiter* next = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (waiters_.empty()) {
      --inflight_;
      return;
    }
    // The slot passes to the first waiter: inflight_ stays as it is.
    next = waiters_.front();
    waiters_.pop_front();
  }
  // Outside mu_: the waiter takes its own lock, and may call back in here.
  next->OnAdmitted();
}

int MtaStsService::InFlight() const {
  absl::MutexLock lock(&mu_);
  return inflight_;
}

int MtaStsService::PeakInFlight() const {
  absl::MutexLock lock(&mu_);
  return peak_inflight_;
}

int MtaStsService::Waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiters_.size());
}

int MtaStsService::LargestStreamInFlight() const {
  absl::MutexLock lock(&streams_mu_);
  int largest = 0;
  for (DrainableStream* stream : streams_) largest = std::max(largest, stream->DomainsInFlight());
  return largest;
}

absl::Status MtaStsService::AtInflightLimit() const {
  return absl::ResourceExhaustedError(absl::StrCat("server is at its limit of ",
                                                   options_.max_inflight,
                                                   " domains in flight; retry later"));
}

void MtaStsService::BeginDrain() {
  absl::MutexLock lock(&streams_mu_);
  if (draining_) return;
  draining_ = true;
  for (DrainableStream* stream : streams_) stream->Drain();
}

bool MtaStsService::draining() const {
  absl::MutexLock lock(&streams_mu_);
  return draining_;
}

bool MtaStsService::AwaitStreamsClosed(absl::Time deadline) const {
  absl::MutexLock lock(&streams_mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(streams_mu_) { return streams_.empty(); };
  streams_mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
  return streams_.empty();
}

bool MtaStsService::RegisterStream(DrainableStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  if (draining_) return false;
  streams_.push_back(stream);
  return true;
}

void MtaStsService::UnregisterStream(DrainableStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(std::remove(streams_.begin(), streams_.end(), stream), streams_.end());
}

absl::Status MtaStsService::DrainingStatus(int answered) {
  return absl::UnavailableError(absl::StrCat(
      "server draining: ", answered,
      " entries of this stream were answered; the others were not checked here, send them "
      "to another replica"));
}

absl::StatusOr<AdmittedDomain> MtaStsService::Validate(const std::string& domain,
                                                       const v1::CheckOptions& options,
                                                       absl::Time call_deadline) const {
  auto name = NormalizeDomain(domain);
  if (!name.ok()) return name.status();
  absl::Status options_ok = engine_->ValidateOptions(options);
  if (!options_ok.ok()) return options_ok;

  const absl::Time now = absl::Now();
  absl::Duration budget = options_.check_timeout;
  if (options.has_timeout()) {
    const auto& t = options.timeout();
    if (t.seconds() < 0 || t.nanos() < 0 || t.nanos() > 999999999 ||
        t.seconds() > 315576000000) {
      return absl::InvalidArgumentError("options.timeout must be a positive duration");
    }
    const absl::Duration requested =
        absl::Nanoseconds(TimeUtil::DurationToNanoseconds(options.timeout()));
    if (requested > absl::ZeroDuration()) budget = std::min(budget, requested);
  }
  absl::Time deadline = now + budget;
  if (call_deadline != absl::InfiniteFuture()) {
    const absl::Duration remaining = call_deadline - now;
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("the call's deadline has already passed");
    }
    deadline = std::min(deadline, call_deadline - AnswerMargin(remaining));
  }
  return AdmittedDomain{*std::move(name), options, deadline};
}

// --- CheckDomain -----------------------------------------------------------

namespace {

class CheckDomainReactor final : public grpc::ServerUnaryReactor {
 public:
  CheckDomainReactor(MtaStsService* service, grpc::CallbackServerContext* context,
                     const grpc::ByteBuffer* request, grpc::ByteBuffer* response)
      : service_(service), response_(response), peer_(Peer(context)) {
    auto entry = DecodeCheckDomainRequest(Flatten(*request));
    if (!entry.ok()) {
      Complete(ToGrpcStatus(entry.status()), -1);
      return;
    }
    domain_ = std::move(entry->domain);  // the log line bounds it
    auto admitted = service_->Validate(domain_, entry->options, CallDeadline(context));
    if (!admitted.ok()) {
      Complete(ToGrpcStatus(admitted.status()), -1);
      return;
    }
    if (!service_->TryAdmit()) {
      Complete(ToGrpcStatus(service_->AtInflightLimit()), -1);
      return;
    }
    domain_ = admitted->name.ascii;
    // OnDone cannot run before this handler returns, so `this` outlives the
    // assignment below even if the run finishes first.
    auto handle = service_->engine().Start(
        admitted->name.ascii, admitted->name.unicode, admitted->options, admitted->deadline,
        [this](absl::StatusOr<v1::DomainReport> report) {
          service_->Release();
          if (!report.ok()) {
            Complete(ToGrpcStatus(report.status()), -1);
            return;
          }
          const int score = report->score();
          *response_ = Serialize(*report);
          Complete(grpc::Status::OK, score);
        });
    absl::MutexLock lock(&mu_);
    handle_ = std::move(handle);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (handle_) handle_->Cancel();
  }

  void OnDone() override { delete this; }

 private:
  // Logs and finishes; `this` may be gone as soon as Finish is called.
  void Complete(grpc::Status status, int score) {
    if (service_->options().log != nullptr) {
      CallLog::Record record;
      record.rpc = "CheckDomain";
      record.peer = peer_;
      record.duration = absl::Now() - started_;
      record.code = StatusCodeName(status.error_code());
      record.strings.emplace_back("domain", domain_);
      if (score >= 0) record.numbers.emplace_back("score", score);
      service_->options().log->Write(record);
    }
    Finish(std::move(status));
  }

  MtaStsService* const service_;
  grpc::ByteBuffer* const response_;
  const std::string peer_;
  std::string domain_;
  const absl::Time started_ = absl::Now();
  absl::Mutex mu_;
  std::shared_ptr<engine::RunHandle> handle_ ABSL_GUARDED_BY(mu_);
};

// --- StreamFleet -------------------------------------------------------------

// Reads entries one at a time and stops reading while `fleet_max_inflight`
// entries are running or waiting to be written, so a fast sender is held back
// by flow control and a slow reader cannot make the server buffer reports.
// At the server-wide limit it holds the entry it read (one at most), stops
// reading, and waits in the service's queue for a slot.
// Lifetime: deleted when gRPC is done with it AND every run has called back
// AND it is out of the service's queue (no OnAdmitted can come).
class FleetReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                           public AdmissionWaiter,
                           public DrainableStream {
 public:
  FleetReactor(MtaStsService* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context), peer_(Peer(context)) {
    registered_ = service_->RegisterStream(this);
    absl::MutexLock lock(&mu_);
    if (!registered_) {
      // The server is draining: nothing is read, the client goes elsewhere.
      FinishLocked(ToGrpcStatus(MtaStsService::DrainingStatus(0)));
      return;
    }
    MaybeReadLocked();
  }

  ~FleetReactor() {
    if (registered_) service_->UnregisterStream(this);
  }

  // Stops reading; the entries admitted run to their end and are answered,
  // then the stream ends with UNAVAILABLE (MaybeFinishLocked). An entry
  // still waiting for a server-wide slot is dropped unanswered.
  void Drain() override {
    absl::MutexLock lock(&mu_);
    if (finished_ || cancelled_ || grpc_done_ || draining_) return;
    draining_ = true;
    // A slot being handed over meanwhile: OnAdmitted sees draining_ and
    // passes it on.
    if (waiting_ && service_->CancelWait(this)) {
      waiting_ = false;
      held_.reset();
    }
    MaybeFinishLocked();
  }

  int DomainsInFlight() override {
    absl::MutexLock lock(&mu_);
    return runs_outstanding_;
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      read_done_ = true;
      MaybeFinishLocked();
      return;
    }
    if (draining_ || finished_ || cancelled_) {
      // Read while the drain began: not checked, no event; the client
      // resends it elsewhere.
      request_.Clear();
      MaybeFinishLocked();
      return;
    }
    summary_.AddReceived();
    const int position = summary_.received();
    auto entry = DecodeFleetRequest(Flatten(request_));
    request_.Clear();
    if (entry.ok()) {
      HandleEntryLocked(position, *std::move(entry));
    } else {
      QueueErrorLocked("", "", EntryError(position, "", entry.status()));
    }
    MaybeReadLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; stop everything.
      CancelAllLocked();
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream write failed"));
      return;
    }
    if (writing_summary_) {
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (cancelled_) {
      // OnCancel left the Finish to this write's completion.
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled"));
      return;
    }
    --occupied_;
    MaybeWriteLocked();
    MaybeReadLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    CancelAllLocked();
    if (!writing_) FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled"));
  }

  // The server-wide slot this stream waited for; its held entry starts now.
  void OnAdmitted() override {
    bool release = false;
    bool destroy = false;
    {
      absl::MutexLock lock(&mu_);
      waiting_ = false;
      RawEntry entry = *std::move(held_);
      held_.reset();
      if (finished_ || cancelled_ || grpc_done_ || draining_) {
        release = true;  // nobody to answer, or draining: hand the slot on
        destroy = grpc_done_ && runs_outstanding_ == 0;
        if (draining_ && !finished_ && !cancelled_ && !grpc_done_) MaybeFinishLocked();
      } else {
        // Validated when read; validated again for a deadline that starts
        // now, so the wait does not eat the entry's time. Only a call
        // deadline that passed meanwhile can fail it.
        auto admitted = service_->Validate(entry.domain, entry.options, CallDeadline(context_));
        if (admitted.ok()) {
          StartRunLocked(*std::move(admitted), std::move(entry.tag), std::move(entry.domain));
        } else {
          release = true;
          QueueErrorLocked(entry.tag, entry.domain, admitted.status());
        }
        MaybeReadLocked();
        MaybeFinishLocked();
      }
    }
    // Outside mu_: Release may hand the slot to another stream.
    if (release) service_->Release();
    if (destroy) delete this;
  }

  void OnDone() override {
    bool destroy;
    {
      absl::MutexLock lock(&mu_);
      grpc_done_ = true;
      CancelAllLocked();
      destroy = runs_outstanding_ == 0 && !waiting_;
    }
    if (destroy) delete this;
  }

 private:
  // `status` for the entry at `position` (from 1) that could not be read,
  // naming it: the event's tag may be empty or altered, so the position is
  // what identifies the entry for sure.
  static absl::Status EntryError(int position, const std::string& tag,
                                 const absl::Status& status) {
    std::string where = absl::StrCat("entry ", position);
    if (!tag.empty()) {
      const BoundedText shown = BoundText(tag, 64);
      absl::StrAppend(&where, " (tag \"", shown.text, shown.cut ? "...\")" : "\")");
    }
    return absl::Status(status.code(), absl::StrCat(where, ": ", status.message()));
  }

  void HandleEntryLocked(int position, RawEntry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!IsValidUtf8(entry.tag)) {
      QueueErrorLocked(entry.tag, entry.domain,
                       EntryError(position, "",
                                  absl::InvalidArgumentError(
                                      "the tag is not valid UTF-8; tags are proto3 strings")));
      return;
    }
    auto admitted = service_->Validate(entry.domain, entry.options, CallDeadline(context_));
    if (!admitted.ok()) {
      // A domain that is not UTF-8 is one the generated parser would have
      // refused: name the entry, as for any entry that could not be read.
      QueueErrorLocked(entry.tag, entry.domain,
                       IsValidUtf8(entry.domain)
                           ? admitted.status()
                           : EntryError(position, entry.tag, admitted.status()));
      return;
    }
    if (!service_->AdmitOrWait(this)) {
      // At the server-wide limit: hold the entry and stop reading until the
      // service hands this stream a slot (OnAdmitted).
      held_ = std::move(entry);
      waiting_ = true;
      return;
    }
    StartRunLocked(*std::move(admitted), std::move(entry.tag), std::move(entry.domain));
  }

  // Starts the run for an admitted entry; its slot is released in OnRunDone.
  void StartRunLocked(AdmittedDomain admitted, std::string tag, std::string domain)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++occupied_;
    ++runs_outstanding_;
    if (service_->options().on_fleet_entry_started) {
      service_->options().on_fleet_entry_started(runs_outstanding_);
    }
    const uint64_t id = next_run_id_++;
    // The engine never calls back inside Start, so holding mu_ here is safe.
    handles_[id] = service_->engine().Start(
        admitted.name.ascii, admitted.name.unicode, admitted.options, admitted.deadline,
        [this, id, tag = std::move(tag), domain = std::move(domain)](
            absl::StatusOr<v1::DomainReport> report) mutable {
          OnRunDone(id, std::move(tag), std::move(domain), std::move(report));
        });
  }

  void OnRunDone(uint64_t id, std::string tag, std::string domain,
                 absl::StatusOr<v1::DomainReport> report) {
    // Released before the event is queued, so a client that has its summary
    // sees the capacity back. Shutdown stops the reactors (which waits for
    // this callback to return) before it destroys the service.
    service_->Release();
    bool destroy = false;
    {
      absl::MutexLock lock(&mu_);
      --runs_outstanding_;
      handles_.erase(id);
      if (finished_ || cancelled_) {
        destroy = grpc_done_ && runs_outstanding_ == 0 && !waiting_;
      } else if (!report.ok()) {
        --occupied_;  // QueueErrorLocked takes its own slot
        QueueErrorLocked(tag, domain, report.status());
      } else {
        summary_.AddReport(tag, *report);
        ++answered_;
        v1::FleetEvent event;
        v1::FleetResult* result = event.mutable_result();
        result->set_tag(std::move(tag));
        *result->mutable_report() = *std::move(report);
        queue_.push_back(std::move(event));
        MaybeWriteLocked();
      }
    }
    if (destroy) delete this;
  }

  // Queues the error event for an entry with this tag and domain (as sent:
  // echoed valid UTF-8, the domain bounded, so the event always parses and
  // stays small).
  void QueueErrorLocked(const std::string& tag, const std::string& domain,
                        const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++occupied_;
    ++answered_;
    summary_.AddError();
    v1::FleetEvent event;
    v1::FleetError* error = event.mutable_error();
    error->set_tag(IsValidUtf8(tag) ? tag : BoundText(tag, tag.size() * 3).text);
    BoundedText shown = BoundText(domain, kMaxEchoOctets);
    error->set_domain(std::move(shown.text));
    error->set_domain_cut(shown.cut);
    error->set_code(static_cast<int>(status.code()));
    error->set_message(std::string(status.message()));
    queue_.push_back(std::move(event));
    MaybeWriteLocked();
  }

  void MaybeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || read_done_ || finished_ || cancelled_ || waiting_ || draining_) return;
    if (occupied_ >= service_->options().fleet_max_inflight) return;
    reading_ = true;
    StartRead(&request_);
  }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || cancelled_ || queue_.empty()) return;
    writing_ = true;
    current_ = Serialize(queue_.front());
    queue_.pop_front();
    StartWrite(&current_);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (occupied_ > 0 || waiting_ || writing_ || writing_summary_ || finished_ || cancelled_) {
      return;
    }
    if (!read_done_) {
      // Draining: every admitted entry is answered and written. A read still
      // pending completes (not ok) after Finish.
      if (draining_) FinishLocked(ToGrpcStatus(MtaStsService::DrainingStatus(answered_)));
      return;
    }
    writing_summary_ = true;
    writing_ = true;
    v1::FleetEvent event;
    *event.mutable_summary() = summary_.Build(absl::Now() - started_);
    current_ = Serialize(event);
    StartWrite(&current_);
  }

  // Cancels the runs, and drops the held entry if the stream is still in the
  // service's queue. If it is not, a handover is under way: OnAdmitted will
  // come and release the slot, and `this` must live until then.
  void CancelAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& [id, handle] : handles_) handle->Cancel();
    if (waiting_ && service_->CancelWait(this)) {
      waiting_ = false;
      held_.reset();
    }
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    if (service_->options().log != nullptr) {
      CallLog::Record record;
      record.rpc = "StreamFleet";
      record.peer = peer_;
      record.duration = absl::Now() - started_;
      record.code = StatusCodeName(status.error_code());
      record.numbers.emplace_back("domains", summary_.received());
      record.numbers.emplace_back("reported", summary_.reported());
      record.numbers.emplace_back("errors", summary_.errors());
      service_->options().log->Write(record);
    }
    Finish(std::move(status));
  }

  MtaStsService* const service_;
  grpc::CallbackServerContext* const context_;
  const std::string peer_;
  const absl::Time started_ = absl::Now();

  absl::Mutex mu_;
  // gRPC fills request_ and sends current_ between StartRead/StartWrite and
  // their On*Done (reading_/writing_ set); this code touches them under mu_.
  grpc::ByteBuffer request_ ABSL_GUARDED_BY(mu_);  // the one read in flight
  grpc::ByteBuffer current_ ABSL_GUARDED_BY(mu_);  // the one write in flight
  std::deque<v1::FleetEvent> queue_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<engine::RunHandle>> handles_ ABSL_GUARDED_BY(mu_);
  uint64_t next_run_id_ ABSL_GUARDED_BY(mu_) = 0;
  // Entries running or with an event not yet written.
  int occupied_ ABSL_GUARDED_BY(mu_) = 0;
  int runs_outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // engine callbacks still to come
  // The entry read but not admitted yet; set while waiting_.
  std::optional<RawEntry> held_ ABSL_GUARDED_BY(mu_);
  // In the service's queue, or handed a slot whose OnAdmitted has not run.
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_summary_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool grpc_done_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  // Events queued (results and errors).
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
  // In the service's stream registry (false: the server was draining).
  bool registered_ = false;
  FleetSummaryBuilder summary_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* MtaStsService::CheckDomain(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return new CheckDomainReactor(this, context, request, response);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* MtaStsService::StreamFleet(
    grpc::CallbackServerContext* context) {
  return new FleetReactor(this, context);
}

}  // namespace mtasts::server

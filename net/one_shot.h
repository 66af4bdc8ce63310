// The lifecycle shared by the one-shot operations over a TlsStream
// (HttpsGet's fetch, ProbeSmtpStartTls's probe): a handle whose destruction
// or Cancel() closes the connection and drops the callback; a deadline over
// everything; a timer for the current phase; creation of the stream with
// argument errors reported on the next turn; and a result delivered once.
//
//   class FetchImpl final : public OneShotOperation<HttpsFetch, HttpsResult> {
//     void Fail(NetError e) override { ...; Finish(std::move(result_)); }
//   };
//
// Threading: everything on the reactor thread (the handle's contract).
#ifndef MTASTS_NET_ONE_SHOT_H_
#define MTASTS_NET_ONE_SHOT_H_

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/lifetime.h"
#include "net/reactor.h"
#include "net/tls_stream.h"
#include "net/tls_types.h"
#include "net/wire_text.h"

namespace mtasts::net {

// `Handle` is the public interface (with a virtual Cancel()); `Result` what
// the callback receives.
template <typename Handle, typename Result>
class OneShotOperation : public Handle {
 public:
  using Callback = absl::AnyInvocable<void(Result)>;

  ~OneShotOperation() override {
    assert(reactor_->InReactorThread());
    lifetime_.Expire();
    Stop();
  }

  // Closes the connection now; the callback never runs. Idempotent.
  void Cancel() override {
    assert(reactor_->InReactorThread());
    Stop();
    callback_ = nullptr;
  }

 protected:
  OneShotOperation(Reactor* reactor, Callback callback)
      : reactor_(reactor), callback_(std::move(callback)) {}

  // Ends the operation with `error` (the result filled as far as it got),
  // through Finish. Called at most once per operation by this class (phase
  // and deadline timers, a failed Begin).
  virtual void Fail(NetError error) = 0;
  // Called by Stop(), for timers of the subclass's own. Not called from
  // ~OneShotOperation (the subclass's members are gone by then).
  virtual void OnStop() {}

  // Starts the clock, names the peer, and creates the stream unless
  // `problem` (an argument the caller got wrong) is set or tls_ctx is null.
  // On failure returns false and fails the operation on the next turn (never
  // inside the call that started it) with kLocalError in kConnect:
  // "<what>: <problem>".
  bool Begin(const TlsClientContext* tls_ctx, const std::string& address, uint16_t port,
             std::string problem, absl::string_view what) {
    start_ = absl::Now();
    peer_ = AddressPort(address, port);
    if (problem.empty() && tls_ctx == nullptr) problem = "no TLS context";
    absl::StatusOr<std::unique_ptr<TlsStream>> stream =
        problem.empty() ? TlsStream::Create(reactor_, tls_ctx)
                        : absl::InvalidArgumentError(problem);
    if (stream.ok()) {
      stream_ = *std::move(stream);
      return true;
    }
    NetError e;
    e.failure = NetFailure::kLocalError;
    e.phase = NetPhase::kConnect;
    e.message = absl::StrCat(what, ": ", stream.status().message());
    reactor_->Post(lifetime_.Guard([this, e = std::move(e)]() mutable { Fail(std::move(e)); }));
    return false;
  }

  // "" when `name` (an argument, called `what` in the message) is a
  // non-empty printable token, else why it is not.
  static std::string NameProblem(absl::string_view what, absl::string_view name) {
    if (!name.empty() && IsPrintableToken(name)) return "";
    return absl::StrCat(what, " \"", absl::CHexEscape(name),
                        "\" is empty or holds spaces or control characters");
  }

  // kDeadlineExceeded during `phase` (its name), for ArmDeadline; the caller
  // sets NetError::phase when the phase is a NetPhase.
  NetError DeadlineError(absl::string_view phase, absl::string_view operation) const {
    NetError e;
    e.failure = NetFailure::kDeadlineExceeded;
    e.message = absl::StrCat("the deadline passed during the ", phase, " with ", peer_, " (",
                             Millis(absl::Now() - start_), " after the ", operation, " began)");
    return e;
  }

  // Fails with `make_error()` when `deadline` passes (none for InfiniteFuture).
  void ArmDeadline(absl::Time deadline, absl::AnyInvocable<NetError()> make_error) {
    if (deadline == absl::InfiniteFuture()) return;
    deadline_timer_.RunAt(deadline, [this, make_error = std::move(make_error)]() mutable {
      Fail(make_error());
    });
  }

  // Fails with `make_error()` unless the phase ends (CancelPhaseTimer, or the
  // next ArmPhaseTimer) within `timeout`.
  void ArmPhaseTimer(absl::Duration timeout, absl::AnyInvocable<NetError()> make_error) {
    phase_timer_.RunAfter(timeout, [this, make_error = std::move(make_error)]() mutable {
      Fail(make_error());
    });
  }
  void CancelPhaseTimer() { phase_timer_.Cancel(); }

  // Closes the connection and runs the callback, at most once. Last use of
  // `this`: the callback may destroy the handle.
  void Finish(Result result) {
    Stop();
    Callback callback = std::move(callback_);
    callback_ = nullptr;
    if (callback) callback(std::move(result));
  }

  // Disarms every timer and closes the connection.
  void Stop() {
    deadline_timer_.Cancel();
    phase_timer_.Cancel();
    OnStop();
    if (stream_ != nullptr) stream_->Close();
  }

  Reactor* reactor() const { return reactor_; }
  TlsStream* stream() const { return stream_.get(); }
  // "192.0.2.1:443" / "[2001:db8::1]:25", for messages.
  const std::string& peer() const { return peer_; }
  // When Begin ran.
  absl::Time start() const { return start_; }

 private:
  Reactor* const reactor_;
  Callback callback_;
  std::unique_ptr<TlsStream> stream_;
  std::string peer_;
  absl::Time start_;
  ReactorTimer deadline_timer_{reactor_};
  ReactorTimer phase_timer_{reactor_};
  LifetimeToken lifetime_;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_ONE_SHOT_H_

// One diagnostic retry for a failed TLS handshake, shared by HttpsGet and
// ProbeSmtpStartTls: when the real operation's handshake failed as an old
// server makes it fail (WorthLegacyVersionProbe), the same operation runs
// once more with TlsParams::legacy_version_probe (TLS 1.0 and 1.1 only), to
// the same address, with the same limits and deadline; if that handshake
// completes, the real result is re-labelled kProtocolTooOld naming the
// version (ApplyLegacyVersionProbe). The diagnostic operation never gets past
// its handshake, so nothing is sent over, or accepted from, an old session.
//
//   return WithLegacyVersionProbe<SmtpProbe, SmtpProbeResult>::StartOperation<ProbeImpl>(
//       reactor, limits, std::move(callback), tls_ctx, address, port, name, ehlo_name);
//
// Threading and lifetime are the wrapped handle's: reactor thread only; the
// callback runs once, never inside Start, never after the handle is
// destroyed or cancelled, and may destroy the handle.
#ifndef MTASTS_NET_LEGACY_VERSION_PROBE_H_
#define MTASTS_NET_LEGACY_VERSION_PROBE_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "net/tls_types.h"

namespace mtasts::net {

// `Result` has `NetError error` and `TlsInfo tls`.
template <typename Handle, typename Result>
class WithLegacyVersionProbe final : public Handle {
 public:
  using Callback = absl::AnyInvocable<void(Result)>;
  // Starts one operation; `legacy` selects the diagnostic handshake.
  using Starter = absl::AnyInvocable<std::unique_ptr<Handle>(bool legacy, Callback)>;

  static std::unique_ptr<Handle> Start(Starter starter, Callback callback) {
    auto self = std::unique_ptr<WithLegacyVersionProbe>(
        new WithLegacyVersionProbe(std::move(starter), std::move(callback)));
    WithLegacyVersionProbe* raw = self.get();
    raw->op_ = raw->starter_(false, [raw](Result r) { raw->OnReal(std::move(r)); });
    return self;
  }

  // Start with the usual starter: an `Impl` built from (reactor, limits, its
  // callback) and begun by Impl::Start(args..., legacy); `args` are copied,
  // as the diagnostic operation starts later.
  template <typename Impl, typename Reactor, typename Limits, typename... Args>
  static std::unique_ptr<Handle> StartOperation(Reactor* reactor, const Limits& limits,
                                                Callback callback, const Args&... args) {
    return Start(
        [=](bool legacy, Callback cb) -> std::unique_ptr<Handle> {
          auto op = std::make_unique<Impl>(reactor, limits, std::move(cb));
          op->Start(args..., legacy);
          return op;
        },
        std::move(callback));
  }

  void Cancel() override {
    callback_ = nullptr;
    if (op_ != nullptr) op_->Cancel();
  }

 private:
  WithLegacyVersionProbe(Starter starter, Callback callback)
      : starter_(std::move(starter)), callback_(std::move(callback)) {}

  void OnReal(Result r) {
    if (!WorthLegacyVersionProbe(r.error)) {
      Deliver(std::move(r));
      return;
    }
    real_ = std::move(r);
    // Replaces (destroys) the finished operation from inside its callback,
    // which its contract allows.
    op_ = starter_(true, [this](Result diag) {
      ApplyLegacyVersionProbe(diag.error, diag.tls, &real_.error, &real_.tls);
      Deliver(std::move(real_));
    });
  }

  // Last use of `this`: the callback may destroy the handle.
  void Deliver(Result r) {
    Callback callback = std::move(callback_);
    callback_ = nullptr;
    if (callback) callback(std::move(r));
  }

  Starter starter_;
  Callback callback_;
  std::unique_ptr<Handle> op_;
  Result real_;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_LEGACY_VERSION_PROBE_H_

#include "checks/testing/fake_check_context.h"

#include <utility>

#include "absl/synchronization/notification.h"

namespace mtasts::checks::testing {

absl::StatusOr<std::unique_ptr<FakeCheckContext>> FakeCheckContext::Create(
    std::string domain, std::vector<net::DnsServer> dns_servers) {
  auto reactor = net::Reactor::Create("fake-check-ctx");
  if (!reactor.ok()) return reactor.status();
  std::unique_ptr<FakeCheckContext> ctx(
      new FakeCheckContext(std::move(domain), *std::move(reactor)));
  auto guard = net::AddressGuard::Create("");
  if (!guard.ok()) return guard.status();
  ctx->guard_.emplace(*std::move(guard));
  auto tls = net::TlsClientContext::Create(std::string());
  if (!tls.ok()) return tls.status();
  ctx->tls_ = *std::move(tls);

  net::DnsOptions dns_options;
  dns_options.servers = std::move(dns_servers);
  // Nowhere to ask: a closed loopback port answers at once, off the network.
  if (dns_options.servers.empty()) dns_options.servers = {{"127.0.0.1", 1}};
  dns_options.attempt_timeout = absl::Seconds(2);
  absl::Status status;
  ctx->RunOnReactor([&] {
    auto session = net::DnsSession::Create(ctx->reactor_.get(), dns_options);
    if (session.ok()) {
      ctx->dns_ = *std::move(session);
    } else {
      status = session.status();
    }
  });
  if (!status.ok()) return status;
  return ctx;
}

FakeCheckContext::FakeCheckContext(std::string domain, std::unique_ptr<net::Reactor> reactor)
    : domain_(std::move(domain)),
      reactor_(std::move(reactor)),
      lifetime_(std::make_shared<int>(0)) {}

FakeCheckContext::~FakeCheckContext() {
  ExpireLifetime();
  // The session belongs to the reactor thread; the reactor is then stopped
  // from this one, dropping whatever is still queued.
  RunOnReactor([this] {
    if (dns_) dns_->Cancel();
    dns_.reset();
    on_cancel_.clear();
  });
  reactor_.reset();
}

absl::Status FakeCheckContext::SetAllowTargets(const std::string& cidrs) {
  auto guard = net::AddressGuard::Create(cidrs);
  if (!guard.ok()) return guard.status();
  guard_.emplace(*std::move(guard));
  return absl::OkStatus();
}

absl::Status FakeCheckContext::SetCaFile(const std::string& ca_file) {
  auto tls = net::TlsClientContext::Create(ca_file);
  if (!tls.ok()) return tls.status();
  tls_ = *std::move(tls);
  return absl::OkStatus();
}

void FakeCheckContext::RunOnReactor(absl::AnyInvocable<void()> fn) {
  absl::Notification done;
  reactor_->Post([&] {
    fn();
    done.Notify();
  });
  done.WaitForNotification();
}

void FakeCheckContext::Start(Check& check, absl::AnyInvocable<void()> after_run) {
  RunOnReactor([this, &check, &after_run] {
    in_run_ = true;
    check.Run(*this, [this](CheckVerdict verdict) {
      NoteThread();
      absl::MutexLock lock(&mu_);
      ++done_calls_;
      if (ended_) ++done_after_cancel_;
      if (!verdict_.has_value()) verdict_ = std::move(verdict);
    });
    in_run_ = false;
    if (after_run) after_run();
  });
}

std::optional<CheckVerdict> FakeCheckContext::WaitForDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](std::optional<CheckVerdict>* v) { return v->has_value(); },
                           &verdict_),
                       timeout);
  return verdict_;
}

void FakeCheckContext::FireOnCancel() {
  auto fire = [this] {
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
    }
    auto callbacks = std::move(on_cancel_);
    on_cancel_.clear();
    for (auto& callback : callbacks) callback();
    if (dns_) dns_->Cancel();
  };
  if (reactor_->InReactorThread()) {
    fire();
  } else {
    RunOnReactor(fire);
  }
}

void FakeCheckContext::ExpireLifetime() {
  std::shared_ptr<const void> last;
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    last = std::move(lifetime_);
  }
}

void FakeCheckContext::CancelRun() {
  FireOnCancel();
  ExpireLifetime();
}

std::weak_ptr<const void> FakeCheckContext::lifetime() const {
  absl::MutexLock lock(&mu_);
  return lifetime_;
}

void FakeCheckContext::NoteThread() const {
  if (reactor_->InReactorThread()) return;
  absl::MutexLock lock(&mu_);
  ++off_thread_;
}

net::DnsSession& FakeCheckContext::dns() {
  NoteThread();
  absl::MutexLock lock(&mu_);
  ++dns_uses_;
  return *dns_;
}

v1::Evidence& FakeCheckContext::evidence() {
  NoteThread();
  return evidence_;
}

void FakeCheckContext::RecordLookup(const net::DnsResult& result) {
  NoteThread();
  absl::MutexLock lock(&mu_);
  lookups_.push_back(result);
}

void FakeCheckContext::OnCancel(absl::AnyInvocable<void()> on_cancel) {
  NoteThread();
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    ended = ended_;
    if (ended || !in_run_) {
      ++on_cancel_ignored_;
    } else {
      ++on_cancel_registered_;
    }
  }
  // As the engine: only while Run executes, and never after the end.
  if (!ended && in_run_) on_cancel_.push_back(std::move(on_cancel));
}

int FakeCheckContext::done_calls() const {
  absl::MutexLock lock(&mu_);
  return done_calls_;
}

int FakeCheckContext::done_calls_after_cancel() const {
  absl::MutexLock lock(&mu_);
  return done_after_cancel_;
}

int FakeCheckContext::dns_uses() const {
  absl::MutexLock lock(&mu_);
  return dns_uses_;
}

int FakeCheckContext::on_cancel_registered() const {
  absl::MutexLock lock(&mu_);
  return on_cancel_registered_;
}

int FakeCheckContext::on_cancel_ignored() const {
  absl::MutexLock lock(&mu_);
  return on_cancel_ignored_;
}

int FakeCheckContext::off_thread_calls() const {
  absl::MutexLock lock(&mu_);
  return off_thread_;
}

std::vector<net::DnsResult> FakeCheckContext::recorded_lookups() const {
  absl::MutexLock lock(&mu_);
  return lookups_;
}

v1::Evidence FakeCheckContext::EvidenceCopy() {
  v1::Evidence copy;
  RunOnReactor([&] { copy = evidence_; });
  return copy;
}

}  // namespace mtasts::checks::testing

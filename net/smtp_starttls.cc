#include "net/smtp_starttls.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/wire_text.h"

namespace mtasts::net {

absl::string_view SmtpPhaseName(SmtpPhase phase) {
  switch (phase) {
    case SmtpPhase::kNone: return "start";
    case SmtpPhase::kConnect: return "TCP connect";
    case SmtpPhase::kGreeting: return "greeting";
    case SmtpPhase::kEhlo: return "EHLO";
    case SmtpPhase::kStartTls: return "STARTTLS reply";
    case SmtpPhase::kTlsHandshake: return "TLS handshake";
    case SmtpPhase::kQuit: return "QUIT";
    case SmtpPhase::kDone: return "end";
  }
  return "unknown phase";
}

namespace {

class ProbeImpl final : public SmtpProbe {
 public:
  ProbeImpl(Reactor* reactor, const SmtpLimits& limits, SmtpProbeCallback callback)
      : reactor_(reactor), limits_(limits), callback_(std::move(callback)) {}

  ~ProbeImpl() override {
    assert(reactor_->InReactorThread());
    alive_.reset();
    Stop();
  }

  void Cancel() override {
    assert(reactor_->InReactorThread());
    Stop();
    callback_ = nullptr;
  }

  void Start(const TlsClientContext* tls_ctx, const std::string& address, uint16_t port,
             const std::string& host, const std::string& ehlo_name) {
    start_ = absl::Now();
    result_.address = address;
    result_.port = port;
    result_.host = host;
    peer_ = AddressPort(address, port);
    std::string problem;
    if (host.empty() || !IsPrintableToken(host)) {
      problem = absl::StrCat("MX host name \"", absl::CHexEscape(host),
                             "\" is empty or holds spaces or control characters");
    } else if (ehlo_name.empty() || !IsPrintableToken(ehlo_name)) {
      problem = absl::StrCat("EHLO name \"", absl::CHexEscape(ehlo_name),
                             "\" is empty or holds spaces or control characters");
    } else if (tls_ctx == nullptr) {
      problem = "no TLS context";
    }
    absl::StatusOr<std::unique_ptr<TlsStream>> stream =
        problem.empty() ? TlsStream::Create(reactor_, tls_ctx)
                        : absl::InvalidArgumentError(problem);
    if (!stream.ok()) {
      NetError e;
      e.failure = NetFailure::kLocalError;
      e.phase = NetPhase::kConnect;
      e.message = absl::StrCat("cannot probe ", peer_, ": ", stream.status().message());
      // Never inside ProbeSmtpStartTls: deliver on the next turn.
      reactor_->Post([this, alive = std::weak_ptr<bool>(alive_), e = std::move(e)]() mutable {
        if (alive.expired()) return;
        Fail(std::move(e));
      });
      return;
    }
    stream_ = *std::move(stream);
    ehlo_name_ = ehlo_name;
    tls_params_.host = host;
    tls_params_.handshake_timeout = limits_.handshake_timeout;
    if (limits_.deadline != absl::InfiniteFuture()) {
      deadline_timer_ = reactor_->RunAt(limits_.deadline, [this] {
        deadline_timer_ = 0;
        NetError e;
        e.failure = NetFailure::kDeadlineExceeded;
        e.message = absl::StrCat("the deadline passed during the ", SmtpPhaseName(phase_),
                                 " with ", peer_, " (", Millis(absl::Now() - start_),
                                 " after the probe began)");
        Fail(std::move(e));
      });
    }
    phase_ = SmtpPhase::kConnect;
    stream_->Connect(address, port, limits_.connect_timeout,
                     [this](NetError e) { OnConnected(std::move(e)); });
  }

 private:
  using ReplyHandler = void (ProbeImpl::*)(SmtpReply);

  void OnConnected(NetError e) {
    result_.connect_time = stream_->connect_time();
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    result_.connected = true;
    phase_ = SmtpPhase::kGreeting;
    ReadReply(limits_.greeting_timeout, &ProbeImpl::OnGreeting);
  }

  void OnGreeting(SmtpReply reply) {
    result_.greeting = std::move(reply);
    // RFC 5321 §3.1: 220 opens the session; 554 (or 4xx) says no service.
    if (result_.greeting.code != 220) {
      Refused(absl::StrCat(peer_, " refused the session in its greeting: ",
                           result_.greeting.code, " ", Quote(result_.greeting.Text())));
      return;
    }
    phase_ = SmtpPhase::kEhlo;
    SendCommand(absl::StrCat("EHLO ", ehlo_name_, "\r\n"), limits_.ehlo_timeout,
                &ProbeImpl::OnEhlo);
  }

  void OnEhlo(SmtpReply reply) {
    result_.ehlo = std::move(reply);
    if (result_.ehlo.code != 250) {
      Refused(absl::StrCat(peer_, " refused EHLO: ", result_.ehlo.code, " ",
                           Quote(result_.ehlo.Text())));
      return;
    }
    result_.ehlo_keywords = EhloKeywords(result_.ehlo);
    result_.starttls_offered = OffersStartTls(result_.ehlo_keywords);
    if (!result_.starttls_offered) {
      NetError e;
      e.failure = NetFailure::kStartTlsNotOffered;
      e.message = absl::StrCat(
          peer_, " does not advertise STARTTLS in its EHLO reply (keywords: ",
          result_.ehlo_keywords.empty() ? "none" : absl::StrJoin(result_.ehlo_keywords, " "),
          ")");
      QuitThenFail(std::move(e));
      return;
    }
    phase_ = SmtpPhase::kStartTls;
    SendCommand("STARTTLS\r\n", limits_.starttls_timeout, &ProbeImpl::OnStartTlsReply);
  }

  void OnStartTlsReply(SmtpReply reply) {
    result_.starttls = std::move(reply);
    if (result_.starttls.code != 220) {
      Refused(absl::StrCat(peer_, " advertises STARTTLS but answered it with ",
                           result_.starttls.code, " ", Quote(result_.starttls.Text())));
      return;
    }
    phase_ = SmtpPhase::kTlsHandshake;
    CancelPhaseTimer();  // StartTls has its own timeout
    stream_->StartTls(tls_params_, [this](NetError e) { OnHandshake(std::move(e)); });
  }

  void OnHandshake(NetError e) {
    result_.tls = stream_->tls_info();
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    // Success from here on; QUIT is politeness.
    phase_ = SmtpPhase::kQuit;
    SendCommand("QUIT\r\n", limits_.quit_timeout, &ProbeImpl::OnQuitReply);
  }

  void OnQuitReply(SmtpReply reply) {
    result_.quit_code = reply.code;
    phase_ = SmtpPhase::kDone;
    Deliver();
  }

  // A 4xx/5xx where we needed the exchange to go on: say goodbye, then fail.
  void Refused(std::string message) {
    NetError e;
    e.failure = NetFailure::kSmtpRejected;
    e.message = std::move(message);
    QuitThenFail(std::move(e));
  }

  void QuitThenFail(NetError e) {
    pending_error_ = std::move(e);
    failed_phase_ = phase_;
    phase_ = SmtpPhase::kQuit;
    SendCommand("QUIT\r\n", limits_.quit_timeout, &ProbeImpl::OnQuitReply);
  }

  void SendCommand(std::string command, absl::Duration timeout, ReplyHandler handler) {
    stream_->Write(std::move(command), [this](NetError e) {
      if (!e.ok()) Fail(std::move(e));
    });
    ReadReply(timeout, handler);
  }

  // Reads one whole reply within `timeout`, then calls `handler`.
  void ReadReply(absl::Duration timeout, ReplyHandler handler) {
    CancelPhaseTimer();
    parser_ = SmtpReplyParser(limits_.max_reply_lines, limits_.max_line_bytes);
    handler_ = handler;
    const SmtpPhase phase = phase_;
    phase_timer_ = reactor_->RunAfter(timeout, [this, timeout, phase] {
      phase_timer_ = 0;
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kRead;
      e.message = absl::StrCat(peer_, " sent no complete ", SmtpPhaseName(phase),
                               phase == SmtpPhase::kGreeting ? "" : " reply", " within ",
                               Millis(timeout));
      Fail(std::move(e));
    });
    stream_->ReadLine(limits_.max_line_bytes, [this](ReadResult r) { OnLine(std::move(r)); });
  }

  void OnLine(ReadResult r) {
    if (!r.error.ok() || r.eof) {
      NetError e = std::move(r.error);
      if (r.eof) {
        e.failure = NetFailure::kConnectionClosed;
        e.message = absl::StrCat(peer_, " closed the connection during the ",
                                 SmtpPhaseName(phase_));
      } else if (e.failure == NetFailure::kLineTooLong) {
        e.message = absl::StrCat(peer_, " sent a reply line over ", limits_.max_line_bytes,
                                 " bytes during the ", SmtpPhaseName(phase_));
      }
      e.phase = NetPhase::kRead;
      Fail(std::move(e));
      return;
    }
    switch (parser_.FeedLine(r.data)) {
      case SmtpReplyParser::State::kNeedMore:
        stream_->ReadLine(limits_.max_line_bytes, [this](ReadResult r) { OnLine(std::move(r)); });
        return;
      case SmtpReplyParser::State::kError: {
        NetError e;
        e.failure = NetFailure::kSmtpMalformed;
        e.phase = NetPhase::kRead;
        e.message = absl::StrCat("bad SMTP reply from ", peer_, " during the ",
                                 SmtpPhaseName(phase_), ": ", parser_.error());
        Fail(std::move(e));
        return;
      }
      case SmtpReplyParser::State::kComplete:
        CancelPhaseTimer();
        (this->*handler_)(parser_.reply());
        return;
    }
  }

  static std::string Quote(absl::string_view text) {
    return absl::StrCat("\"", absl::CHexEscape(text.substr(0, 200)), "\"");
  }

  void Fail(NetError e) {
    if (phase_ == SmtpPhase::kQuit) {
      // QUIT went wrong: the probe's outcome was settled before it.
      phase_ = SmtpPhase::kDone;
      Deliver();
      return;
    }
    if (stream_ != nullptr && phase_ == SmtpPhase::kTlsHandshake) {
      result_.tls = stream_->tls_info();
    }
    result_.error = std::move(e);
    result_.phase = phase_;
    Deliver();
  }

  // Closes the connection and runs the callback. Last use of `this`.
  void Deliver() {
    Stop();
    if (pending_error_.has_value()) {
      result_.error = *std::move(pending_error_);
      result_.phase = failed_phase_;
      pending_error_.reset();
    } else if (result_.ok()) {
      result_.phase = SmtpPhase::kDone;
    }
    result_.total_time = absl::Now() - start_;
    SmtpProbeCallback callback = std::move(callback_);
    callback_ = nullptr;
    if (callback) callback(std::move(result_));
  }

  void CancelPhaseTimer() {
    if (phase_timer_ != 0) reactor_->CancelTimer(phase_timer_);
    phase_timer_ = 0;
  }

  void Stop() {
    CancelPhaseTimer();
    if (deadline_timer_ != 0) reactor_->CancelTimer(deadline_timer_);
    deadline_timer_ = 0;
    if (stream_ != nullptr) stream_->Close();
  }

  Reactor* const reactor_;
  const SmtpLimits limits_;
  SmtpProbeCallback callback_;
  std::unique_ptr<TlsStream> stream_;
  TlsParams tls_params_;
  std::string ehlo_name_;
  std::string peer_;
  SmtpProbeResult result_;
  SmtpPhase phase_ = SmtpPhase::kNone;
  SmtpReplyParser parser_;
  ReplyHandler handler_ = nullptr;
  // A refusal waiting for QUIT to finish.
  std::optional<NetError> pending_error_;
  SmtpPhase failed_phase_ = SmtpPhase::kNone;
  absl::Time start_;
  TimerId deadline_timer_ = 0;
  TimerId phase_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<SmtpProbe> ProbeSmtpStartTls(Reactor* reactor, const TlsClientContext* tls_ctx,
                                             const std::string& address, uint16_t port,
                                             const std::string& host,
                                             const std::string& ehlo_name,
                                             const SmtpLimits& limits,
                                             SmtpProbeCallback callback) {
  assert(reactor != nullptr && reactor->InReactorThread());
  auto probe = std::make_unique<ProbeImpl>(reactor, limits, std::move(callback));
  // SNI and verification use the name without its trailing dot.
  std::string name = host;
  if (!name.empty() && name.back() == '.') name.pop_back();
  probe->Start(tls_ctx, address, port, name, ehlo_name);
  return probe;
}

}  // namespace mtasts::net

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
#include "net/legacy_version_probe.h"
#include "net/one_shot.h"
#include "net/wire_text.h"

namespace mtasts::net {

namespace {

class ProbeImpl final : public OneShotOperation<SmtpProbe, SmtpProbeResult> {
 public:
  ProbeImpl(Reactor* reactor, const SmtpLimits& limits, SmtpProbeCallback callback)
      : OneShotOperation(reactor, std::move(callback)), limits_(limits) {}

  void Start(const TlsClientContext* tls_ctx, const std::string& address, uint16_t port,
             const std::string& host, const std::string& ehlo_name, bool legacy) {
    result_.address = address;
    result_.port = port;
    result_.host = host;
    std::string problem = NameProblem("MX host name", host);
    if (problem.empty()) problem = NameProblem("EHLO name", ehlo_name);
    if (!Begin(tls_ctx, address, port, std::move(problem),
               absl::StrCat("cannot probe ", AddressPort(address, port)))) {
      return;
    }
    ehlo_name_ = ehlo_name;
    tls_params_.host = host;
    tls_params_.handshake_timeout = limits_.handshake_timeout;
    tls_params_.legacy_version_probe = legacy;
    ArmDeadline(limits_.deadline,
                [this] { return DeadlineError(SmtpPhaseName(phase_), "probe"); });
    phase_ = SmtpPhase::kConnect;
    stream()->Connect(address, port, limits_.connect_timeout,
                      [this](NetError e) { OnConnected(std::move(e)); });
  }

 private:
  using ReplyHandler = void (ProbeImpl::*)(SmtpReply);

  void OnConnected(NetError e) {
    result_.connect_time = stream()->connect_time();
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    result_.connected = true;
    connected_at_ = absl::Now();
    phase_ = SmtpPhase::kGreeting;
    ReadReply(limits_.greeting_timeout, &ProbeImpl::OnGreeting);
  }

  void OnGreeting(SmtpReply reply) {
    result_.greeting = std::move(reply);
    result_.greeting_time = absl::Now() - connected_at_;
    // RFC 5321 §3.1: 220 opens the session; 554 (or 4xx) says no service.
    if (result_.greeting.code != 220) {
      Refused(absl::StrCat(peer(), " refused the session in its greeting: ",
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
      Refused(absl::StrCat(peer(), " refused EHLO: ", result_.ehlo.code, " ",
                           Quote(result_.ehlo.Text())));
      return;
    }
    result_.ehlo_keywords = EhloKeywords(result_.ehlo);
    result_.starttls_offered = OffersStartTls(result_.ehlo_keywords);
    if (!result_.starttls_offered) {
      NetError e;
      e.failure = NetFailure::kProtocol;
      e.message = absl::StrCat(
          peer(), " does not advertise STARTTLS in its EHLO reply (keywords: ",
          result_.ehlo_keywords.empty() ? "none" : absl::StrJoin(result_.ehlo_keywords, " "),
          ")");
      QuitThenFail(std::move(e), SmtpFailure::kStartTlsNotOffered);
      return;
    }
    phase_ = SmtpPhase::kStartTls;
    SendCommand("STARTTLS\r\n", limits_.starttls_timeout, &ProbeImpl::OnStartTlsReply);
  }

  void OnStartTlsReply(SmtpReply reply) {
    result_.starttls = std::move(reply);
    if (result_.starttls.code != 220) {
      Refused(absl::StrCat(peer(), " advertises STARTTLS but answered it with ",
                           result_.starttls.code, " ", Quote(result_.starttls.Text())));
      return;
    }
    phase_ = SmtpPhase::kTlsHandshake;
    CancelPhaseTimer();  // StartTls has its own timeout
    stream()->StartTls(tls_params_, [this](NetError e) { OnHandshake(std::move(e)); });
  }

  void OnHandshake(NetError e) {
    result_.tls = stream()->tls_info();
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
    e.failure = NetFailure::kProtocol;
    e.message = std::move(message);
    QuitThenFail(std::move(e), SmtpFailure::kRejected);
  }

  void QuitThenFail(NetError e, SmtpFailure failure) {
    pending_error_ = std::move(e);
    pending_smtp_failure_ = failure;
    failed_phase_ = phase_;
    phase_ = SmtpPhase::kQuit;
    SendCommand("QUIT\r\n", limits_.quit_timeout, &ProbeImpl::OnQuitReply);
  }

  void SendCommand(std::string command, absl::Duration timeout, ReplyHandler handler) {
    stream()->Write(std::move(command), [this](NetError e) {
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
    ArmPhaseTimer(timeout, [this, timeout, phase] {
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kRead;
      e.message = absl::StrCat(peer(), " sent no complete ", SmtpPhaseName(phase),
                               phase == SmtpPhase::kGreeting ? "" : " reply", " within ",
                               Millis(timeout));
      return e;
    });
    stream()->ReadLine(limits_.max_line_bytes, [this](ReadResult r) { OnLine(std::move(r)); });
  }

  void OnLine(ReadResult r) {
    if (!r.error.ok() || r.eof) {
      NetError e = std::move(r.error);
      if (r.eof) {
        e.failure = NetFailure::kConnectionClosed;
        e.message = absl::StrCat(peer(), " closed the connection during the ",
                                 SmtpPhaseName(phase_));
      } else if (e.failure == NetFailure::kLineTooLong) {
        e.message = absl::StrCat(peer(), " sent a reply line over ", limits_.max_line_bytes,
                                 " bytes during the ", SmtpPhaseName(phase_));
      }
      e.phase = NetPhase::kRead;
      Fail(std::move(e));
      return;
    }
    switch (parser_.FeedLine(r.data)) {
      case SmtpReplyParser::State::kNeedMore:
        stream()->ReadLine(limits_.max_line_bytes, [this](ReadResult r) { OnLine(std::move(r)); });
        return;
      case SmtpReplyParser::State::kError: {
        NetError e;
        e.failure = NetFailure::kProtocol;
        e.phase = NetPhase::kRead;
        e.message = absl::StrCat("bad SMTP reply from ", peer(), " during the ",
                                 SmtpPhaseName(phase_), ": ", parser_.error());
        // (A bad reply to QUIT does not make the probe fail.)
        if (phase_ != SmtpPhase::kQuit) result_.smtp_failure = SmtpFailure::kMalformed;
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

  void Fail(NetError e) override {
    if (phase_ == SmtpPhase::kQuit) {
      // QUIT went wrong: the probe's outcome was settled before it.
      phase_ = SmtpPhase::kDone;
      Deliver();
      return;
    }
    if (e.failure != NetFailure::kProtocol) result_.smtp_failure = SmtpFailure::kNone;
    if (stream() != nullptr && phase_ == SmtpPhase::kTlsHandshake) {
      result_.tls = stream()->tls_info();
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
      result_.smtp_failure = pending_smtp_failure_;
      pending_error_.reset();
    } else if (result_.ok()) {
      result_.phase = SmtpPhase::kDone;
    }
    result_.total_time = absl::Now() - start();
    Finish(std::move(result_));
  }

  const SmtpLimits limits_;
  TlsParams tls_params_;
  std::string ehlo_name_;
  SmtpProbeResult result_;
  SmtpPhase phase_ = SmtpPhase::kNone;
  absl::Time connected_at_ = absl::InfinitePast();  // for greeting_time
  SmtpReplyParser parser_;
  ReplyHandler handler_ = nullptr;
  // A refusal waiting for QUIT to finish.
  std::optional<NetError> pending_error_;
  SmtpFailure pending_smtp_failure_ = SmtpFailure::kNone;
  SmtpPhase failed_phase_ = SmtpPhase::kNone;
};

}  // namespace

std::unique_ptr<SmtpProbe> ProbeSmtpStartTls(Reactor* reactor, const TlsClientContext* tls_ctx,
                                             const std::string& address, uint16_t port,
                                             const std::string& host,
                                             const std::string& ehlo_name,
                                             const SmtpLimits& limits,
                                             SmtpProbeCallback callback) {
  assert(reactor != nullptr && reactor->InReactorThread());
  // SNI and verification use the name without its trailing dot.
  std::string name = host;
  if (!name.empty() && name.back() == '.') name.pop_back();
  // A failed handshake gets one diagnostic probe (net/legacy_version_probe.h).
  return WithLegacyVersionProbe<SmtpProbe, SmtpProbeResult>::StartOperation<ProbeImpl>(
      reactor, limits, std::move(callback), tls_ctx, address, port, name, ehlo_name);
}

}  // namespace mtasts::net

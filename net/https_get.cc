#include "net/https_get.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/legacy_version_probe.h"
#include "net/lifetime.h"
#include "net/one_shot.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

// Bytes asked of the stream per read; the parser bounds what is kept.
constexpr size_t kReadSize = 16384;

class FetchImpl final : public OneShotOperation<HttpsFetch, HttpsResult> {
 public:
  FetchImpl(Reactor* reactor, const HttpsLimits& limits, HttpsCallback callback)
      : OneShotOperation(reactor, std::move(callback)), limits_(limits), parser_(limits.http) {}

  void Start(const TlsClientContext* tls_ctx, const std::string& address, uint16_t port,
             const std::string& host, const std::string& path, bool legacy) {
    result_.address = address;
    result_.port = port;
    result_.host = host;
    result_.path = path;
    std::string problem = NameProblem("host name", host);
    if (problem.empty() && (path.empty() || path[0] != '/' || !IsPrintableToken(path))) {
      problem = absl::StrCat("path \"", absl::CHexEscape(path),
                             "\" must start with \"/\" and hold no spaces or control characters");
    }
    if (!Begin(tls_ctx, address, port, std::move(problem),
               absl::StrCat("cannot fetch https://", host, path))) {
      return;
    }
    request_ = BuildHttpsGetRequest(host, port, path);
    tls_params_.host = host;
    tls_params_.handshake_timeout = limits_.handshake_timeout;
    tls_params_.legacy_version_probe = legacy;
    ArmDeadline(limits_.deadline, [this] {
      NetError e = DeadlineError(NetPhaseName(phase_), "fetch");
      e.phase = phase_;
      return e;
    });
    const absl::Duration total_timeout = limits_.total_timeout;
    total_timer_.RunAfter(total_timeout, [this, total_timeout] {
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = phase_;
      e.message = absl::StrCat("no complete response from ", peer(), " within the fetch timeout of ",
                               Millis(total_timeout), " (stopped in the ", NetPhaseName(phase_),
                               ", ", bytes_received_, " bytes received)");
      Fail(std::move(e));
    });
    phase_ = NetPhase::kConnect;
    stream()->Connect(address, port, limits_.connect_timeout,
                      [this](NetError e) { OnConnected(std::move(e)); });
  }

 private:
  void OnConnected(NetError e) {
    result_.timings.connect = stream()->connect_time();
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    phase_ = NetPhase::kTlsHandshake;
    stream()->StartTls(tls_params_, [this](NetError e) { OnHandshake(std::move(e)); });
  }

  void OnHandshake(NetError e) {
    result_.tls = stream()->tls_info();
    result_.timings.tls_handshake = result_.tls.handshake_time;
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    phase_ = NetPhase::kFirstByte;
    request_start_ = absl::Now();
    const absl::Duration response_timeout = limits_.response_timeout;
    response_timer_.RunAfter(response_timeout, [this, response_timeout] {
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kResponse;
      e.message = absl::StrCat("the response from ", peer(), " did not complete within ",
                               Millis(response_timeout), " (", bytes_received_,
                               " bytes received)");
      Fail(std::move(e));
    });
    stream()->Write(request_, [this](NetError e) { OnWritten(std::move(e)); });
    // Read at once: a server may answer (an error page) before reading all of
    // the request.
    stream()->Read(kReadSize, [this](ReadResult r) { OnRead(std::move(r)); });
  }

  void OnWritten(NetError e) {
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    request_sent_ = absl::Now();
    if (bytes_received_ > 0) return;
    const absl::Duration first_byte_timeout = limits_.first_byte_timeout;
    ArmPhaseTimer(first_byte_timeout, [this, first_byte_timeout] {
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kFirstByte;
      e.message = absl::StrCat(peer(), " sent no response within ", Millis(first_byte_timeout),
                               " of the request");
      return e;
    });
  }

  void OnRead(ReadResult r) {
    if (!r.error.ok()) {
      NetError e = std::move(r.error);
      e.phase = bytes_received_ == 0 ? NetPhase::kFirstByte : NetPhase::kResponse;
      if (e.failure == NetFailure::kConnectionReset) {
        e.message = bytes_received_ == 0
                        ? absl::StrCat(peer(), " reset the connection before responding")
                        : absl::StrCat(peer(), " reset the connection after ", bytes_received_,
                                       " response bytes");
      }
      Fail(std::move(e));
      return;
    }
    HttpResponseParser::State state;
    if (r.eof) {
      result_.close_notify = r.close_notify;
      state = parser_.FinishOnClose();
    } else {
      if (bytes_received_ == 0) {
        CancelPhaseTimer();
        result_.timings.first_byte =
            absl::Now() - (request_sent_ != absl::InfinitePast() ? request_sent_ : request_start_);
        phase_ = NetPhase::kResponse;
      }
      bytes_received_ += r.data.size();
      state = parser_.Feed(r.data);
    }
    switch (state) {
      case HttpResponseParser::State::kNeedMore:
        if (r.eof) {  // the parser contract says this cannot happen; never hang
          Fail(ParserError(HttpFailure::kTruncated, "the connection closed early"));
          return;
        }
        stream()->Read(kReadSize, [this](ReadResult r) { OnRead(std::move(r)); });
        return;
      case HttpResponseParser::State::kComplete:
        Succeed();
        return;
      case HttpResponseParser::State::kBodyTooLarge:
        Fail(ParserError(HttpFailure::kBodyTooLarge, parser_.error()));
        return;
      case HttpResponseParser::State::kError:
        switch (parser_.error_kind()) {
          case HttpResponseParser::Error::kHeadersTooLarge:
            Fail(ParserError(HttpFailure::kHeadersTooLarge, parser_.error()));
            return;
          case HttpResponseParser::Error::kTruncated:
            Fail(ParserError(HttpFailure::kTruncated, parser_.error()));
            return;
          case HttpResponseParser::Error::kBodyTooLarge:
            Fail(ParserError(HttpFailure::kBodyTooLarge, parser_.error()));
            return;
          default:
            Fail(ParserError(HttpFailure::kMalformed, parser_.error()));
            return;
        }
    }
  }

  // The response broke HTTP or our limits: kProtocol for the transport's
  // eyes, the HTTP failure in the result.
  NetError ParserError(HttpFailure failure, absl::string_view what) {
    result_.http_failure = failure;
    NetError e;
    e.failure = NetFailure::kProtocol;
    e.phase = NetPhase::kResponse;
    e.message = absl::StrCat("bad HTTP response from ", peer(), ": ", what);
    return e;
  }

  void FillResponse() {
    result_.body_bytes_received = parser_.body_bytes_received();
    result_.body = parser_.body();
    result_.warnings = parser_.warnings();
    if (parser_.headers_complete()) {
      result_.status_code = parser_.status_code();
      result_.reason = parser_.reason();
      result_.http_minor_version = parser_.http_minor_version();
      result_.headers = parser_.headers();
      result_.framing = parser_.framing();
    }
  }

  void Succeed() {
    FillResponse();
    Deliver();
  }

  void Fail(NetError e) override {
    if (stream() != nullptr && !result_.tls.handshake_complete) {
      result_.tls = stream()->tls_info();
    }
    FillResponse();
    result_.error = std::move(e);
    if (result_.error.failure != NetFailure::kProtocol) result_.http_failure = HttpFailure::kNone;
    Deliver();
  }

  // Closes the connection and runs the callback. Last use of `this`.
  void Deliver() {
    Stop();
    result_.timings.total = absl::Now() - start();
    Finish(std::move(result_));
  }

  void OnStop() override {
    response_timer_.Cancel();
    total_timer_.Cancel();
  }

  const HttpsLimits limits_;
  HttpResponseParser parser_;
  TlsParams tls_params_;
  std::string request_;
  HttpsResult result_;
  NetPhase phase_ = NetPhase::kConnect;
  uint64_t bytes_received_ = 0;
  absl::Time request_start_ = absl::InfinitePast();
  absl::Time request_sent_ = absl::InfinitePast();
  // Handshake done -> response complete; the first-byte wait is the phase timer.
  ReactorTimer response_timer_{reactor()};
  // The whole fetch (HttpsLimits::total_timeout).
  ReactorTimer total_timer_{reactor()};
};

}  // namespace

std::string BuildHttpsGetRequest(const std::string& host, uint16_t port,
                                 const std::string& path) {
  std::string authority = host;
  if (!authority.empty() && authority.back() == '.') authority.pop_back();
  if (IsIpv6Literal(authority)) authority = absl::StrCat("[", authority, "]");
  // RFC 9110 §7.2: the port only when it is not the scheme's default.
  if (port != 443) absl::StrAppend(&authority, ":", port);
  return absl::StrCat("GET ", path, " HTTP/1.1\r\n",
                      "Host: ", authority, "\r\n",
                      "User-Agent: ", kHttpsUserAgent, "\r\n",
                      "Accept: text/plain\r\n",
                      "Connection: close\r\n",
                      "\r\n");
}

std::unique_ptr<HttpsFetch> HttpsGet(Reactor* reactor, const TlsClientContext* tls_ctx,
                                     const std::string& address, uint16_t port,
                                     const std::string& host, const std::string& path,
                                     const HttpsLimits& limits, HttpsCallback callback) {
  assert(reactor != nullptr && reactor->InReactorThread());
  // A failed handshake gets one diagnostic fetch, which ends at its
  // handshake (net/legacy_version_probe.h).
  return WithLegacyVersionProbe<HttpsFetch, HttpsResult>::StartOperation<FetchImpl>(
      reactor, limits, std::move(callback), tls_ctx, address, port, host, path);
}

}  // namespace mtasts::net

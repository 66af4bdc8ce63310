#include "net/https_get.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

// Bytes asked of the stream per read; the parser bounds what is kept.
constexpr size_t kReadSize = 16384;

class FetchImpl final : public HttpsFetch {
 public:
  FetchImpl(Reactor* reactor, const HttpsLimits& limits, HttpsCallback callback)
      : reactor_(reactor), limits_(limits), parser_(limits.http),
        callback_(std::move(callback)) {}

  ~FetchImpl() override {
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
             const std::string& host, const std::string& path) {
    start_ = absl::Now();
    result_.address = address;
    result_.port = port;
    result_.host = host;
    result_.path = path;
    peer_ = AddressPort(address, port);
    std::string problem;
    if (host.empty() || !IsPrintableToken(host)) {
      problem = absl::StrCat("host name \"", absl::CHexEscape(host),
                             "\" is empty or holds spaces or control characters");
    } else if (path.empty() || path[0] != '/' || !IsPrintableToken(path)) {
      problem = absl::StrCat("path \"", absl::CHexEscape(path),
                             "\" must start with \"/\" and hold no spaces or control characters");
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
      e.message = absl::StrCat("cannot fetch https://", host, path, ": ",
                               stream.status().message());
      // Never inside HttpsGet: deliver on the next turn.
      reactor_->Post([this, alive = std::weak_ptr<bool>(alive_), e = std::move(e)]() mutable {
        if (alive.expired()) return;
        Fail(std::move(e));
      });
      return;
    }
    stream_ = *std::move(stream);
    request_ = BuildHttpsGetRequest(host, port, path);
    tls_params_.host = host;
    tls_params_.handshake_timeout = limits_.handshake_timeout;
    if (limits_.deadline != absl::InfiniteFuture()) {
      deadline_timer_ = reactor_->RunAt(limits_.deadline, [this] {
        deadline_timer_ = 0;
        NetError e;
        e.failure = NetFailure::kDeadlineExceeded;
        e.phase = phase_;
        e.message = absl::StrCat("the deadline passed during the ", NetPhaseName(phase_),
                                 " with ", peer_, " (", Millis(absl::Now() - start_),
                                 " after the fetch began)");
        Fail(std::move(e));
      });
    }
    phase_ = NetPhase::kConnect;
    stream_->Connect(address, port, limits_.connect_timeout,
                     [this](NetError e) { OnConnected(std::move(e)); });
  }

 private:
  void OnConnected(NetError e) {
    result_.timings.connect = stream_->connect_time();
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    phase_ = NetPhase::kTlsHandshake;
    stream_->StartTls(tls_params_, [this](NetError e) { OnHandshake(std::move(e)); });
  }

  void OnHandshake(NetError e) {
    result_.tls = stream_->tls_info();
    result_.timings.tls_handshake = result_.tls.handshake_time;
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    phase_ = NetPhase::kFirstByte;
    request_start_ = absl::Now();
    const absl::Duration response_timeout = limits_.response_timeout;
    response_timer_ = reactor_->RunAfter(response_timeout, [this, response_timeout] {
      response_timer_ = 0;
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kResponse;
      e.message = absl::StrCat("the response from ", peer_, " did not complete within ",
                               Millis(response_timeout), " (", bytes_received_,
                               " bytes received)");
      Fail(std::move(e));
    });
    stream_->Write(request_, [this](NetError e) { OnWritten(std::move(e)); });
    // Read at once: a server may answer (an error page) before reading all of
    // the request.
    stream_->Read(kReadSize, [this](ReadResult r) { OnRead(std::move(r)); });
  }

  void OnWritten(NetError e) {
    if (!e.ok()) {
      Fail(std::move(e));
      return;
    }
    request_sent_ = absl::Now();
    if (bytes_received_ > 0) return;
    const absl::Duration first_byte_timeout = limits_.first_byte_timeout;
    first_byte_timer_ = reactor_->RunAfter(first_byte_timeout, [this, first_byte_timeout] {
      first_byte_timer_ = 0;
      NetError e;
      e.failure = NetFailure::kTimeout;
      e.phase = NetPhase::kFirstByte;
      e.message = absl::StrCat(peer_, " sent no response within ", Millis(first_byte_timeout),
                               " of the request");
      Fail(std::move(e));
    });
  }

  void OnRead(ReadResult r) {
    if (!r.error.ok()) {
      NetError e = std::move(r.error);
      e.phase = bytes_received_ == 0 ? NetPhase::kFirstByte : NetPhase::kResponse;
      if (e.failure == NetFailure::kConnectionReset) {
        e.message = bytes_received_ == 0
                        ? absl::StrCat(peer_, " reset the connection before responding")
                        : absl::StrCat(peer_, " reset the connection after ", bytes_received_,
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
        if (first_byte_timer_ != 0) reactor_->CancelTimer(first_byte_timer_);
        first_byte_timer_ = 0;
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
          Fail(ParserError(NetFailure::kHttpTruncated, "the connection closed early"));
          return;
        }
        stream_->Read(kReadSize, [this](ReadResult r) { OnRead(std::move(r)); });
        return;
      case HttpResponseParser::State::kComplete:
        Succeed();
        return;
      case HttpResponseParser::State::kBodyTooLarge:
        Fail(ParserError(NetFailure::kHttpBodyTooLarge, parser_.error()));
        return;
      case HttpResponseParser::State::kError:
        switch (parser_.error_kind()) {
          case HttpResponseParser::Error::kHeadersTooLarge:
            Fail(ParserError(NetFailure::kHttpHeadersTooLarge, parser_.error()));
            return;
          case HttpResponseParser::Error::kTruncated:
            Fail(ParserError(NetFailure::kHttpTruncated, parser_.error()));
            return;
          case HttpResponseParser::Error::kBodyTooLarge:
            Fail(ParserError(NetFailure::kHttpBodyTooLarge, parser_.error()));
            return;
          default:
            Fail(ParserError(NetFailure::kHttpMalformed, parser_.error()));
            return;
        }
    }
  }

  NetError ParserError(NetFailure failure, absl::string_view what) {
    NetError e;
    e.failure = failure;
    e.phase = NetPhase::kResponse;
    e.message = absl::StrCat("bad HTTP response from ", peer_, ": ", what);
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

  void Fail(NetError e) {
    if (stream_ != nullptr && !result_.tls.handshake_complete) result_.tls = stream_->tls_info();
    FillResponse();
    result_.error = std::move(e);
    Deliver();
  }

  // Closes the connection and runs the callback. Last use of `this`.
  void Deliver() {
    Stop();
    result_.timings.total = absl::Now() - start_;
    HttpsCallback callback = std::move(callback_);
    callback_ = nullptr;
    if (callback) callback(std::move(result_));
  }

  void Stop() {
    for (TimerId* t : {&deadline_timer_, &response_timer_, &first_byte_timer_}) {
      if (*t != 0) reactor_->CancelTimer(*t);
      *t = 0;
    }
    if (stream_ != nullptr) stream_->Close();
  }

  Reactor* const reactor_;
  const HttpsLimits limits_;
  HttpResponseParser parser_;
  HttpsCallback callback_;
  std::unique_ptr<TlsStream> stream_;
  TlsParams tls_params_;
  std::string request_;
  std::string peer_;
  HttpsResult result_;
  NetPhase phase_ = NetPhase::kConnect;
  uint64_t bytes_received_ = 0;
  absl::Time start_;
  absl::Time request_start_ = absl::InfinitePast();
  absl::Time request_sent_ = absl::InfinitePast();
  TimerId deadline_timer_ = 0;
  TimerId response_timer_ = 0;
  TimerId first_byte_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::optional<std::string> HttpsResult::Header(absl::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

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
  auto fetch = std::make_unique<FetchImpl>(reactor, limits, std::move(callback));
  fetch->Start(tls_ctx, address, port, host, path);
  return fetch;
}

}  // namespace mtasts::net

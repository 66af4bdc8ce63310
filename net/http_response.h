// An incremental HTTP/1.1 response parser (RFC 9112) for the GETs of
// net/https_get.h (the policy fetch) over our TLS stream.
//
// Bytes are fed as the socket delivers them, in pieces of any size; the
// parser says after each piece whether it needs more, has a whole response,
// or has given up, and why:
//
//   HttpResponseParser parser;                 // 16 KiB headers, 64 KiB body
//   parser.Feed("HTTP/1.1 200 OK\r\nContent-Type: text/pl");  // kNeedMore
//   parser.Feed("ain\r\nContent-Length: 5\r\n\r\nhello");    // kComplete
//   parser.status_code();                      // 200
//   parser.Header("content-type");             // "text/plain"
//   parser.body();                             // "hello"
//   // At EOF (we send "Connection: close"): parser.FinishOnClose().
//
// Why our own and not a library: we need one event loop (the reactor drives
// non-blocking OpenSSL reads for HTTPS and SMTP alike; a client library with
// its own loop or blocking reads does not fit), exact diagnostics that a finding can
// quote ("headers exceed 16384 bytes", "connection closed after 10 of 20 body
// bytes", "obsolete line folding in line 3"), hard limits on everything a
// remote party controls, and code small enough to fuzz exhaustively. We
// only ever send one GET with "Connection: close", so the parser needs no
// pipelining, no request side and no content codings.
//
// What it accepts (RFC 9112 and RFC 9110):
//  - Status line "HTTP/1.0" or "HTTP/1.1", a three-digit code 100-599, an
//    optional reason. Lines end in CRLF or a bare LF (RFC 9112 §2.2 allows
//    recipients to accept LF; noted in warnings()).
//  - Header fields: token names (compared case-insensitively), values without
//    control characters, surrounding whitespace trimmed. Obsolete line folding
//    and whitespace before the colon are rejected (RFC 9112 §5.1, §5.2).
//  - Interim 1xx responses are skipped; 101 Switching Protocols is an error
//    (a GET never asks to upgrade).
//  - Body framing as RFC 9112 §6.3 orders it: none for 204 and 304;
//    Transfer-Encoding "chunked" (the only coding accepted; it wins over
//    Content-Length, which is then ignored); one valid Content-Length;
//    otherwise everything until the server closes the connection.
//  - Chunked bodies: hex sizes (at most 16 digits), extensions ignored,
//    trailer fields parsed and dropped.
//
// Limits: the header block (status line and fields of every head received,
// interim ones included) and the trailer section each at most
// max_header_bytes; the body at most max_body_bytes. A body over the limit is
// its own state, kBodyTooLarge, decided as early as possible: at the headers
// when Content-Length declares too much, at a chunk's size line, or when
// close-delimited bytes overflow.
//
// Thread-compatible: a parser is a plain object used by one thread.
#ifndef MTASTS_NET_HTTP_RESPONSE_H_
#define MTASTS_NET_HTTP_RESPONSE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::net {

struct HttpLimits {
  // Bytes of the response head(s), line terminators included; also the
  // bound on the chunked trailer section.
  size_t max_header_bytes = 16384;
  // Bytes of the (de-chunked) body.
  size_t max_body_bytes = 65536;
};

// One header field as received: the name's case kept, the value trimmed.
struct HttpHeader {
  std::string name;
  std::string value;
};

class HttpResponseParser {
 public:
  enum class State {
    kNeedMore,      // feed more bytes, or call FinishOnClose() at EOF
    kComplete,      // a whole final response; later bytes are only counted
    kError,         // not a response we accept: error() says why
    kBodyTooLarge,  // the body is over max_body_bytes: error() says by how much
  };
  // What went wrong, for callers that map errors to findings.
  enum class Error {
    kNone,
    kMalformed,        // syntax, or something we do not accept (HTTP/2, 101,
                       // gzip transfer coding, conflicting Content-Length)
    kHeadersTooLarge,  // head or trailers over max_header_bytes
    kTruncated,        // the connection closed before the response ended
    kBodyTooLarge,     // State::kBodyTooLarge
  };
  // How the body was delimited; kUnknown until the head is complete.
  enum class Framing { kUnknown, kNoBody, kContentLength, kChunked, kUntilClose };

  explicit HttpResponseParser(HttpLimits limits = HttpLimits());

  // Consumes the next bytes of the connection and returns the state. Once
  // the state is no longer kNeedMore, further bytes change nothing (after
  // kComplete they are counted in excess_bytes()).
  State Feed(absl::string_view bytes);
  // The server closed the connection (clean EOF). Completes a body read until
  // close; anywhere else before the end it is a kTruncated error that says
  // where. No-op once the state is no longer kNeedMore.
  State FinishOnClose();

  State state() const;
  Error error_kind() const { return error_kind_; }
  // One precise sentence fragment for a finding, e.g. "headers exceed 16384
  // bytes" or "body exceeds 65536 bytes (Content-Length: 70000; 1024 bytes
  // received)". Empty unless the state is kError or kBodyTooLarge.
  const std::string& error() const { return error_; }
  // Observations that are not errors: a bare-LF line ending, Content-Length
  // ignored beside chunked.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The final (non-1xx) response's head; valid once headers_complete().
  bool headers_complete() const { return headers_complete_; }
  int status_code() const { return status_code_; }
  const std::string& reason() const { return reason_; }
  // 0 for HTTP/1.0, 1 for HTTP/1.1.
  int http_minor_version() const { return minor_version_; }
  // Every field in the order received; names may repeat.
  const std::vector<HttpHeader>& headers() const { return headers_; }
  // The first value of the named field (case-insensitive), nullopt when
  // absent. Points into this parser: valid until the next Feed.
  std::optional<absl::string_view> Header(absl::string_view name) const;
  // Every value of the named field, in order.
  std::vector<absl::string_view> HeaderValues(absl::string_view name) const;
  // Header("location"), for redirects: reported, never followed.
  std::optional<absl::string_view> Location() const {
    return Header("location");
  }
  Framing framing() const { return framing_; }
  // The declared length when framing() is kContentLength.
  std::optional<uint64_t> content_length() const { return content_length_; }
  // Interim (1xx) responses skipped before the final one.
  int interim_responses() const { return interim_responses_; }

  // The body so far, de-chunked: at most max_body_bytes (with kBodyTooLarge,
  // the first max_body_bytes that arrived).
  const std::string& body() const { return body_; }
  // Body bytes received, including any over the limit.
  uint64_t body_bytes_received() const { return body_received_; }
  // Bytes fed after the response was complete (a server sending more than
  // it declared).
  uint64_t excess_bytes() const { return excess_bytes_; }

 private:
  enum class Phase {
    kStatusLine,
    kHeaderLine,
    kFixedBody,
    kCloseBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailer,
    kDone,
    kFailed,
  };

  bool TakeLine(absl::string_view& in, size_t budget, bool* over_budget);
  void ConsumeStatusLine(absl::string_view& in);
  void ConsumeHeaderLine(absl::string_view& in);
  void ConsumeChunkSize(absl::string_view& in);
  void ConsumeChunkDataEnd(absl::string_view& in);
  void ConsumeTrailer(absl::string_view& in);
  void AppendBody(absl::string_view& in, size_t n);
  void ParseStatusLine(absl::string_view line);
  void ParseHeaderLine(absl::string_view line, bool trailer);
  void OnHeadComplete();
  void Fail(Error kind, std::string message);
  void BodyTooLarge(std::string detail);
  void Complete() { phase_ = Phase::kDone; }

  HttpLimits limits_;
  Phase phase_ = Phase::kStatusLine;
  Error error_kind_ = Error::kNone;
  std::string error_;
  std::vector<std::string> warnings_;
  bool warned_bare_lf_ = false;

  std::string line_;           // the incomplete line being read
  uint64_t bytes_fed_ = 0;     // every byte of the response so far
  size_t head_bytes_ = 0;      // complete head lines, all heads
  size_t trailer_bytes_ = 0;   // complete trailer lines
  int line_number_ = 0;        // of the current head; the status line is 1

  bool headers_complete_ = false;
  int status_code_ = 0;
  int minor_version_ = 1;
  std::string reason_;
  std::vector<HttpHeader> headers_;
  int interim_responses_ = 0;
  Framing framing_ = Framing::kUnknown;
  std::optional<uint64_t> content_length_;

  uint64_t remaining_ = 0;     // of the Content-Length body or current chunk
  uint64_t chunk_size_ = 0;    // of the current chunk, for messages
  std::string body_;
  uint64_t body_received_ = 0;
  uint64_t excess_bytes_ = 0;
};

// A Content-Type value (RFC 9110 §8.3): media type and parameters.
struct ContentType {
  // "type/subtype", lower case.
  std::string media_type;
  // The charset parameter, unquoted and lower case; nullopt when absent.
  std::optional<std::string> charset;
  // Every parameter in order: names lower case, values unquoted as sent.
  std::vector<std::pair<std::string, std::string>> parameters;
};

// Parses a Content-Type field value, e.g. `text/plain; charset="UTF-8"`.
// INVALID_ARGUMENT saying what is wrong: empty, no "/subtype", a character
// not allowed in a token, a parameter without "=value", an unterminated
// quoted string, or charset given twice.
absl::StatusOr<ContentType> ParseContentType(absl::string_view value);

}  // namespace mtasts::net

#endif  // MTASTS_NET_HTTP_RESPONSE_H_

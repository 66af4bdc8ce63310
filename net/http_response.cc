#include "net/http_response.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mtasts::net {
namespace {

// A chunk-size line with extensions; real ones are a few bytes.
constexpr size_t kMaxChunkLineBytes = 4096;
// 16 hex digits hold any 64-bit size; more is hostile.
constexpr int kMaxChunkSizeDigits = 16;
// Content-Length digits that always fit in uint64_t.
constexpr size_t kMaxContentLengthDigits = 19;

// Quoted, escaped and bounded: messages echo what a remote party sent.
std::string Quote(absl::string_view text) {
  constexpr size_t kMaxEcho = 48;
  std::string out = absl::StrCat(
      "\"", absl::CHexEscape(text.substr(0, kMaxEcho)), "\"");
  if (text.size() > kMaxEcho) out += "...";
  return out;
}

std::string Hex(unsigned char c) {
  constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[c >> 4], kDigits[c & 0xf]};
}

// RFC 9110 §5.6.2 tchar.
bool IsTchar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9110 §5.5 field-vchar, SP and HTAB (obs-text included): everything
// but the control characters.
bool IsFieldChar(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The response's first line is shown up to this many bytes when it is not
// HTTP at all.
constexpr size_t kNotHttpEcho = 32;

// Could `s` still become "HTTP/..."?
bool MayBeHttp(absl::string_view s) {
  constexpr absl::string_view kHttp = "HTTP/";
  const size_t n = std::min(s.size(), kHttp.size());
  return s.substr(0, n) == kHttp.substr(0, n);
}

std::string NotHttp(absl::string_view line) {
  return absl::StrCat("not an HTTP response: it begins with ",
                      Quote(line.substr(0, kNotHttpEcho)));
}

bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

HttpResponseParser::HttpResponseParser(HttpLimits limits) : limits_(limits) {}

HttpResponseParser::State HttpResponseParser::state() const {
  switch (phase_) {
    case Phase::kDone:
      return State::kComplete;
    case Phase::kFailed:
      return error_kind_ == Error::kBodyTooLarge ? State::kBodyTooLarge
                                                 : State::kError;
    default:
      return State::kNeedMore;
  }
}

HttpResponseParser::State HttpResponseParser::Feed(absl::string_view in) {
  if (phase_ == Phase::kDone) {
    excess_bytes_ += in.size();
    return state();
  }
  if (phase_ == Phase::kFailed) return state();
  bytes_fed_ += in.size();
  while (!in.empty()) {
    switch (phase_) {
      case Phase::kStatusLine:
        ConsumeStatusLine(in);
        break;
      case Phase::kHeaderLine:
        ConsumeHeaderLine(in);
        break;
      case Phase::kFixedBody:
      case Phase::kChunkData: {
        const size_t take =
            static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
        AppendBody(in, take);
        remaining_ -= take;
        if (remaining_ == 0) {
          if (phase_ == Phase::kFixedBody) {
            Complete();
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        break;
      }
      case Phase::kCloseBody: {
        const bool overflow =
            in.size() > limits_.max_body_bytes - body_.size();
        AppendBody(in, in.size());
        if (overflow) {
          BodyTooLarge(
              absl::StrCat(body_received_, " bytes received before stopping"));
        }
        break;
      }
      case Phase::kChunkSize:
        ConsumeChunkSize(in);
        break;
      case Phase::kChunkDataEnd:
        ConsumeChunkDataEnd(in);
        break;
      case Phase::kTrailer:
        ConsumeTrailer(in);
        break;
      case Phase::kDone:
        excess_bytes_ += in.size();
        in = absl::string_view();
        break;
      case Phase::kFailed:
        in = absl::string_view();
        break;
    }
  }
  return state();
}

HttpResponseParser::State HttpResponseParser::FinishOnClose() {
  switch (phase_) {
    case Phase::kDone:
    case Phase::kFailed:
      break;
    case Phase::kCloseBody:
      Complete();
      break;
    case Phase::kStatusLine:
      if (bytes_fed_ == 0) {
        Fail(Error::kTruncated,
             "connection closed before any response bytes arrived");
        break;
      }
      if (!MayBeHttp(line_)) {
        Fail(Error::kMalformed, NotHttp(line_));
        break;
      }
      [[fallthrough]];
    case Phase::kHeaderLine:
      Fail(Error::kTruncated,
           absl::StrCat("connection closed in the response headers after ",
                        bytes_fed_, " bytes"));
      break;
    case Phase::kFixedBody:
      Fail(Error::kTruncated,
           absl::StrCat("connection closed after ", body_received_, " of ",
                        *content_length_, " body bytes (Content-Length)"));
      break;
    case Phase::kChunkSize:
    case Phase::kChunkData:
    case Phase::kChunkDataEnd:
      Fail(Error::kTruncated,
           absl::StrCat("connection closed in the chunked body after ",
                        body_received_,
                        " bytes of body (no final zero-size chunk)"));
      break;
    case Phase::kTrailer:
      Fail(Error::kTruncated,
           "connection closed in the chunked trailer section");
      break;
  }
  return state();
}

std::optional<absl::string_view> HttpResponseParser::Header(
    absl::string_view name) const {
  for (const HttpHeader& h : headers_) {
    if (absl::EqualsIgnoreCase(h.name, name)) return absl::string_view(h.value);
  }
  return std::nullopt;
}

std::vector<absl::string_view> HttpResponseParser::HeaderValues(
    absl::string_view name) const {
  std::vector<absl::string_view> values;
  for (const HttpHeader& h : headers_) {
    if (absl::EqualsIgnoreCase(h.name, name)) values.emplace_back(h.value);
  }
  return values;
}

// Moves `in` up to and including the next LF into line_. True when line_
// then holds a whole line, its terminator (LF or CRLF) removed. Sets
// *over_budget, consuming nothing, when the line with its terminator would
// take more than `budget` bytes.
bool HttpResponseParser::TakeLine(absl::string_view& in, size_t budget,
                                  bool* over_budget) {
  *over_budget = false;
  const size_t lf = in.find('\n');
  const size_t take = lf == absl::string_view::npos ? in.size() : lf + 1;
  if (line_.size() + take > budget) {
    *over_budget = true;
    return false;
  }
  line_.append(in.data(), take);
  in.remove_prefix(take);
  if (lf == absl::string_view::npos) return false;
  line_.pop_back();
  if (!line_.empty() && line_.back() == '\r') {
    line_.pop_back();
  } else if (!warned_bare_lf_) {
    // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line
    // terminator. Accepted, and said once.
    warned_bare_lf_ = true;
    warnings_.push_back(
        "a line ends in a bare LF instead of CRLF (accepted, RFC 9112 §2.2)");
  }
  return true;
}

void HttpResponseParser::ConsumeStatusLine(absl::string_view& in) {
  // Something else entirely (an SMTP banner, another protocol's error):
  // say so as soon as the first bytes of the line show it, not after a
  // timeout. The verdict and the bytes quoted depend only on the line's
  // first kNotHttpEcho bytes, never on how they were split into reads: we
  // decide once the line has ended or two more bytes (CR LF or not) are in.
  // A line that cannot end within the header budget is left to the limit.
  const size_t budget = limits_.max_header_bytes - head_bytes_;
  const size_t window = std::min(kNotHttpEcho + 2, budget);
  if (line_.size() < window) {
    const size_t lf = in.find('\n');
    const size_t available = lf == absl::string_view::npos ? in.size() : lf + 1;
    std::string known = line_;
    known.append(in.data(), std::min(available, window - line_.size()));
    const bool ended = !known.empty() && known.back() == '\n';
    if (!MayBeHttp(known) &&
        (ended ||
         (known.size() == window && window == kNotHttpEcho + 2))) {
      if (ended) {
        known.pop_back();
        if (!known.empty() && known.back() == '\r') known.pop_back();
      }
      return Fail(Error::kMalformed, NotHttp(known));
    }
  }
  const size_t before = line_.size() + in.size();
  bool over;
  if (!TakeLine(in, budget, &over)) {
    if (over) {
      Fail(Error::kHeadersTooLarge,
           absl::StrCat("headers exceed ", limits_.max_header_bytes, " bytes"));
    }
    return;
  }
  head_bytes_ += before - in.size();
  ++line_number_;
  ParseStatusLine(line_);
  line_.clear();
}

void HttpResponseParser::ParseStatusLine(absl::string_view line) {
  if (!absl::StartsWith(line, "HTTP/")) {
    return Fail(Error::kMalformed, NotHttp(line));
  }
  if (line.size() < 8 || !absl::ascii_isdigit(line[5]) || line[6] != '.' ||
      !absl::ascii_isdigit(line[7])) {
    return Fail(Error::kMalformed,
                absl::StrCat("malformed HTTP version in the status line ",
                             Quote(line)));
  }
  const absl::string_view version = line.substr(0, 8);
  if (line.size() > 8 && line[8] != ' ') {
    return Fail(Error::kMalformed,
                absl::StrCat("malformed status line ", Quote(line),
                             ": no space after the HTTP version"));
  }
  if (line[5] != '1' || (line[7] != '0' && line[7] != '1')) {
    return Fail(Error::kMalformed,
                absl::StrCat("unsupported HTTP version ", Quote(version),
                             " (only HTTP/1.0 and HTTP/1.1)"));
  }
  const absl::string_view code = line.size() > 9 ? line.substr(9, 3) : "";
  if (code.size() != 3 || !AllDigits(code) ||
      (line.size() > 12 && line[12] != ' ')) {
    return Fail(Error::kMalformed,
                absl::StrCat("malformed status line ", Quote(line),
                             ": the status code is not three digits"));
  }
  const int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 +
                     (code[2] - '0');
  if (status < 100 || status > 599) {
    return Fail(Error::kMalformed, absl::StrCat("status code ", code,
                                                " is outside 100-599"));
  }
  const absl::string_view reason = line.size() > 13 ? line.substr(13) : "";
  for (unsigned char c : reason) {
    if (!IsFieldChar(c)) {
      return Fail(Error::kMalformed,
                  absl::StrCat("control character ", Hex(c),
                               " in the reason phrase of the status line ",
                               Quote(line)));
    }
  }
  status_code_ = status;
  minor_version_ = line[7] - '0';
  reason_ = std::string(reason);
  phase_ = Phase::kHeaderLine;
}

void HttpResponseParser::ConsumeHeaderLine(absl::string_view& in) {
  const size_t before = line_.size() + in.size();
  bool over;
  const bool whole = TakeLine(in, limits_.max_header_bytes - head_bytes_, &over);
  if (over) {
    return Fail(Error::kHeadersTooLarge,
                absl::StrCat("headers exceed ", limits_.max_header_bytes,
                             " bytes"));
  }
  if (!whole) return;
  head_bytes_ += before - in.size();
  ++line_number_;
  if (line_.empty()) {
    OnHeadComplete();
  } else {
    ParseHeaderLine(line_, /*trailer=*/false);
  }
  line_.clear();
}

void HttpResponseParser::ParseHeaderLine(absl::string_view line, bool trailer) {
  const absl::string_view what = trailer ? "trailer" : "header";
  const std::string where = absl::StrCat(what, " line ", line_number_);
  if (IsOws(line.front())) {
    // RFC 9112 §5.2: obs-fold; §2.2: whitespace after the start line.
    return Fail(Error::kMalformed,
                absl::StrCat(where,
                             " begins with whitespace: obsolete line folding "
                             "is not accepted (RFC 9112 §5.2)"));
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    return Fail(Error::kMalformed, absl::StrCat("malformed ", where, " ",
                                                Quote(line), ": no colon"));
  }
  const absl::string_view name = line.substr(0, colon);
  if (name.empty()) {
    return Fail(Error::kMalformed, absl::StrCat("malformed ", where, " ",
                                                Quote(line),
                                                ": empty field name"));
  }
  if (IsOws(name.back())) {
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    return Fail(Error::kMalformed,
                absl::StrCat("whitespace between the field name ",
                             Quote(TrimOws(name)), " and the colon in ", where,
                             " (RFC 9112 §5.1)"));
  }
  for (unsigned char c : name) {
    if (!IsTchar(static_cast<char>(c))) {
      return Fail(Error::kMalformed,
                  absl::StrCat("invalid character ", Hex(c),
                               " in the field name ", Quote(name), " in ",
                               where));
    }
  }
  const absl::string_view value = TrimOws(line.substr(colon + 1));
  for (unsigned char c : value) {
    if (!IsFieldChar(c)) {
      return Fail(Error::kMalformed,
                  absl::StrCat("control character ", Hex(c),
                               " in the value of ", Quote(name), " in ",
                               where));
    }
  }
  if (!trailer) headers_.push_back({std::string(name), std::string(value)});
}

void HttpResponseParser::OnHeadComplete() {
  if (status_code_ < 200) {
    if (status_code_ == 101) {
      return Fail(Error::kMalformed,
                  "unexpected 101 Switching Protocols: the server wants to "
                  "change protocols, which a GET never asks for");
    }
    // An interim response (100 Continue, 103 Early Hints): the final one
    // follows on the same connection.
    ++interim_responses_;
    status_code_ = 0;
    reason_.clear();
    headers_.clear();
    line_number_ = 0;
    phase_ = Phase::kStatusLine;
    return;
  }
  headers_complete_ = true;

  // RFC 9112 §6.3, in its order. 1: no body, whatever the fields say.
  if (status_code_ == 204 || status_code_ == 304) {
    framing_ = Framing::kNoBody;
    return Complete();
  }

  const std::vector<absl::string_view> transfer_encodings =
      HeaderValues("transfer-encoding");
  const std::vector<absl::string_view> content_lengths =
      HeaderValues("content-length");

  // 3 and 4: Transfer-Encoding overrides Content-Length. We send no TE
  // header, so chunked is the only coding a server may use (RFC 9112 §7.4);
  // gzip or the like would turn the policy into bytes we cannot read.
  if (!transfer_encodings.empty()) {
    std::vector<std::string> codings;
    for (absl::string_view field : transfer_encodings) {
      for (absl::string_view coding : absl::StrSplit(field, ',')) {
        coding = TrimOws(coding);
        if (!coding.empty()) codings.push_back(absl::AsciiStrToLower(coding));
      }
    }
    if (codings.size() != 1 || codings[0] != "chunked") {
      return Fail(Error::kMalformed,
                  absl::StrCat("unsupported Transfer-Encoding ",
                               Quote(absl::StrJoin(transfer_encodings, ", ")),
                               ": only chunked is accepted"));
    }
    if (!content_lengths.empty()) {
      warnings_.push_back(
          "both Transfer-Encoding and Content-Length are present; "
          "Content-Length is ignored (RFC 9112 §6.3)");
    }
    framing_ = Framing::kChunked;
    phase_ = Phase::kChunkSize;
    line_number_ = 0;
    return;
  }

  // 5: Content-Length. RFC 9110 §8.6 lets a recipient accept a repeated
  // identical value; we reject every repetition (a sign of a broken proxy,
  // and the ambiguity behind response smuggling).
  if (!content_lengths.empty()) {
    std::vector<absl::string_view> values;
    for (absl::string_view field : content_lengths) {
      for (absl::string_view v : absl::StrSplit(field, ',')) {
        values.push_back(TrimOws(v));
      }
    }
    if (values.size() > 1) {
      for (absl::string_view v : values) {
        if (v != values[0]) {
          return Fail(Error::kMalformed,
                      absl::StrCat("conflicting Content-Length values ",
                                   Quote(values[0]), " and ", Quote(v)));
        }
      }
      return Fail(Error::kMalformed,
                  absl::StrCat("duplicate Content-Length ", Quote(values[0]),
                               " (given ", values.size(), " times)"));
    }
    uint64_t length = 0;
    if (values[0].empty() || values[0].size() > kMaxContentLengthDigits ||
        !AllDigits(values[0]) || !absl::SimpleAtoi(values[0], &length)) {
      return Fail(Error::kMalformed, absl::StrCat("invalid Content-Length ",
                                                  Quote(content_lengths[0])));
    }
    framing_ = Framing::kContentLength;
    content_length_ = length;
    if (length > limits_.max_body_bytes) {
      return BodyTooLarge(absl::StrCat("Content-Length: ", length));
    }
    if (length == 0) return Complete();
    remaining_ = length;
    phase_ = Phase::kFixedBody;
    return;
  }

  // 8: the body runs until the server closes the connection.
  framing_ = Framing::kUntilClose;
  phase_ = Phase::kCloseBody;
}

void HttpResponseParser::ConsumeChunkSize(absl::string_view& in) {
  bool over;
  if (!TakeLine(in, kMaxChunkLineBytes, &over)) {
    if (over) {
      Fail(Error::kMalformed,
           absl::StrCat("chunk size line exceeds ", kMaxChunkLineBytes,
                        " bytes"));
    }
    return;
  }
  const absl::string_view line = line_;
  const std::string where =
      absl::StrCat(" after ", body_received_, " bytes of body");
  size_t i = 0;
  uint64_t size = 0;
  for (; i < line.size() && HexValue(line[i]) >= 0; ++i) {
    if (i == static_cast<size_t>(kMaxChunkSizeDigits)) {
      return Fail(Error::kMalformed,
                  absl::StrCat("chunk size ", Quote(line),
                               " has more than 16 hex digits", where));
    }
    size = size * 16 + HexValue(line[i]);
  }
  if (i == 0) {
    return Fail(Error::kMalformed, absl::StrCat("invalid chunk size line ",
                                                Quote(line), where));
  }
  // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS
  // ext-val ] ); extensions carry nothing we use, so only their bytes are
  // checked.
  absl::string_view rest = line.substr(i);
  while (!rest.empty() && IsOws(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ';') {
    return Fail(Error::kMalformed, absl::StrCat("invalid chunk size line ",
                                                Quote(line), where));
  }
  for (unsigned char c : rest) {
    if (!IsFieldChar(c)) {
      return Fail(Error::kMalformed,
                  absl::StrCat("control character ", Hex(c),
                               " in a chunk extension", where));
    }
  }
  line_.clear();
  if (size == 0) {
    phase_ = Phase::kTrailer;
    line_number_ = 0;
    return;
  }
  if (size > limits_.max_body_bytes - body_.size()) {
    return BodyTooLarge(absl::StrCat("a chunk of ", size, " bytes after ",
                                     body_received_, " bytes of body"));
  }
  remaining_ = size;
  chunk_size_ = size;
  phase_ = Phase::kChunkData;
}

void HttpResponseParser::ConsumeChunkDataEnd(absl::string_view& in) {
  while (!in.empty()) {
    const char c = in.front();
    if (c == '\n') {
      in.remove_prefix(1);
      if (line_.empty() && !warned_bare_lf_) {
        warned_bare_lf_ = true;
        warnings_.push_back(
            "a line ends in a bare LF instead of CRLF (accepted, RFC 9112 "
            "§2.2)");
      }
      line_.clear();
      phase_ = Phase::kChunkSize;
      return;
    }
    if (c == '\r' && line_.empty()) {
      in.remove_prefix(1);
      line_.push_back(c);
      continue;
    }
    return Fail(Error::kMalformed,
                absl::StrCat("a chunk of ", chunk_size_,
                             " bytes is not followed by CRLF (more data than "
                             "its size line says) after ",
                             body_received_, " bytes of body"));
  }
}

void HttpResponseParser::ConsumeTrailer(absl::string_view& in) {
  const size_t before = line_.size() + in.size();
  bool over;
  const bool whole =
      TakeLine(in, limits_.max_header_bytes - trailer_bytes_, &over);
  if (over) {
    return Fail(Error::kHeadersTooLarge,
                absl::StrCat("trailers exceed ", limits_.max_header_bytes,
                             " bytes"));
  }
  if (!whole) return;
  trailer_bytes_ += before - in.size();
  ++line_number_;
  if (line_.empty()) {
    Complete();
  } else {
    // Trailer fields are checked like header fields, then dropped: nothing
    // we read may arrive in a trailer (RFC 9110 §6.5).
    ParseHeaderLine(line_, /*trailer=*/true);
  }
  line_.clear();
}

void HttpResponseParser::AppendBody(absl::string_view& in, size_t n) {
  const size_t room = limits_.max_body_bytes - body_.size();
  body_.append(in.data(), std::min(n, room));
  body_received_ += n;
  in.remove_prefix(n);
}

void HttpResponseParser::Fail(Error kind, std::string message) {
  phase_ = Phase::kFailed;
  error_kind_ = kind;
  error_ = std::move(message);
  line_.clear();
}

void HttpResponseParser::BodyTooLarge(std::string detail) {
  Fail(Error::kBodyTooLarge,
       absl::StrCat("body exceeds ", limits_.max_body_bytes, " bytes (",
                    detail, ")"));
}

absl::StatusOr<ContentType> ParseContentType(absl::string_view value) {
  auto invalid = [value](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("Content-Type ", Quote(value), ": ", why));
  };
  const absl::string_view s = TrimOws(value);
  if (s.empty()) return absl::InvalidArgumentError("empty Content-Type");
  size_t i = 0;
  auto token = [&s, &i]() {
    const size_t start = i;
    while (i < s.size() && IsTchar(s[i])) ++i;
    return s.substr(start, i - start);
  };
  auto unexpected = [&s, &i]() {
    return absl::StrCat("unexpected ",
                        IsFieldChar(static_cast<unsigned char>(s[i]))
                            ? absl::StrCat("'", s.substr(i, 1), "'")
                            : Hex(static_cast<unsigned char>(s[i])),
                        " at offset ", i);
  };

  const absl::string_view type = token();
  if (type.empty()) return invalid("no media type");
  if (i == s.size() || s[i] != '/') {
    return invalid("no \"/subtype\" after the type");
  }
  ++i;
  const absl::string_view subtype = token();
  if (subtype.empty()) return invalid("empty subtype");
  ContentType out;
  out.media_type = absl::AsciiStrToLower(absl::StrCat(type, "/", subtype));

  // RFC 9110 §5.6.6: parameters = *( OWS ";" OWS [ parameter ] ),
  // parameter = name "=" ( token / quoted-string ), no spaces around "=".
  while (true) {
    while (i < s.size() && IsOws(s[i])) ++i;
    if (i == s.size()) break;
    if (s[i] != ';') return invalid(unexpected());
    ++i;
    while (i < s.size() && IsOws(s[i])) ++i;
    if (i == s.size() || s[i] == ';') continue;
    const absl::string_view name = token();
    if (name.empty()) return invalid(unexpected());
    if (i == s.size() || s[i] != '=') {
      return invalid(absl::StrCat("parameter ", Quote(name),
                                  " has no \"=value\""));
    }
    ++i;
    std::string param_value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) break;
          c = s[i++];
        }
        if (!IsFieldChar(static_cast<unsigned char>(c))) {
          return invalid(absl::StrCat("control character ",
                                      Hex(static_cast<unsigned char>(c)),
                                      " in the value of parameter ",
                                      Quote(name)));
        }
        param_value.push_back(c);
      }
      if (!closed) {
        return invalid(absl::StrCat("unterminated quoted value of parameter ",
                                    Quote(name)));
      }
    } else {
      const absl::string_view v = token();
      if (v.empty()) {
        return invalid(absl::StrCat("parameter ", Quote(name),
                                    " has an empty value"));
      }
      param_value = std::string(v);
    }
    std::string lower_name = absl::AsciiStrToLower(name);
    if (lower_name == "charset") {
      if (out.charset.has_value()) return invalid("charset given twice");
      out.charset = absl::AsciiStrToLower(param_value);
    }
    out.parameters.emplace_back(std::move(lower_name), std::move(param_value));
  }
  return out;
}

}  // namespace mtasts::net

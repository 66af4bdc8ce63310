// SMTP replies (RFC 5321 §4.2), parsed line by line: the pure part of the
// STARTTLS probe (smtp_starttls.h), fuzzed on its own (smtp_reply_fuzzer.cc).
//
//   SmtpReplyParser parser(/*max_lines=*/100);
//   parser.FeedLine("250-mx.example.com");   // kNeedMore
//   parser.FeedLine("250 STARTTLS");         // kComplete
//   EhloKeywords(parser.reply());            // {"STARTTLS"}
#ifndef MTASTS_NET_SMTP_REPLY_H_
#define MTASTS_NET_SMTP_REPLY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mtasts::net {

// One reply, possibly of several lines ("250-a", "250-b", "250 c").
struct SmtpReply {
  int code = 0;  // 200..599 once complete
  // The text of each line after "NNN-" / "NNN " (may be empty).
  std::vector<std::string> lines;
  // The lines joined with " / ", for evidence and messages.
  std::string Text() const;
};

// Reads one reply line by line.
//   SmtpReplyParser parser(100);
//   while (parser.FeedLine(next_line) == SmtpReplyParser::State::kNeedMore) {}
class SmtpReplyParser {
 public:
  enum class State { kNeedMore, kComplete, kError };
  // More than `max_lines` lines is an error (a server cannot make us buffer
  // without bound); lines longer than `max_line_chars` are cut there.
  explicit SmtpReplyParser(size_t max_lines = 100, size_t max_line_chars = 1000)
      : max_lines_(max_lines), max_line_chars_(max_line_chars) {}

  // One line without its CRLF. Lines after kComplete or kError are errors.
  // Rules: three digits (first 2-5, second 0-5), then "-" (more lines
  // follow), " " or nothing (last line); every line of a reply has the same
  // code. Lenient where senders are: a bare "250" line is a last line.
  State FeedLine(absl::string_view line);

  State state() const { return state_; }
  const SmtpReply& reply() const { return reply_; }
  // Why kError, in words.
  const std::string& error() const { return error_; }

 private:
  size_t max_lines_;
  size_t max_line_chars_;
  State state_ = State::kNeedMore;
  SmtpReply reply_;
  std::string error_;
};

// The EHLO keywords of a 250 reply (RFC 5321 §4.1.1.1): the first word of
// every line after the first, upper-cased ("STARTTLS", "SIZE", ...).
std::vector<std::string> EhloKeywords(const SmtpReply& reply);
// True when `keywords` holds STARTTLS (compared case-insensitively).
bool OffersStartTls(const std::vector<std::string>& keywords);

}  // namespace mtasts::net

#endif  // MTASTS_NET_SMTP_REPLY_H_

#include "net/smtp_reply.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mtasts::net {

std::string SmtpReply::Text() const { return absl::StrJoin(lines, " / "); }

SmtpReplyParser::State SmtpReplyParser::FeedLine(absl::string_view line) {
  auto fail = [this](std::string why) {
    state_ = State::kError;
    error_ = std::move(why);
    return state_;
  };
  if (state_ != State::kNeedMore) {
    return fail(state_ == State::kComplete ? "a line after the end of the reply"
                                           : absl::StrCat("after an error: ", error_));
  }
  if (reply_.lines.size() >= max_lines_) {
    return fail(absl::StrCat("more than ", max_lines_, " lines in one reply"));
  }
  // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39.
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(line[2]))) {
    return fail(absl::StrCat("not an SMTP reply line: \"",
                             absl::CHexEscape(line.substr(0, 40)), "\""));
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) {
    return fail(absl::StrCat("reply code changes from ", reply_.code, " to ", code,
                             " within one reply"));
  }
  reply_.code = code;
  bool last = true;
  absl::string_view text;
  if (line.size() > 3) {
    if (line[3] == '-') {
      last = false;
    } else if (line[3] != ' ') {
      return fail(absl::StrCat("no space or hyphen after the code: \"",
                               absl::CHexEscape(line.substr(0, 40)), "\""));
    }
    text = line.substr(4);
  }
  if (text.size() > max_line_chars_) text = text.substr(0, max_line_chars_);
  reply_.lines.emplace_back(text);
  if (last) state_ = State::kComplete;
  return state_;
}

std::vector<std::string> EhloKeywords(const SmtpReply& reply) {
  std::vector<std::string> keywords;
  // RFC 5321 §4.1.1.1: the first line greets; each further line is one
  // ehlo-keyword, optionally followed by parameters.
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    absl::string_view line = absl::StripLeadingAsciiWhitespace(reply.lines[i]);
    const size_t end = line.find_first_of(" \t=");
    absl::string_view word = line.substr(0, end);
    if (word.empty()) continue;
    keywords.push_back(absl::AsciiStrToUpper(word));
  }
  return keywords;
}

bool OffersStartTls(const std::vector<std::string>& keywords) {
  return std::any_of(keywords.begin(), keywords.end(), [](const std::string& k) {
    return absl::EqualsIgnoreCase(k, "STARTTLS");
  });
}

}  // namespace mtasts::net

// Fuzz target for SmtpReplyParser and EhloKeywords: the input is the bytes a
// server sends, split into lines at LF (a CR before it is dropped), fed one
// reply after another. Beyond not crashing, it checks that
//  - every state is well formed: an error has a message, a complete reply has
//    a code from 200 to 599 and at least one line, and no reply ever holds
//    more lines than the limit or a line longer than the cut;
//  - after kComplete or kError every further line is an error;
//  - EHLO keywords are non-empty, upper-case words without spaces, and
//    OffersStartTls agrees with a plain search for "STARTTLS".
//
// In `bazel test` this file is linked with //tools:fuzz_driver (seeds in
// testdata/smtp_fuzz_seeds plus deterministic mutations); the libFuzzer
// binary comes from tools/build_fuzzers.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "net/smtp_reply.h"

namespace {

using mtasts::net::EhloKeywords;
using mtasts::net::OffersStartTls;
using mtasts::net::SmtpReplyParser;
using State = SmtpReplyParser::State;

constexpr size_t kMaxLines = 8;
constexpr size_t kMaxChars = 64;

void Require(bool condition) {
  if (!condition) std::abort();
}

void CheckReply(const SmtpReplyParser& parser) {
  const auto& reply = parser.reply();
  Require(reply.lines.size() <= kMaxLines);
  for (const std::string& line : reply.lines) Require(line.size() <= kMaxChars);
  if (parser.state() == State::kError) Require(!parser.error().empty());
  if (parser.state() != State::kComplete) return;
  Require(reply.code >= 200 && reply.code <= 599);
  Require(!reply.lines.empty());
  const std::vector<std::string> keywords = EhloKeywords(reply);
  bool has_starttls = false;
  for (const std::string& k : keywords) {
    Require(!k.empty());
    Require(k == absl::AsciiStrToUpper(k));
    Require(k.find(' ') == std::string::npos);
    has_starttls |= k == "STARTTLS";
  }
  Require(OffersStartTls(keywords) == has_starttls);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  SmtpReplyParser parser(kMaxLines, kMaxChars);
  int replies = 0;
  while (!input.empty() && replies < 64) {
    const size_t lf = input.find('\n');
    absl::string_view line = input.substr(0, lf);
    input = lf == absl::string_view::npos ? absl::string_view() : input.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const State state = parser.FeedLine(line);
    Require(state == parser.state());
    CheckReply(parser);
    if (state == State::kNeedMore) continue;
    // A finished parser refuses more.
    SmtpReplyParser copy = parser;
    Require(copy.FeedLine("250 more") == State::kError);
    parser = SmtpReplyParser(kMaxLines, kMaxChars);
    ++replies;
  }
  return 0;
}

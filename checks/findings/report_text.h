// Text that remote parties control, made safe for a report: quoted into a
// finding's detail, or kept as seen but valid UTF-8 (proto3 strings must be,
// or clients in other languages fail to parse the report).
#ifndef MTASTS_CHECKS_FINDINGS_REPORT_TEXT_H_
#define MTASTS_CHECKS_FINDINGS_REPORT_TEXT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mtasts::checks {

// `value` in double quotes for a finding's detail: at most `max_chars`
// characters (then "..."), with '"' and '\\' backslash-escaped and anything
// but printable ASCII as \xNN, so details stay readable and valid UTF-8
// whatever a remote party published.
std::string QuoteForDetail(absl::string_view value, size_t max_chars = 100);
// Quoted values separated by ", ", the first `max_items` only, then
// "and N more".
std::string QuoteListForDetail(const std::vector<absl::string_view>& values,
                               size_t max_items = 5);

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0. i < s.size().
size_t Utf8SequenceLength(absl::string_view s, size_t i);

// `text` unchanged when it is valid UTF-8 without control characters (tab
// allowed); otherwise with each offending byte written as \xNN. For values
// that go into the report as seen (TXT records, names).
std::string SanitizeForReport(absl::string_view text);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_REPORT_TEXT_H_

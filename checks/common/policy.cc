#include "checks/common/policy.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "checks/common/mx_pattern.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"

namespace mtasts::checks {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";
// RFC 8461 §3.2: sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT /
// "_" / "-" / ".").
constexpr size_t kMaxFieldNameLength = 32;
// Values quoted per finding before "and N more".
constexpr size_t kMaxListed = 5;

bool IsWsp(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

absl::string_view TrimLeadingWsp(absl::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  return s;
}
absl::string_view TrimTrailingWsp(absl::string_view s) {
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}
absl::string_view TrimWsp(absl::string_view s) {
  return TrimTrailingWsp(TrimLeadingWsp(s));
}

bool IsBlank(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsWsp(c) || c == '\r' || c == '\n'; });
}

// Position of the first byte §3.2 allows nowhere in a line (a control
// character other than tab, or bytes that are not UTF-8); npos when none.
size_t FirstBadByte(absl::string_view line) {
  for (size_t i = 0; i < line.size();) {
    const size_t len = Utf8SequenceLength(line, i);
    if (len == 0) return i;
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (len == 1 && ((c < 0x20 && c != '\t') || c == 0x7f)) return i;
    i += len;
  }
  return absl::string_view::npos;
}

std::string DescribeBadByte(absl::string_view line, size_t i) {
  const unsigned char c = static_cast<unsigned char>(line[i]);
  if (c == '\r') {
    return "a carriage return (CR) that does not end the line (lines end in "
           "LF or CRLF)";
  }
  if (c == 0) return "a NUL byte";
  if (c < 0x20 || c == 0x7f) {
    return absl::StrCat("the control character 0x",
                        absl::Hex(c, absl::kZeroPad2));
  }
  return absl::StrCat("the byte 0x", absl::Hex(c, absl::kZeroPad2),
                      ", which is not valid UTF-8");
}

std::string DescribeChar(char ch) {
  if (ch == ' ') return "a space";
  if (ch == '\t') return "a tab";
  const unsigned char c = static_cast<unsigned char>(ch);
  if (c >= 0x80) return "a non-ASCII character";
  return absl::StrCat("\"", std::string(1, ch), "\"");
}

// "" when `name` is a valid sts-policy-ext-name (every field name is one).
std::string FieldNameProblem(absl::string_view name) {
  if (name.empty()) return "it begins with \":\", with no field name before it";
  if (!IsAlnum(name.front())) {
    return absl::StrCat("the field name begins with ",
                        DescribeChar(name.front()),
                        " instead of a letter or digit");
  }
  if (name.size() > kMaxFieldNameLength) {
    return absl::StrCat("the field name is ", name.size(),
                        " characters long (at most ", kMaxFieldNameLength, ")");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return absl::StrCat("the field name contains ", DescribeChar(c));
    }
  }
  return "";
}

// "" when `value` (surrounding whitespace removed) is a valid
// sts-policy-ext-value: printable ASCII or UTF-8, words separated by spaces
// only. ":" is allowed.
std::string ExtValueProblem(absl::string_view value) {
  if (value.empty()) return "has no value";
  if (value.find('\t') != absl::string_view::npos) {
    return "has a tab inside its value, where only spaces are allowed";
  }
  return "";
}

// What is wrong with a max_age value that is not 1*10DIGIT.
std::string MaxAgeProblem(absl::string_view value) {
  if (value.empty()) return "is empty";
  if (value.front() == '-') return "is negative";
  if (value.front() == '+') return "has a sign";
  const bool all_digits = std::all_of(value.begin(), value.end(), IsDigit);
  if (all_digits) {
    return absl::StrCat("has ", value.size(),
                        " digits; at most 10 are allowed");
  }
  const size_t e = value.find_first_of("eE");
  if (e != absl::string_view::npos && e > 0 && IsDigit(value.front()) &&
      e + 1 < value.size()) {
    return "uses exponent notation";
  }
  if (value.find('.') != absl::string_view::npos) return "has a decimal point";
  if (value.find_first_of(",_' ") != absl::string_view::npos) {
    return "has digit separators";
  }
  if (IsDigit(value.front())) {
    return "has a unit or other characters after the number; max_age is a "
           "number of seconds, digits only";
  }
  return "is not a number";
}

// The first non-blank text is markup: an HTML page (or XML) served in place
// of the policy.
bool LooksLikeMarkup(absl::string_view text) {
  for (char c : text) {
    if (IsWsp(c) || c == '\r' || c == '\n') continue;
    return c == '<';
  }
  return false;
}

// The page's <title>, trimmed and bounded; "" when none.
std::string HtmlTitle(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  size_t open = lower.find("<title");
  if (open == std::string::npos) return "";
  open = lower.find('>', open);
  if (open == std::string::npos) return "";
  const size_t close = lower.find("</title", open);
  absl::string_view title = text.substr(
      open + 1, close == std::string::npos ? 100 : close - open - 1);
  title = absl::StripAsciiWhitespace(title);
  return std::string(title.substr(0, 100));
}

std::string Lines(const std::vector<int>& lines) {
  std::vector<int> shown(lines.begin(),
                         lines.begin() + std::min(lines.size(), kMaxListed));
  std::string out = absl::StrCat(lines.size() == 1 ? "line " : "lines ",
                                 absl::StrJoin(shown, ", "));
  if (lines.size() > kMaxListed) {
    absl::StrAppend(&out, " and ", lines.size() - kMaxListed, " more");
  }
  return out;
}

// The known field an unknown name was probably meant as ("Mode", "max-age",
// "MaxAge"), or "".
absl::string_view MeantField(absl::string_view name) {
  std::string canon = absl::AsciiStrToLower(name);
  std::replace(canon.begin(), canon.end(), '-', '_');
  for (absl::string_view known : {"version", "mode", "max_age", "mx"}) {
    if (canon == known) return known;
  }
  if (canon == "maxage" || canon == "max_age_" || canon == "maximum_age") {
    return "max_age";
  }
  return "";
}

v1::FindingCode CodeFor(MxPatternDefect defect) {
  switch (defect) {
    case MxPatternDefect::kNonAscii:
      return v1::POLICY_MX_ULABEL;
    case MxPatternDefect::kIpLiteral:
      return v1::POLICY_MX_IP_LITERAL;
    case MxPatternDefect::kWildcard:
      return v1::POLICY_MX_WILDCARD_INVALID;
    case MxPatternDefect::kTrailingDot:
      return v1::POLICY_MX_TRAILING_DOT;
    default:
      return v1::POLICY_MX_INVALID;
  }
}

// One policy field that may appear once (version, mode, max_age).
struct SingleField {
  int count = 0;
  std::string first;
  std::vector<int> lines;
  std::vector<std::string> later;
};

struct MxProblem {
  std::string value;
  int line;
  std::string problem;
};

// An unknown field name that looks like a known one ("Mode", "max-age").
struct NearMiss {
  std::string field;  // the known field it resembles
  int line;
  std::string name;  // as written
};

class PolicyParser {
 public:
  explicit PolicyParser(absl::string_view body) : body_(body), findings_(PolicyFindings(), "") {}

  ParsedPolicy Parse() && {
    if (body_.size() > kMaxPolicyBodyBytes) {
      std::string detail = absl::StrCat(
          "The body is ", body_.size(), " bytes long, more than the ",
          kMaxPolicyBodyBytes, " bytes a policy may have");
      absl::string_view head = body_.substr(0, kMaxPolicyBodyBytes);
      if (absl::StartsWith(head, kBom)) head.remove_prefix(kBom.size());
      if (LooksLikeMarkup(head)) {
        absl::StrAppend(&detail, "; it begins like an HTML page");
      }
      findings_.Add(v1::POLICY_TOO_LARGE, std::move(detail));
      return Done();
    }
    absl::string_view text = body_;
    if (absl::StartsWith(text, kBom)) {
      text.remove_prefix(kBom.size());
      ok_ = false;
      absl::string_view first_line = body_.substr(0, body_.find('\n'));
      if (!first_line.empty() && first_line.back() == '\r') {
        first_line.remove_suffix(1);
      }
      findings_.Add(v1::POLICY_BOM,
                    absl::StrCat("To a sender the first line reads ",
                                 QuoteForDetail(first_line, 60)));
    }
    if (IsBlank(text)) {
      findings_.Add(v1::POLICY_EMPTY,
                    body_.empty()  ? "The body is empty"
                    : text.empty() ? "The body holds a byte order mark and "
                                     "nothing else"
                                   : "The body holds only whitespace");
      return Done();
    }
    if (LooksLikeMarkup(text)) {
      const std::string title = HtmlTitle(text);
      absl::string_view first_line = TrimWsp(text.substr(0, text.find('\n')));
      findings_.Add(
          v1::POLICY_NOT_A_POLICY,
          absl::StrCat("The body begins with ", QuoteForDetail(first_line, 60),
                       title.empty()
                           ? std::string()
                           : absl::StrCat(" and is titled ",
                                          QuoteForDetail(title, 80))));
      return Done();
    }
    if (text.find('\n') == absl::string_view::npos &&
        text.find('\r') != absl::string_view::npos) {
      // A file saved with classic Mac OS line ends: one long line to §3.2.
      Syntax(
          "The lines end in a carriage return alone (CR, as in classic "
          "Mac OS files), which is not a line end: senders see one "
          "unreadable line");
      return Done();
    }

    size_t pos = 0;
    int number = 0;
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      absl::string_view line = nl == absl::string_view::npos
                                   ? text.substr(pos)
                                   : text.substr(pos, nl - pos);
      pos = nl == absl::string_view::npos ? text.size() : nl + 1;
      ++number;
      // RFC 8461 §3.2 (erratum 6253): sts-policy-term = LF / CRLF.
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ParseLine(line, number);
    }
    Finish();
    return Done();
  }

 private:
  ParsedPolicy Done() {
    result_.findings = std::move(findings_).Take();
    return std::move(result_);
  }

  void Syntax(std::string detail) {
    ok_ = false;
    if (++syntax_problems_ > kMaxPolicySyntaxFindings) return;
    findings_.Add(v1::POLICY_SYNTAX_ERROR, std::move(detail));
  }

  void ParseLine(absl::string_view line, int n) {
    // The ABNF's 0*(sts-policy-mx *WSP sts-policy-term) alternative matches an
    // empty field, so blank (and whitespace-only) lines are allowed.
    if (TrimWsp(line).empty()) return;
    const std::string quoted = QuoteForDetail(line, 80);
    const size_t bad = FirstBadByte(line);
    if (bad != absl::string_view::npos) {
      Syntax(absl::StrCat("Line ", n, ", ", quoted, ", contains ",
                          DescribeBadByte(line, bad), " at position ", bad + 1,
                          "; the line was not read"));
      return;
    }
    absl::string_view rest = line;
    if (IsWsp(rest.front())) {
      // sts-policy-record allows no whitespace before a field; lenient
      // parsers strip it, and RFC 5322-style ones take it as a continuation.
      Syntax(absl::StrCat("Line ", n, ", ", quoted,
                          ", begins with whitespace, which the syntax does "
                          "not allow before a field name"));
      rest = TrimLeadingWsp(rest);
    }
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) {
      std::string hint = "has no \":\" between a field name and its value";
      if (absl::StartsWith(rest, "v=STSv1")) {
        hint =
            "is the _mta-sts TXT record, which belongs in DNS, not in the "
            "policy file";
      } else if (rest.find('=') != absl::string_view::npos) {
        hint = "uses \"=\" where \":\" belongs (write `name: value`)";
      }
      Syntax(absl::StrCat("Line ", n, ", ", quoted, ", ", hint));
      return;
    }
    absl::string_view name = rest.substr(0, colon);
    const absl::string_view value = TrimWsp(rest.substr(colon + 1));
    if (!name.empty() && IsWsp(name.back())) {
      // field-delim = ":" *WSP: whitespace after the colon only.
      ok_ = false;
      space_before_colon_lines_.push_back(n);
      if (space_before_colon_examples_.size() < kMaxListed) {
        space_before_colon_examples_.push_back(quoted);
      }
      name = TrimTrailingWsp(name);
    }
    const std::string why = FieldNameProblem(name);
    if (!why.empty()) {
      Syntax(absl::StrCat("Line ", n, ", ", quoted, ", is not a field: ", why));
      return;
    }
    if (name == "version") {
      OnVersion(value, n);
    } else if (name == "mode") {
      OnMode(value, n);
    } else if (name == "max_age") {
      OnMaxAge(value, n);
    } else if (name == "mx") {
      OnMx(value, n);
    } else {
      OnExtension(name, value, n);
    }
  }

  // Records an occurrence; true for the first, whose value is in force
  // (RFC 8461 §3.2: readers MUST use the first occurrence).
  static bool Record(SingleField& field, absl::string_view value, int n) {
    ++field.count;
    field.lines.push_back(n);
    if (field.count == 1) {
      field.first = std::string(value);
      return true;
    }
    if (field.later.size() < kMaxListed) field.later.emplace_back(value);
    return false;
  }

  void OnVersion(absl::string_view value, int n) {
    if (!Record(version_, value, n)) return;
    // RFC 8461 §3.2: sts-policy-version-value = %s"STSv1".
    if (value == "STSv1") {
      version_ok_ = true;
      return;
    }
    std::string detail = absl::StrCat("Line ", n, ": the version is ",
                                      QuoteForDetail(value), ", not \"STSv1\"");
    if (absl::EqualsIgnoreCase(value, "STSv1")) {
      absl::StrAppend(&detail, " (the value is case-sensitive)");
    }
    findings_.Add(v1::POLICY_VERSION_INVALID, std::move(detail));
  }

  void OnMode(absl::string_view value, int n) {
    if (!Record(mode_, value, n)) return;
    // RFC 8461 §3.2: %s"testing" / %s"enforce" / %s"none", case-sensitive.
    if (value == "enforce") {
      result_.mode = v1::POLICY_MODE_ENFORCE;
    } else if (value == "testing") {
      result_.mode = v1::POLICY_MODE_TESTING;
    } else if (value == "none") {
      result_.mode = v1::POLICY_MODE_NONE;
    } else {
      std::string detail =
          absl::StrCat("Line ", n, ": the mode is ", QuoteForDetail(value));
      for (absl::string_view m : {"enforce", "testing", "none"}) {
        if (absl::EqualsIgnoreCase(value, m)) {
          absl::StrAppend(&detail, "; mode values are case-sensitive: write \"",
                          m, "\"");
        }
      }
      if (value == "report") {
        absl::StrAppend(&detail,
                        "; \"report\" was the name of testing mode in early "
                        "drafts, write \"testing\"");
      }
      findings_.Add(v1::POLICY_MODE_INVALID, std::move(detail));
    }
  }

  void OnMaxAge(absl::string_view value, int n) {
    if (!Record(max_age_, value, n)) return;
    // RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT).
    const bool digits = !value.empty() && value.size() <= 10 &&
                        std::all_of(value.begin(), value.end(), IsDigit);
    if (!digits) {
      findings_.Add(
          v1::POLICY_MAX_AGE_INVALID,
          absl::StrCat("Line ", n, ": max_age ", QuoteForDetail(value), " ",
                       MaxAgeProblem(value)));
      return;
    }
    int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    result_.max_age = seconds;
    // RFC 8461 §3.2 caps it at 31557600, below what 10 digits can hold
    // (erratum 7282).
    if (seconds > kMaxPolicyMaxAge) {
      findings_.Add(
          v1::POLICY_MAX_AGE_TOO_LARGE,
          absl::StrCat("Line ", n, ": max_age is ", SecondsInWords(seconds),
                       ", above the limit of ", kMaxPolicyMaxAge));
      return;
    }
    max_age_ok_ = true;
  }

  void OnMx(absl::string_view value, int n) {
    result_.mx.emplace_back(value);
    MxPatternCheck check = CheckMxPattern(value);
    if (check.defect == MxPatternDefect::kNone) return;
    if (!check.grammatical) ok_ = false;
    std::vector<MxProblem>& list = mx_problems_[check.defect];
    list.push_back({std::string(value), n, std::move(check.problem)});
  }

  void OnExtension(absl::string_view name, absl::string_view value, int n) {
    const std::string why = ExtValueProblem(value);
    if (!why.empty()) {
      Syntax(absl::StrCat("Line ", n, ": the field ", QuoteForDetail(name), " ",
                          why));
      return;
    }
    if (std::find(result_.unknown_fields.begin(), result_.unknown_fields.end(),
                  name) == result_.unknown_fields.end()) {
      result_.unknown_fields.emplace_back(name);
      unknown_lines_.push_back(n);
    }
    const absl::string_view meant = MeantField(name);
    if (!meant.empty()) {
      near_misses_.push_back({std::string(meant), n, std::string(name)});
    }
  }

  // " (\"Mode\" on line 2 does not count: ...)" for a missing `field`.
  std::string NearMissNote(absl::string_view field) const {
    for (const NearMiss& m : near_misses_) {
      if (m.field == field) {
        return absl::StrCat(" (", QuoteForDetail(m.name), " on line ", m.line,
                            " does not count: field names are exact and "
                            "case-sensitive)");
      }
    }
    return "";
  }

  void Duplicate(absl::string_view name, const SingleField& field) {
    if (field.count < 2) return;
    std::vector<absl::string_view> later(field.later.begin(),
                                         field.later.end());
    const bool same = std::all_of(
        field.later.begin(), field.later.end(),
        [&field](const std::string& v) { return v == field.first; });
    std::string detail = absl::StrCat(name, " appears ", field.count,
                                      " times (", Lines(field.lines), ")");
    if (same) {
      absl::StrAppend(&detail, ", each time as ", QuoteForDetail(field.first));
    } else {
      absl::StrAppend(&detail, ": the first, ", QuoteForDetail(field.first),
                      ", is in force and ", QuoteListForDetail(later),
                      " ignored; tools that keep the last value see ",
                      QuoteForDetail(field.later.back()));
    }
    findings_.Add(v1::POLICY_DUPLICATE_FIELD,
                  same ? v1::SEVERITY_LOW : v1::SEVERITY_MEDIUM,
                  std::move(detail));
  }

  void Finish() {
    if (syntax_problems_ > kMaxPolicySyntaxFindings) {
      findings_.Add(v1::POLICY_SYNTAX_ERROR,
                    absl::StrCat(syntax_problems_ - kMaxPolicySyntaxFindings,
                                 " more lines do not follow the syntax, not "
                                 "listed one by one"));
    }
    if (!space_before_colon_lines_.empty()) {
      std::string lines = Lines(space_before_colon_lines_);
      lines[0] = 'L';
      const bool one = space_before_colon_lines_.size() == 1;
      findings_.Add(
          v1::POLICY_SPACE_BEFORE_COLON,
          absl::StrCat(lines, " (",
                       absl::StrJoin(space_before_colon_examples_, ", "), ") ",
                       one ? "has" : "have", " whitespace before \":\""));
    }
    Duplicate("version", version_);
    Duplicate("mode", mode_);
    Duplicate("max_age", max_age_);
    if (!result_.unknown_fields.empty()) {
      std::vector<absl::string_view> names(result_.unknown_fields.begin(),
                                           result_.unknown_fields.end());
      std::string detail = absl::StrCat(
          names.size() == 1 ? "The unknown field " : "The unknown fields ",
          QuoteListForDetail(names), " (", Lines(unknown_lines_), ")",
          names.size() == 1 ? " is" : " are", " ignored");
      if (!near_misses_.empty()) {
        const NearMiss& m = near_misses_.front();
        absl::StrAppend(&detail, "; ", QuoteForDetail(m.name), " is not \"",
                        m.field,
                        "\" (field names are exact and "
                        "case-sensitive)");
      }
      findings_.Add(v1::POLICY_UNKNOWN_FIELD, std::move(detail));
    }
    if (version_.count == 0) {
      findings_.Add(v1::POLICY_VERSION_MISSING,
                    absl::StrCat("The policy has no version field",
                                 NearMissNote("version")));
    }
    if (mode_.count == 0) {
      findings_.Add(
          v1::POLICY_MODE_MISSING,
          absl::StrCat("The policy has no mode field", NearMissNote("mode")));
    }
    if (max_age_.count == 0) {
      findings_.Add(v1::POLICY_MAX_AGE_MISSING,
                    absl::StrCat("The policy has no max_age field",
                                 NearMissNote("max_age")));
    }
    const bool needs_mx = result_.mode == v1::POLICY_MODE_ENFORCE ||
                          result_.mode == v1::POLICY_MODE_TESTING;
    if (needs_mx && result_.mx.empty()) {
      const bool enforce = result_.mode == v1::POLICY_MODE_ENFORCE;
      findings_.Add(
          v1::POLICY_MX_MISSING,
          enforce ? v1::SEVERITY_CRITICAL : v1::SEVERITY_HIGH,
          absl::StrCat("The policy is in mode ", PolicyModeName(result_.mode),
                       " but has no mx line", NearMissNote("mx")));
    }
    for (const auto& [defect, problems] : mx_problems_) {
      std::string detail;
      for (size_t i = 0; i < problems.size() && i < kMaxListed; ++i) {
        const MxProblem& p = problems[i];
        absl::StrAppend(&detail, i == 0 ? "" : "; ", "Line ", p.line,
                        ": the mx value ", QuoteForDetail(p.value), " ",
                        p.problem);
      }
      if (problems.size() > kMaxListed) {
        absl::StrAppend(&detail, "; and ", problems.size() - kMaxListed,
                        " more mx values like these");
      }
      findings_.Add(CodeFor(defect), std::move(detail));
    }

    result_.valid = ok_ && version_ok_ &&
                    result_.mode != v1::POLICY_MODE_UNSPECIFIED &&
                    max_age_ok_ && (!needs_mx || !result_.mx.empty());
    if (!result_.valid) return;

    std::string mx_words;
    if (result_.mx.empty()) {
      mx_words = "no mx patterns";
    } else {
      std::vector<absl::string_view> mx(result_.mx.begin(), result_.mx.end());
      mx_words = absl::StrCat("mx ", QuoteListForDetail(mx));
    }
    findings_.Add(v1::POLICY_VALID,
                  absl::StrCat("The policy is in mode ", PolicyModeName(result_.mode),
                               ", with max_age ", SecondsInWords(result_.max_age),
                               " and ", mx_words));
    // Choices to revisit.
    switch (result_.mode) {
      case v1::POLICY_MODE_TESTING:
        findings_.Add(
            v1::POLICY_TESTING_MODE,
            absl::StrCat("Line ", mode_.lines.front(), ": mode testing"));
        if (result_.max_age > kMaxTestingMaxAge) {
          findings_.Add(
              v1::POLICY_MAX_AGE_LONG_FOR_TESTING,
              absl::StrCat("max_age is ", SecondsInWords(result_.max_age),
                           " in mode testing"));
        }
        break;
      case v1::POLICY_MODE_NONE:
        findings_.Add(
            v1::POLICY_NONE_MODE,
            absl::StrCat("Line ", mode_.lines.front(), ": mode none"));
        break;
      case v1::POLICY_MODE_ENFORCE:
        if (result_.max_age < kMinEnforceMaxAge) {
          findings_.Add(
              v1::POLICY_MAX_AGE_SHORT,
              absl::StrCat("max_age is ", SecondsInWords(result_.max_age),
                           " in mode enforce, below 86400 (1 day)"));
        }
        break;
      default:
        break;
    }
  }

  absl::string_view body_;
  FindingList findings_;
  ParsedPolicy result_;
  bool ok_ = true;  // no syntax problem so far
  int syntax_problems_ = 0;
  SingleField version_, mode_, max_age_;
  bool version_ok_ = false;
  bool max_age_ok_ = false;
  std::vector<int> unknown_lines_;
  std::vector<int> space_before_colon_lines_;
  std::vector<std::string> space_before_colon_examples_;
  std::vector<NearMiss> near_misses_;
  std::map<MxPatternDefect, std::vector<MxProblem>> mx_problems_;
};

}  // namespace

// "604800 (7 days)", "3600 (1 hour)", "31557600 (365.25 days)".
std::string SecondsInWords(int64_t seconds) {
  auto unit = [](int64_t n, absl::string_view one) {
    return absl::StrCat(n, " ", one, n == 1 ? "" : "s");
  };
  std::string words;
  if (seconds >= 86400) {
    if (seconds % 86400 == 0) {
      words = unit(seconds / 86400, "day");
    } else {
      std::string days = absl::StrFormat("%.2f", seconds / 86400.0);
      while (days.back() == '0') days.pop_back();
      if (days.back() == '.') days.pop_back();
      words = absl::StrCat("about ", days, " days");
    }
  } else if (seconds >= 3600) {
    words = seconds % 3600 == 0
                ? unit(seconds / 3600, "hour")
                : absl::StrCat("about ", seconds / 3600,
                               seconds / 3600 == 1 ? " hour" : " hours");
  } else if (seconds >= 60 && seconds % 60 == 0) {
    words = unit(seconds / 60, "minute");
  } else {
    words = unit(seconds, "second");
  }
  return absl::StrCat(seconds, " (", words, ")");
}

const char* PolicyModeName(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return "enforce";
    case v1::POLICY_MODE_TESTING:
      return "testing";
    case v1::POLICY_MODE_NONE:
      return "none";
    default:
      return "unknown";
  }
}

ParsedPolicy ParsePolicy(absl::string_view body) {
  return PolicyParser(body).Parse();
}

}  // namespace mtasts::checks

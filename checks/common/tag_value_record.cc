#include "checks/common/tag_value_record.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/findings/report_text.h"

namespace mtasts::checks {
namespace {

// True when a version tag ends at `end` of `head`: "v=STSv10" is another
// version, not "v=STSv1" with something after it.
bool TagEndsAt(absl::string_view head, size_t end) {
  if (end >= head.size()) return true;
  const char c = head[end];
  return !(IsAlnum(c) || c == '.' || c == '_' || c == '-');
}

NearMiss ClassifyIgnored(const TagValueGrammar& grammar,
                         absl::string_view record, size_t* position) {
  const absl::string_view version = grammar.version;
  absl::string_view head = record.substr(0, grammar.max_record_bytes);
  if (absl::StartsWith(head, version)) {
    // The version, but not "<version>;": another version ("v=STSv10"), or
    // this one with whitespace or nothing where the ";" belongs.
    if (!TagEndsAt(head, version.size())) return NearMiss::kNone;
    const absl::string_view after = TrimWsp(head.substr(version.size()));
    return !after.empty() && after.front() == ';' ? NearMiss::kSpaceBeforeSemicolon
                                                  : NearMiss::kNoSemicolon;
  }
  if (head.size() >= version.size() &&
      absl::EqualsIgnoreCase(head.substr(0, version.size()), version) &&
      TagEndsAt(head, version.size())) {
    return NearMiss::kMiscased;
  }
  // "v = STSv1", "v =STSv1", "V= stsv1", ...: the tag is what follows "v=".
  const absl::string_view tag = version.substr(2);
  if (!head.empty() && (head[0] == 'v' || head[0] == 'V')) {
    size_t i = 1;
    while (i < head.size() && IsWsp(head[i])) ++i;
    if (i < head.size() && head[i] == '=') {
      ++i;
      while (i < head.size() && IsWsp(head[i])) ++i;
      if (absl::StartsWithIgnoreCase(head.substr(i), tag) &&
          TagEndsAt(head, i + tag.size())) {
        return NearMiss::kSpacedEquals;
      }
    }
  }
  const std::string lower = absl::AsciiStrToLower(head);
  const size_t at = lower.find(absl::AsciiStrToLower(version));
  if (at != std::string::npos && TagEndsAt(head, at + version.size())) {
    *position = at;
    return NearMiss::kNotFirst;
  }
  return NearMiss::kNone;
}

}  // namespace

bool IsWsp(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

absl::string_view TrimWsp(absl::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string DescribeChar(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  if (c >= 0x80)
    return absl::StrCat("the non-ASCII byte 0x", absl::Hex(c, absl::kZeroPad2));
  if (c < 0x20 || c == 0x7f) {
    return absl::StrCat("the control character 0x",
                        absl::Hex(c, absl::kZeroPad2));
  }
  if (c == ' ') return "a space";
  return absl::StrCat("\"", std::string(1, ch), "\"");
}

std::string ExtNameProblem(absl::string_view name, size_t max_length) {
  if (name.empty()) return "the field name is empty";
  if (!IsAlnum(name.front())) {
    return absl::StrCat("the name begins with ", DescribeChar(name.front()),
                        " instead of a letter or digit");
  }
  if (name.size() > max_length) {
    return absl::StrCat("the name is ", name.size(),
                        " characters long (at most ", max_length, ")");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return absl::StrCat("the name contains ", DescribeChar(c));
    }
  }
  return "";
}

std::string ExtValueProblem(absl::string_view value) {
  if (value.empty()) return "the value is empty";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || u == ';' || u == '=') {
      return absl::StrCat("the value contains ", DescribeChar(c));
    }
  }
  return "";
}

TagValueSelection SelectTagValueRecords(
    const TagValueGrammar& grammar, const std::vector<std::string>& records) {
  TagValueSelection s;
  s.total = records.size();
  for (size_t i = 0; i < records.size(); ++i) {
    absl::string_view record = records[i];
    const bool examined = i < grammar.max_records_examined;
    if (examined) {
      s.shown.push_back(
          SanitizeForReport(record.substr(0, grammar.max_record_bytes)));
    }
    // RFC 8461 §3.1, RFC 8460 §3: records that do not begin with
    // "v=STSv1;" ("v=TLSRPTv1;"), the ";" included, are discarded before
    // counting: "v=STSv10; ..." is no MTA-STS record at all.
    if (absl::StartsWith(record, grammar.version) && record.size() > grammar.version.size() &&
        record[grammar.version.size()] == ';') {
      s.selected.push_back(record);
      continue;
    }
    if (!examined) {
      ++s.unexamined;
      continue;
    }
    size_t position = 0;
    NearMiss kind = ClassifyIgnored(grammar, record, &position);
    if (kind == NearMiss::kNone) {
      s.unrelated.push_back(record);
    } else {
      s.near_misses.push_back({kind, record, position});
    }
  }
  return s;
}

void ReportIgnoredRecords(const TagValueGrammar& grammar,
                          const TagValueSelection& selection,
                          v1::Severity near_severity, FindingList& findings) {
  const absl::string_view version = grammar.version;
  for (const TagValueSelection::Near& near : selection.near_misses) {
    const std::string quoted = QuoteForDetail(near.record);
    switch (near.kind) {
      case NearMiss::kMiscased:
        findings.Add(
            grammar.version_miscased, near_severity,
            absl::StrCat("The record ", quoted, " begins with ",
                         QuoteForDetail(near.record.substr(0, version.size())),
                         ", not \"", version, "\", so ", grammar.reader,
                         " ignore it"));
        break;
      case NearMiss::kSpacedEquals:
        findings.Add(
            grammar.version_spaced, near_severity,
            absl::StrCat("The record ", quoted,
                         " has whitespace around the \"=\" of its "
                         "version, so it does not begin with ",
                         version, " and ", grammar.reader, " ignore it"));
        break;
      case NearMiss::kNotFirst:
        findings.Add(
            grammar.version_not_first, near_severity,
            absl::StrCat("The record ", quoted, " has ", version,
                         " at position ", near.position + 1, ", after ",
                         QuoteForDetail(near.record.substr(0, near.position)),
                         grammar.not_first_note, ", so ", grammar.reader,
                         " ignore it"));
        break;
      case NearMiss::kSpaceBeforeSemicolon:
        findings.Add(
            grammar.space_before_semicolon, near_severity,
            absl::StrCat("The record ", quoted, " has whitespace between ", version,
                         " and the first \";\", so it does not begin with \"", version,
                         ";\" and ", grammar.reader, " ignore it"));
        break;
      case NearMiss::kNoSemicolon:
        findings.Add(
            grammar.syntax_error, near_severity,
            absl::StrCat("The record ", quoted, " does not begin with \"", version,
                         ";\" (a \";\" must follow the version directly), so ",
                         grammar.reader, " ignore it"));
        break;
      case NearMiss::kNone:
        break;
    }
  }
  if (!selection.unrelated.empty() || selection.unexamined > 0) {
    const size_t count = selection.unrelated.size() + selection.unexamined;
    std::string detail = absl::StrCat(
        "Ignored ", count, count == 1 ? " TXT record" : " TXT records",
        " not beginning with \"", version, ";\"");
    if (!selection.unrelated.empty()) {
      absl::StrAppend(&detail, ": ", QuoteListForDetail(selection.unrelated));
    }
    if (selection.unexamined > 0) {
      absl::StrAppend(&detail, " (", selection.unexamined, " beyond the first ",
                      grammar.max_records_examined, " records not shown)");
    }
    findings.Add(grammar.ignored_record, std::move(detail));
  }
}

void ReportNoSingleRecord(const TagValueGrammar& grammar,
                          const TagValueSelection& selection,
                          absl::string_view name, FindingList& findings) {
  if (selection.selected.empty()) {
    findings.Add(
        grammar.no_record,
        selection.total == 1
            ? absl::StrCat("The only TXT record at ", name,
                           " does not begin with \"", grammar.version, ";\"")
            : absl::StrCat("None of the ", selection.total, " TXT records at ",
                           name, " begins with \"", grammar.version, ";\""));
  } else if (selection.selected.size() > 1) {
    findings.Add(grammar.multiple_records,
                 absl::StrCat(selection.selected.size(), " TXT records at ",
                              name, " begin with \"", grammar.version, ";\": ",
                              QuoteListForDetail(selection.selected)));
  }
}

TagValueFields::TagValueFields(const TagValueGrammar& grammar,
                               absl::string_view record, FindingList& findings)
    : grammar_(grammar), findings_(findings), quoted_(QuoteForDetail(record)) {
  const absl::string_view version = grammar.version;
  if (record.size() > grammar.max_record_bytes) {
    findings_.Add(
        grammar.syntax_error,
        absl::StrCat("The ", version, " record is ", record.size(),
                     " bytes long, more than the ", grammar.max_record_bytes,
                     " bytes this checker reads", grammar.too_long_note, ": ",
                     quoted_));
    return;
  }
  for (size_t i = 0; i < record.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(record[i]);
    if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f) {
      findings_.Add(grammar.syntax_error,
                    absl::StrCat("The record ", quoted_, " contains ",
                                 DescribeChar(record[i]), " at position ",
                                 i + 1, "; only printable ASCII is allowed"));
      return;
    }
  }

  absl::string_view rest = record.substr(version.size());
  segments_ = absl::StrSplit(rest, ';');
  // segments_[0] lies between the version and the first ";".
  if (segments_.size() == 1) {
    if (TrimWsp(rest).empty()) {
      findings_.Add(grammar.required_missing,
                    absl::StrCat("The record ", quoted_,
                                 " has no fields after ", version));
    } else {
      findings_.Add(grammar.syntax_error,
                    absl::StrCat("In the record ", quoted_, ", ", version,
                                 " is followed by ", QuoteForDetail(rest),
                                 " where \";\" should be"));
    }
    return;
  }
  if (!segments_[0].empty()) {
    if (!TrimWsp(segments_[0]).empty()) {
      findings_.Add(
          grammar.syntax_error,
          absl::StrCat("In the record ", quoted_, ", ", version,
                       " is followed by ", QuoteForDetail(segments_[0]),
                       " where \";\" should be"));
      return;
    }
    findings_.Add(
        grammar.space_before_semicolon,
        absl::StrCat("The record ", quoted_, " has whitespace between ",
                     version, " and the first \";\""));
  }
  started_ = true;
}

bool TagValueFields::Next(TagValueField* field) {
  if (!started_) return false;
  while (next_ < segments_.size()) {
    const absl::string_view segment = segments_[next_++];
    const bool last = next_ == segments_.size();
    absl::string_view text = TrimWsp(segment);
    if (text.empty()) {
      // The grammar's optional field-delim allows one trailing ";".
      if (last) continue;
      Problem(grammar_.syntax_error,
              absl::StrCat("The record ", quoted_,
                           " has an empty field: two \";\" with nothing but "
                           "whitespace between them"));
      continue;
    }
    if (last && IsWsp(segment.back())) {
      // Whitespace belongs to the delimiters only; lenient parsers strip it.
      Problem(grammar_.syntax_error,
              absl::StrCat("The record ", quoted_,
                           " ends with whitespace after its last field, which "
                           "the syntax allows only around ",
                           grammar_.whitespace_allowed, " (lenient ",
                           grammar_.reader, " strip it, strict ones ",
                           grammar_.strict_reaction, " the record)"));
    }
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      Problem(
          grammar_.syntax_error,
          absl::StrCat("The field ", QuoteForDetail(text), " has no \"=\""));
      continue;
    }
    absl::string_view name = text.substr(0, eq);
    absl::string_view value = text.substr(eq + 1);
    field->text = text;
    field->spaced_equals = (!name.empty() && IsWsp(name.back())) ||
                           (!value.empty() && IsWsp(value.front()));
    field->name = TrimWsp(name);
    field->value = TrimWsp(value);
    return true;
  }
  return false;
}

void TagValueFields::Problem(v1::FindingCode code, std::string detail) {
  if (++problems_ > grammar_.max_problems_per_record) return;
  findings_.Add(code, std::move(detail));
}

void TagValueFields::Extension(const TagValueField& field) {
  std::string why = ExtNameProblem(field.name, grammar_.max_ext_name_length);
  if (why.empty()) why = ExtValueProblem(field.value);
  if (!why.empty()) {
    Problem(grammar_.syntax_error,
            absl::StrCat("The field ", QuoteForDetail(field.text),
                         " is not a valid field: ", why));
    return;
  }
  unknown_names_.push_back(field.name);
  if (absl::EqualsIgnoreCase(field.name, grammar_.required_field)) {
    unknown_looks_like_required_ = true;
  }
}

void TagValueFields::ReportUnlisted() {
  const int unlisted = problems_ - grammar_.max_problems_per_record;
  if (unlisted <= 0) return;
  findings_.Add(grammar_.syntax_error,
                absl::StrCat("The record ", quoted_, " has ", unlisted,
                             " more problems, not listed one by one"));
}

void TagValueFields::ReportUnknown() {
  if (unknown_names_.empty()) return;
  std::string detail = absl::StrCat(
      "The record ", quoted_, " has ",
      unknown_names_.size() == 1 ? "the unknown field " : "the unknown fields ",
      QuoteListForDetail(unknown_names_));
  if (unknown_looks_like_required_) {
    absl::StrAppend(&detail, " (field names are case-sensitive: only \"",
                    grammar_.required_field, "\" is ", grammar_.required_role,
                    ")");
  }
  findings_.Add(grammar_.unknown_field, std::move(detail));
}

void TagValueFields::ReportRequiredMissing() {
  std::string detail = absl::StrCat("The record ", quoted_, " has no ",
                                    grammar_.required_field, " field");
  if (unknown_looks_like_required_) {
    absl::StrAppend(&detail,
                    "; a field spelled with other letter case does not count");
  }
  findings_.Add(grammar_.required_missing, std::move(detail));
}

}  // namespace mtasts::checks

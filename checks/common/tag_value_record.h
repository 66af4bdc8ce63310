// The parts of a "v=<VERSION>; name=value; ..." TXT record that RFC 8461 §3.1
// (_mta-sts, v=STSv1) and RFC 8460 §3 (_smtp._tls, v=TLSRPTv1) share: the
// character classes, the choice of the one record that begins with the
// version among a lookup's TXT records (with near misses named), the field
// splitting and its syntax problems, and the extension-field rules. Each
// judge supplies a TagValueGrammar (its version, codes, words and limits)
// and judges its own known fields. Pure: no I/O, safe on hostile input.
//
//   TagValueSelection s = SelectTagValueRecords(kGrammar, lookup.txt);
//   if (s.selected.size() == 1) {
//     TagValueFields fields(kGrammar, s.selected[0], findings);
//     TagValueField f;
//     while (fields.Next(&f)) {
//       if (f.name == "rua") { ...; continue; }
//       fields.Extension(f);
//     }
//     if (!fields.started()) ...;       // rejected: the finding is added
//     fields.ReportUnlisted();
//     fields.ReportUnknown();
//     if (no rua seen) fields.ReportRequiredMissing();
//   }
//   ReportIgnoredRecords(kGrammar, s, near_severity, findings);
//   ReportNoSingleRecord(kGrammar, s, name, findings);  // none, or several
//
// Details and their order are the judges' own (their tests pin them); a
// finding's code comes from the grammar, so each judge keeps its codes.
#ifndef MTASTS_CHECKS_COMMON_TAG_VALUE_RECORD_H_
#define MTASTS_CHECKS_COMMON_TAG_VALUE_RECORD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/findings/finding.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {

// What differs between the records. The views must outlive every use
// (string literals, in practice).
struct TagValueGrammar {
  // The case-sensitive version field that begins the record, "v=STSv1";
  // always "v=" and a tag.
  absl::string_view version;
  // The one field every record must have, "id" or "rua": a field spelled so
  // in another letter case is pointed out.
  absl::string_view required_field;
  // What only that spelling is, in that pointer: "the id", "rua".
  absl::string_view required_role;
  // Who reads the record: "senders", "reporters".
  absl::string_view reader;
  // What a strict reader does with a record ending in whitespace: "reject",
  // "ignore".
  absl::string_view strict_reaction;
  // Where the syntax allows whitespace, in the detail of a record ending in
  // it: "\";\"".
  absl::string_view whitespace_allowed;
  // Added after "bytes this checker reads" for an over-long record; "" or
  // " (...)".
  absl::string_view too_long_note;
  // Added after "after <prefix>" for a record with the version later on;
  // "" or ", ...".
  absl::string_view not_first_note;

  // A record longer than this is judged invalid without being parsed;
  // evidence keeps at most this much of any record.
  size_t max_record_bytes;
  // Records examined one by one and kept in the evidence; further records
  // only count towards "how many begin with the version".
  size_t max_records_examined;
  // Longest extension name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
  // ".").
  size_t max_ext_name_length;
  // Problems reported one by one per record; the rest are counted.
  int max_problems_per_record;

  v1::FindingCode syntax_error;            // e.g. TXT_SYNTAX_ERROR
  v1::FindingCode required_missing;        // e.g. TXT_ID_MISSING
  v1::FindingCode space_before_semicolon;  // after the version
  v1::FindingCode unknown_field;           // a valid extension field
  v1::FindingCode no_record;               // none begins with the version
  v1::FindingCode multiple_records;        // more than one does
  v1::FindingCode ignored_record;          // records not beginning with it
  // Near misses: "V=STSv1...", "v = STSv1...", "...v=STSv1..." later on
  // (whitespace or nothing where the ";" belongs: space_before_semicolon,
  // syntax_error).
  v1::FindingCode version_miscased;
  v1::FindingCode version_spaced;
  v1::FindingCode version_not_first;
};

// RFC 5234 core rules, ASCII only.
bool IsWsp(char c);
bool IsAlpha(char c);
bool IsDigit(char c);
bool IsAlnum(char c);
bool IsHexDigit(char c);
// `s` without leading and trailing spaces and tabs.
absl::string_view TrimWsp(absl::string_view s);
// One byte as a detail names it: "a space", "\"x\"", "the control character
// 0x09", "the non-ASCII byte 0xc3".
std::string DescribeChar(char ch);
// "" when `name` is a valid extension name of at most `max_length`
// characters, else what is wrong with it.
std::string ExtNameProblem(absl::string_view name, size_t max_length);
// "" when `value` is a valid extension value, 1*(%x21-3A / %x3C / %x3E-7E),
// else what is wrong with it.
std::string ExtValueProblem(absl::string_view value);

// How a record that does not begin with "<version>;" relates to it.
enum class NearMiss {
  kNone,
  kMiscased,              // "V=STSV1;..."
  kSpacedEquals,          // "v = STSv1;..."
  kNotFirst,              // "id=1; v=STSv1"
  kSpaceBeforeSemicolon,  // "v=STSv1 ; id=1"
  kNoSemicolon,           // "v=STSv1", "v=STSv1 id=1"
};

// The TXT records of a lookup, sorted as readers sort them. The views point
// into the records passed to SelectTagValueRecords.
struct TagValueSelection {
  struct Near {
    NearMiss kind;
    absl::string_view record;
    size_t position;  // of the version, for kNotFirst
  };
  std::vector<absl::string_view> selected;   // begin with "<version>;"
  std::vector<absl::string_view> unrelated;  // examined, no near miss
  std::vector<Near> near_misses;             // examined near misses
  size_t unexamined = 0;  // beyond max_records_examined, not selected
  size_t total = 0;       // records in the lookup
  // The examined records, in order, bounded and sanitized for the evidence.
  std::vector<std::string> shown;
};

// Sorts `records`, which must outlive the result.
TagValueSelection SelectTagValueRecords(
    const TagValueGrammar& grammar, const std::vector<std::string>& records);

// Adds a finding for each near miss (at `near_severity`: low beside a usable
// record, high otherwise) and one for the unrelated and unexamined records.
void ReportIgnoredRecords(const TagValueGrammar& grammar,
                          const TagValueSelection& selection,
                          v1::Severity near_severity, FindingList& findings);
// Adds `no_record` (no record selected) or `multiple_records` (several) for
// the records at `name`; nothing when exactly one record was selected.
void ReportNoSingleRecord(const TagValueGrammar& grammar,
                          const TagValueSelection& selection,
                          absl::string_view name, FindingList& findings);

// One field of a record: "name=value" with the whitespace around it removed.
struct TagValueField {
  absl::string_view text;   // the whole field, for details
  absl::string_view name;   // without whitespace before "="
  absl::string_view value;  // without whitespace after "="
  // Whitespace stood around "=" (which the grammar does not allow); the
  // judge reports it in its own words.
  bool spaced_equals = false;
};

// Walks the fields of the one record that begins with the version, adding
// the findings common to both grammars to `findings`. Not thread-safe;
// `grammar`, `record` and `findings` must outlive it.
class TagValueFields {
 public:
  // Judges what precedes the fields: the record's length, its characters
  // and the text between the version and the first ";". When that is
  // wrong, the finding is added and Next() yields nothing.
  TagValueFields(const TagValueGrammar& grammar, absl::string_view record,
                 FindingList& findings);

  // False when the record was rejected before its fields.
  bool started() const { return started_; }
  // The next non-empty field that has an "=", in order. An empty field (but
  // a trailing ";"), whitespace after the last field and a field without
  // "=" are reported as problems on the way.
  bool Next(TagValueField* field);
  // Counts a problem that makes the record invalid; the first
  // max_problems_per_record are added to `findings`.
  void Problem(v1::FindingCode code, std::string detail);
  // Judges a field that is not one of the grammar's own: an invalid name or
  // value is a problem, a valid one an unknown field.
  void Extension(const TagValueField& field);
  // Adds the count of problems beyond max_problems_per_record, if any.
  void ReportUnlisted();
  // Adds `unknown_field` naming the valid unknown fields, if any.
  void ReportUnknown();
  // Adds `required_missing`: the record has no `required_field`.
  void ReportRequiredMissing();

  // No problem was counted and the record was not rejected before its
  // fields.
  bool ok() const { return started() && problems_ == 0; }
  // The record as details quote it.
  const std::string& quoted() const { return quoted_; }

 private:
  const TagValueGrammar& grammar_;
  FindingList& findings_;
  std::string quoted_;
  std::vector<absl::string_view> segments_;
  bool started_ = false;
  size_t next_ = 1;  // segments_[next_] is read next; [0] precedes the ";"
  int problems_ = 0;
  std::vector<absl::string_view> unknown_names_;
  bool unknown_looks_like_required_ = false;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_TAG_VALUE_RECORD_H_

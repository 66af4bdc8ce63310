#include "checks/txt/sts_record.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"
#include "checks/txt/txt_findings.h"
#include "checks/txt_lookup.h"

namespace mtasts::checks {
namespace {

// RFC 8461 §3.1: sts-version = %s"v=STSv1" (case-sensitive).
constexpr absl::string_view kVersion = "v=STSv1";
// RFC 8461 §3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT).
constexpr size_t kMaxIdLength = 32;
// RFC 8461 §3.1: sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
// ".").
constexpr size_t kMaxExtNameLength = 32;
// Problems reported for one record; the rest are counted.
constexpr int kMaxProblemsPerRecord = 8;
// How the lookup itself is judged (checks/txt_lookup.h). RFC 8461 §8.2:
// a CNAME at _mta-sts delegates the record to a provider.
constexpr TxtLookupWording kStsLookupWording = {
    v1::TXT_CNAME_FOLLOWED,
    v1::TXT_MISSING,
    v1::TXT_LOOKUP_FAILED,
    /*follower=*/"senders",
    /*cname_note=*/"delegation as RFC 8461 §8.2 describes",
    /*missing_consequence=*/"MTA-STS is not published for this domain",
    /*failed_consequence=*/
    "senders cannot tell whether the domain publishes MTA-STS",
};

bool IsWsp(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

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

// "" when `id` is a valid sts-id value, else what is wrong with it.
std::string IdProblem(absl::string_view id) {
  if (id.size() > kMaxIdLength) {
    return absl::StrCat("is ", id.size(), " characters long; at most ",
                        kMaxIdLength, " are allowed");
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsAlnum(id[i])) {
      return absl::StrCat("contains ", DescribeChar(id[i]), " at position ",
                          i + 1, "; only letters and digits are allowed");
    }
  }
  return "";
}

// "" when `name` is a valid sts-ext-name, else what is wrong with it.
std::string ExtNameProblem(absl::string_view name) {
  if (name.empty()) return "the field name is empty";
  if (!IsAlnum(name.front())) {
    return absl::StrCat("the name begins with ", DescribeChar(name.front()),
                        " instead of a letter or digit");
  }
  if (name.size() > kMaxExtNameLength) {
    return absl::StrCat("the name is ", name.size(),
                        " characters long (at most ", kMaxExtNameLength, ")");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return absl::StrCat("the name contains ", DescribeChar(c));
    }
  }
  return "";
}

// "" when `value` is a valid sts-ext-value: 1*(%x21-3A / %x3C / %x3E-7E).
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

// How an ignored record (one not beginning with v=STSv1) relates to MTA-STS.
enum class NearMiss { kNone, kMiscased, kSpacedEquals, kNotFirst };

NearMiss ClassifyIgnored(absl::string_view record, size_t* position) {
  absl::string_view head = record.substr(0, kMaxStsRecordBytes);
  if (head.size() >= kVersion.size() &&
      absl::EqualsIgnoreCase(head.substr(0, kVersion.size()), kVersion)) {
    return NearMiss::kMiscased;
  }
  // "v = STSv1", "v =STSv1", "V= stsv1", ...
  if (!head.empty() && (head[0] == 'v' || head[0] == 'V')) {
    size_t i = 1;
    while (i < head.size() && IsWsp(head[i])) ++i;
    if (i < head.size() && head[i] == '=') {
      ++i;
      while (i < head.size() && IsWsp(head[i])) ++i;
      if (absl::StartsWithIgnoreCase(head.substr(i), "STSv1")) {
        return NearMiss::kSpacedEquals;
      }
    }
  }
  std::string lower = absl::AsciiStrToLower(head);
  size_t at = lower.find("v=stsv1");
  if (at != std::string::npos) {
    *position = at;
    return NearMiss::kNotFirst;
  }
  return NearMiss::kNone;
}

// The record that begins with v=STSv1, parsed.
struct ParsedRecord {
  bool valid = false;  // senders following §3.1 accept it
  std::string id;      // the id in force (the first), when valid
};

ParsedRecord ParseStsRecord(absl::string_view record, FindingList& findings) {
  ParsedRecord result;
  const std::string quoted = QuoteForDetail(record);
  if (record.size() > kMaxStsRecordBytes) {
    findings.Add(v1::TXT_SYNTAX_ERROR,
                 absl::StrCat("The v=STSv1 record is ", record.size(),
                              " bytes long, more than the ", kMaxStsRecordBytes,
                              " bytes this checker reads (a real record is a "
                              "few dozen bytes): ",
                              quoted));
    return result;
  }
  for (size_t i = 0; i < record.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(record[i]);
    if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f) {
      findings.Add(v1::TXT_SYNTAX_ERROR,
                   absl::StrCat("The record ", quoted, " contains ",
                                DescribeChar(record[i]), " at position ", i + 1,
                                "; only printable ASCII is allowed"));
      return result;
    }
  }

  absl::string_view rest = record.substr(kVersion.size());
  std::vector<absl::string_view> segments = absl::StrSplit(rest, ';');
  // segments[0] lies between "v=STSv1" and the first ";".
  if (segments.size() == 1) {
    if (TrimWsp(rest).empty()) {
      findings.Add(
          v1::TXT_ID_MISSING,
          absl::StrCat("The record ", quoted, " has no fields after v=STSv1"));
    } else {
      findings.Add(
          v1::TXT_SYNTAX_ERROR,
          absl::StrCat("In the record ", quoted, ", v=STSv1 is followed by ",
                       QuoteForDetail(rest), " where \";\" should be"));
    }
    return result;
  }
  if (!segments[0].empty()) {
    if (!TrimWsp(segments[0]).empty()) {
      findings.Add(
          v1::TXT_SYNTAX_ERROR,
          absl::StrCat("In the record ", quoted, ", v=STSv1 is followed by ",
                       QuoteForDetail(segments[0]), " where \";\" should be"));
      return result;
    }
    findings.Add(v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON,
                 absl::StrCat("The record ", quoted,
                              " has whitespace between v=STSv1 and the first "
                              "\";\""));
  }

  bool ok = true;
  int problems = 0;
  int unlisted = 0;
  auto problem = [&](v1::FindingCode code, std::string detail) {
    ok = false;
    if (++problems > kMaxProblemsPerRecord) {
      ++unlisted;
      return;
    }
    findings.Add(code, std::move(detail));
  };

  bool id_seen = false;
  absl::string_view first_id;
  std::vector<absl::string_view> extra_ids;
  std::vector<absl::string_view> unknown_names;
  bool unknown_looks_like_id = false;
  for (size_t k = 1; k < segments.size(); ++k) {
    const bool last = k + 1 == segments.size();
    absl::string_view field = TrimWsp(segments[k]);
    if (field.empty()) {
      // RFC 8461 §3.1: [sts-field-delim] allows one trailing ";".
      if (last) continue;
      problem(v1::TXT_SYNTAX_ERROR,
              absl::StrCat("The record ", quoted,
                           " has an empty field: two \";\" with nothing but "
                           "whitespace between them"));
      continue;
    }
    if (last && IsWsp(segments[k].back())) {
      // Whitespace is part of sts-field-delim only; lenient parsers strip it.
      problem(v1::TXT_SYNTAX_ERROR,
              absl::StrCat("The record ", quoted,
                           " ends with whitespace after its last field, which "
                           "the syntax allows only around \";\" (lenient "
                           "senders strip it, strict ones reject the record)"));
    }
    size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      problem(
          v1::TXT_SYNTAX_ERROR,
          absl::StrCat("The field ", QuoteForDetail(field), " has no \"=\""));
      continue;
    }
    absl::string_view name = field.substr(0, eq);
    absl::string_view value = field.substr(eq + 1);
    if ((!name.empty() && IsWsp(name.back())) ||
        (!value.empty() && IsWsp(value.front()))) {
      problem(v1::TXT_SPACE_AROUND_EQUALS,
              absl::StrCat("The field ", QuoteForDetail(field),
                           " has whitespace around \"=\""));
      name = TrimWsp(name);
      value = TrimWsp(value);
    }
    if (name == "id") {
      if (id_seen) {
        extra_ids.push_back(value);
        continue;
      }
      id_seen = true;
      first_id = value;
      if (value.empty()) {
        problem(v1::TXT_SYNTAX_ERROR, "The id field is empty");
        continue;
      }
      std::string why = IdProblem(value);
      if (!why.empty()) {
        problem(v1::TXT_ID_INVALID,
                absl::StrCat("The id ", QuoteForDetail(value), " ", why));
        continue;
      }
      result.id = std::string(value);
      continue;
    }
    std::string why = ExtNameProblem(name);
    if (why.empty()) why = ExtValueProblem(value);
    if (!why.empty()) {
      problem(v1::TXT_SYNTAX_ERROR,
              absl::StrCat("The field ", QuoteForDetail(field),
                           " is not a valid field: ", why));
      continue;
    }
    unknown_names.push_back(name);
    if (absl::EqualsIgnoreCase(name, "id")) unknown_looks_like_id = true;
  }
  if (unlisted > 0) {
    findings.Add(v1::TXT_SYNTAX_ERROR,
                 absl::StrCat("The record ", quoted, " has ", unlisted,
                              " more problems, not listed one by one"));
  }

  if (!extra_ids.empty()) {
    findings.Add(
        v1::TXT_ID_DUPLICATED,
        absl::StrCat("The record ", quoted, " has ", extra_ids.size() + 1,
                     " id fields; the first, ", QuoteForDetail(first_id),
                     ", is the one used, and ", QuoteListForDetail(extra_ids),
                     " ignored"));
  }
  if (!unknown_names.empty()) {
    std::string detail =
        absl::StrCat("The record ", quoted, " has ",
                     unknown_names.size() == 1 ? "the unknown field "
                                               : "the unknown fields ",
                     QuoteListForDetail(unknown_names));
    if (unknown_looks_like_id) {
      absl::StrAppend(
          &detail, " (field names are case-sensitive: only \"id\" is the id)");
    }
    findings.Add(v1::TXT_UNKNOWN_FIELD, std::move(detail));
  }
  if (!id_seen) {
    std::string detail =
        absl::StrCat("The record ", quoted, " has no id field");
    if (unknown_looks_like_id) {
      absl::StrAppend(
          &detail, "; a field spelled with other letter case does not count");
    }
    findings.Add(v1::TXT_ID_MISSING, std::move(detail));
    ok = false;
  }
  result.valid = ok && !result.id.empty();
  if (!result.valid) result.id.clear();
  return result;
}

}  // namespace

CheckVerdict JudgeStsLookup(const net::DnsResult& lookup,
                            v1::Evidence* evidence) {
  v1::Evidence scratch;
  if (evidence == nullptr) evidence = &scratch;
  evidence->clear_sts_records();
  evidence->clear_sts_id();
  evidence->clear_sts_cname_chain();

  CheckVerdict verdict;
  const std::string& name = lookup.name;
  FindingList findings(TxtFindings(), name);

  TxtLookupStart start = StartTxtLookup(lookup, kStsLookupWording, findings);
  for (const std::string& alias : start.cname_chain) {
    evidence->add_sts_cname_chain(alias);
  }
  if (start.verdict.has_value()) return *std::move(start.verdict);

  // Records present. RFC 8461 §3.1: discard those not beginning with v=STSv1.
  std::vector<absl::string_view> selected;
  std::vector<absl::string_view> unrelated;
  size_t unexamined = 0;
  struct Near {
    NearMiss kind;
    absl::string_view record;
    size_t position;
  };
  std::vector<Near> near_misses;
  for (size_t i = 0; i < lookup.txt.size(); ++i) {
    absl::string_view record = lookup.txt[i];
    const bool examined = i < kMaxStsRecordsExamined;
    if (examined) {
      evidence->add_sts_records(
          SanitizeForReport(record.substr(0, kMaxStsRecordBytes)));
    }
    if (absl::StartsWith(record, kVersion)) {
      selected.push_back(record);
      continue;
    }
    if (!examined) {
      ++unexamined;
      continue;
    }
    size_t position = 0;
    NearMiss kind = ClassifyIgnored(record, &position);
    if (kind == NearMiss::kNone) {
      unrelated.push_back(record);
    } else {
      near_misses.push_back({kind, record, position});
    }
  }

  ParsedRecord parsed;
  if (selected.size() == 1) parsed = ParseStsRecord(selected[0], findings);

  // A near miss beside a valid record is a leftover, not the policy's fault.
  // Otherwise it is likely the record the domain meant to publish.
  const v1::Severity near_severity =
      parsed.valid ? v1::SEVERITY_LOW : v1::SEVERITY_HIGH;
  auto add_near = [&](v1::FindingCode code, std::string detail) {
    findings.Add(code, near_severity, std::move(detail));
  };
  for (const Near& near : near_misses) {
    const std::string quoted = QuoteForDetail(near.record);
    switch (near.kind) {
      case NearMiss::kMiscased:
        add_near(
            v1::TXT_VERSION_MISCASED,
            absl::StrCat("The record ", quoted, " begins with ",
                         QuoteForDetail(near.record.substr(0, kVersion.size())),
                         ", not \"v=STSv1\", so senders ignore it"));
        break;
      case NearMiss::kSpacedEquals:
        add_near(v1::TXT_SPACE_AROUND_EQUALS,
                 absl::StrCat("The record ", quoted,
                              " has whitespace around the \"=\" of its "
                              "version, so it does not begin with v=STSv1 and "
                              "senders ignore it"));
        break;
      case NearMiss::kNotFirst:
        add_near(
            v1::TXT_VERSION_NOT_FIRST,
            absl::StrCat("The record ", quoted, " has v=STSv1 at position ",
                         near.position + 1, ", after ",
                         QuoteForDetail(near.record.substr(0, near.position)),
                         ", so senders ignore it"));
        break;
      case NearMiss::kNone:
        break;
    }
  }
  if (!unrelated.empty() || unexamined > 0) {
    size_t count = unrelated.size() + unexamined;
    std::string detail = absl::StrCat(
        "Ignored ", count, count == 1 ? " TXT record" : " TXT records",
        " not beginning with v=STSv1");
    if (!unrelated.empty())
      absl::StrAppend(&detail, ": ", QuoteListForDetail(unrelated));
    if (unexamined > 0) {
      absl::StrAppend(&detail, " (", unexamined, " beyond the first ",
                      kMaxStsRecordsExamined, " records not shown)");
    }
    findings.Add(v1::TXT_IGNORED_RECORD, std::move(detail));
  }

  if (selected.empty()) {
    findings.Add(
        v1::TXT_MISSING,
        lookup.txt.size() == 1
            ? absl::StrCat("The only TXT record at ", name,
                           " does not begin with v=STSv1")
            : absl::StrCat("None of the ", lookup.txt.size(),
                           " TXT records at ", name, " begins with v=STSv1"));
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary =
        near_misses.empty()
            ? absl::StrCat("No TXT record at ", name,
                           " begins with v=STSv1, so MTA-STS is not published "
                           "for this domain.")
            : absl::StrCat("A record at ", name,
                           " looks like an MTA-STS record but does not begin "
                           "with exactly v=STSv1, so senders ignore it and see "
                           "no MTA-STS policy.");
  } else if (selected.size() > 1) {
    findings.Add(
        v1::TXT_MULTIPLE_RECORDS,
        absl::StrCat(selected.size(), " TXT records at ", name,
                     " begin with v=STSv1: ", QuoteListForDetail(selected)));
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = absl::StrCat(
        selected.size(), " records at ", name,
        " begin with v=STSv1, so senders treat the domain as having no "
        "MTA-STS policy.");
  } else if (!parsed.valid) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = absl::StrCat(
        "The v=STSv1 record at ", name,
        " is invalid, so senders treat the domain as having no MTA-STS "
        "policy.");
  } else {
    evidence->set_sts_id(parsed.id);
    const v1::Severity worst = findings.Worst();
    findings.Add(v1::TXT_VALID,
                 absl::StrCat(name, " publishes ", QuoteForDetail(selected[0]),
                              ", with id ", parsed.id));
    if (worst < v1::SEVERITY_LOW) {
      verdict.status = v1::CHECK_STATUS_PASS;
      verdict.fraction = 1;
      verdict.summary = absl::StrCat("One valid v=STSv1 record at ", name,
                                     ", id ", parsed.id, ".");
    } else {
      verdict.status = v1::CHECK_STATUS_WARN;
      verdict.fraction = worst == v1::SEVERITY_LOW ? 0.75 : 0.5;
      verdict.summary =
          absl::StrCat("One valid v=STSv1 record at ", name, ", id ", parsed.id,
                       ", with defects that some senders may trip over.");
    }
  }
  verdict.findings = std::move(findings).Take();
  return verdict;
}

}  // namespace mtasts::checks

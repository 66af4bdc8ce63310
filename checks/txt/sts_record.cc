#include "checks/txt/sts_record.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "checks/common/tag_value_record.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"
#include "checks/txt_lookup.h"

namespace mtasts::checks {

// RFC 8461 §3.1: sts-version = %s"v=STSv1" (case-sensitive); sts-ext-name =
// (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."); sts-ext-value =
// 1*(%x21-3A / %x3C / %x3E-7E); fields separated by *WSP ";" *WSP.
constexpr TagValueGrammar kStsGrammar = {
    /*version=*/"v=STSv1",
    /*required_field=*/"id",
    /*required_role=*/"the id",
    /*reader=*/"senders",
    /*strict_reaction=*/"reject",
    /*whitespace_allowed=*/"\";\"",
    /*too_long_note=*/" (a real record is a few dozen bytes)",
    /*not_first_note=*/"",
    kMaxStsRecordBytes,
    kMaxStsRecordsExamined,
    /*max_ext_name_length=*/32,
    /*max_problems_per_record=*/8,
    v1::TXT_SYNTAX_ERROR,
    v1::TXT_ID_MISSING,
    v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON,
    v1::TXT_UNKNOWN_FIELD,
    v1::TXT_MISSING,
    v1::TXT_MULTIPLE_RECORDS,
    v1::TXT_IGNORED_RECORD,
    v1::TXT_VERSION_MISCASED,
    v1::TXT_SPACE_AROUND_EQUALS,
    v1::TXT_VERSION_NOT_FIRST,
};

namespace {

// RFC 8461 §3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT).
constexpr size_t kMaxIdLength = 32;
// How the lookup itself is judged (checks/txt_lookup.h). RFC 8461 §8.2:
// a CNAME at _mta-sts delegates the record to a provider.
constexpr TxtLookupWording kStsLookupWording = {
    v1::TXT_CNAME_FOLLOWED,
    v1::TXT_MISSING,
    v1::TXT_LOOKUP_FAILED,
    v1::TXT_NAME_TOO_LONG,
    /*follower=*/"senders",
    /*cname_note=*/"delegation as RFC 8461 §8.2 describes",
    /*missing_consequence=*/"MTA-STS is not published for this domain",
    /*failed_consequence=*/
    "senders cannot tell whether the domain publishes MTA-STS",
    /*too_long_consequence=*/
    "no sender can find an MTA-STS policy for this domain (RFC 8461 §3.1)",
};

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

// The record that begins with v=STSv1, parsed.
struct ParsedRecord {
  bool valid = false;  // senders following §3.1 accept it
  std::string id;      // the id in force (the first), when valid
};

ParsedRecord ParseStsRecord(absl::string_view record, FindingList& findings) {
  ParsedRecord result;
  TagValueFields fields(kStsGrammar, record, findings);
  bool id_seen = false;
  absl::string_view first_id;
  std::vector<absl::string_view> extra_ids;
  TagValueField field;
  while (fields.Next(&field)) {
    if (field.spaced_equals) {
      fields.Problem(v1::TXT_SPACE_AROUND_EQUALS,
                     absl::StrCat("The field ", QuoteForDetail(field.text),
                                  " has whitespace around \"=\""));
    }
    const absl::string_view value = field.value;
    if (field.name != "id") {
      fields.Extension(field);
      continue;
    }
    if (id_seen) {
      extra_ids.push_back(value);
      continue;
    }
    id_seen = true;
    first_id = value;
    if (value.empty()) {
      fields.Problem(v1::TXT_SYNTAX_ERROR, "The id field is empty");
      continue;
    }
    std::string why = IdProblem(value);
    if (!why.empty()) {
      fields.Problem(v1::TXT_ID_INVALID,
                     absl::StrCat("The id ", QuoteForDetail(value), " ", why));
      continue;
    }
    result.id = std::string(value);
  }
  if (!fields.started()) return result;
  fields.ReportUnlisted();
  if (!extra_ids.empty()) {
    findings.Add(
        v1::TXT_ID_DUPLICATED,
        absl::StrCat("The record ", fields.quoted(), " has ",
                     extra_ids.size() + 1, " id fields; the first, ",
                     QuoteForDetail(first_id), ", is the one used, and ",
                     QuoteListForDetail(extra_ids), " ignored"));
  }
  fields.ReportUnknown();
  if (!id_seen) fields.ReportRequiredMissing();
  result.valid = fields.ok() && !result.id.empty();
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
  TagValueSelection records = SelectTagValueRecords(kStsGrammar, lookup.txt);
  for (std::string& shown : records.shown) {
    evidence->add_sts_records(std::move(shown));
  }
  const std::vector<absl::string_view>& selected = records.selected;

  ParsedRecord parsed;
  if (selected.size() == 1) parsed = ParseStsRecord(selected[0], findings);

  // A near miss beside a valid record is a leftover, not the policy's fault.
  // Otherwise it is likely the record the domain meant to publish.
  ReportIgnoredRecords(kStsGrammar, records,
                       parsed.valid ? v1::SEVERITY_LOW : v1::SEVERITY_HIGH,
                       findings);
  ReportNoSingleRecord(kStsGrammar, records, name, findings);

  if (selected.empty()) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary =
        records.near_misses.empty()
            ? absl::StrCat("No TXT record at ", name,
                           " begins with v=STSv1, so MTA-STS is not published "
                           "for this domain.")
            : absl::StrCat("A record at ", name,
                           " looks like an MTA-STS record but does not begin "
                           "with exactly v=STSv1, so senders ignore it and see "
                           "no MTA-STS policy.");
  } else if (selected.size() > 1) {
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

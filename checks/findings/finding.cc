#include "checks/findings/finding.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mtasts::checks {
namespace {

const FindingInfo kUnknown = {
    v1::FINDING_CODE_UNSPECIFIED,
    v1::SEVERITY_UNSPECIFIED,
    "unknown",
    "Unknown finding",
    "This server has no description of this finding code.",
    "",
    ""};

// Ends `text` with a full stop unless it already ends a sentence.
std::string AsSentence(std::string text) {
  if (!text.empty()) {
    char last = text.back();
    if (last != '.' && last != '!' && last != '?' && last != ':') {
      text.push_back('.');
    }
  }
  return text;
}

}  // namespace

const FindingInfo* FindingTable::Find(v1::FindingCode code) const {
  // Tables hold a few dozen rows and findings are few per run: a linear
  // search costs less than building an index.
  for (const FindingInfo& info : rows_) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

const FindingInfo& FindingTable::Info(v1::FindingCode code) const {
  if (const FindingInfo* info = Find(code)) return *info;
  if (const FindingInfo* info = EngineFindings().Find(code)) return *info;
  return kUnknown;
}

v1::Finding FindingTable::Make(v1::FindingCode code, std::string detail,
                               std::string subject) const {
  return Make(code, Info(code).severity, std::move(detail), std::move(subject));
}

v1::Finding FindingTable::Make(v1::FindingCode code, v1::Severity severity,
                               std::string detail, std::string subject) const {
  const FindingInfo& info = Info(code);
  v1::Finding finding;
  finding.set_code(code);
  finding.set_severity(severity);
  finding.set_title(info.title);
  if (detail.empty()) {
    finding.set_detail(info.explanation);
  } else {
    finding.set_detail(absl::StrCat(AsSentence(std::move(detail)), " ", info.explanation));
  }
  finding.set_recommendation(info.recommendation);
  finding.set_tlsrpt_result_type(info.tlsrpt_result_type);
  finding.set_subject(std::move(subject));
  return finding;
}

void SortMostSevereFirst(std::vector<v1::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     return a.severity() > b.severity();
                   });
}

void FindingList::Add(v1::FindingCode code, std::string detail) {
  findings_.push_back(table_->Make(code, std::move(detail), subject_));
}

void FindingList::Add(v1::FindingCode code, v1::Severity severity, std::string detail) {
  findings_.push_back(table_->Make(code, severity, std::move(detail), subject_));
}

v1::Severity FindingList::Worst() const {
  v1::Severity worst = v1::SEVERITY_UNSPECIFIED;
  for (const v1::Finding& f : findings_) worst = std::max(worst, f.severity());
  return worst;
}

bool FindingList::Has(v1::FindingCode code) const {
  return std::any_of(findings_.begin(), findings_.end(),
                     [code](const v1::Finding& f) { return f.code() == code; });
}

std::vector<v1::Finding> FindingList::Take() && {
  SortMostSevereFirst(findings_);
  return std::move(findings_);
}

}  // namespace mtasts::checks

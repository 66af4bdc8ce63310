#include "checks/scoring/report_reading.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace mtasts::checks::scoring::internal {

bool Works(CheckStatus s) {
  return s == v1::CHECK_STATUS_PASS || s == v1::CHECK_STATUS_WARN;
}

const CheckResult* Find(const DomainReport& report, std::string_view name) {
  for (const CheckResult& c : report.checks()) {
    if (c.check() == name) return &c;
  }
  return nullptr;
}

CheckStatus StatusOf(const DomainReport& report, std::string_view name) {
  const CheckResult* c = Find(report, name);
  return c == nullptr ? v1::CHECK_STATUS_NOT_RUN : c->status();
}

bool HasFinding(const CheckResult* check, v1::FindingCode code) {
  if (check == nullptr) return false;
  for (const v1::Finding& f : check->findings()) {
    if (f.code() == code) return true;
  }
  return false;
}

bool HasAnyFinding(const DomainReport& report, v1::FindingCode code) {
  for (const v1::Finding& f : report.domain_findings()) {
    if (f.code() == code) return true;
  }
  for (const CheckResult& c : report.checks()) {
    if (HasFinding(&c, code)) return true;
  }
  return false;
}

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  if (names.size() == 1) return names[0];
  std::vector<std::string> head(names.begin(), names.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " and ", names.back());
}

std::string DisplayName(const DomainReport& report) {
  if (report.domain().empty()) return "This domain";
  if (!report.unicode_domain().empty() &&
      report.unicode_domain() != report.domain()) {
    return absl::StrCat(report.unicode_domain(), " (", report.domain(), ")");
  }
  return report.domain();
}

std::string DomainOrPlaceholder(const DomainReport& report) {
  return report.domain().empty() ? "<domain>" : report.domain();
}

std::string NormalizeHost(absl::string_view host) {
  host = absl::StripAsciiWhitespace(host);
  absl::ConsumeSuffix(&host, ".");
  return absl::AsciiStrToLower(host);
}

absl::string_view ModeName(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE: return "enforce";
    case v1::POLICY_MODE_TESTING: return "testing";
    case v1::POLICY_MODE_NONE: return "none";
    default: return "";
  }
}

}  // namespace mtasts::checks::scoring::internal

#include "checks/scoring/summary.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "checks/scoring/report_reading.h"

namespace mtasts::checks::scoring::internal {
namespace {

absl::string_view GradeLetter(v1::Grade g) {
  switch (g) {
    case v1::GRADE_A: return "A";
    case v1::GRADE_B: return "B";
    case v1::GRADE_C: return "C";
    case v1::GRADE_D: return "D";
    default: return "F";
  }
}

absl::string_view SeverityWord(v1::Severity s) {
  switch (s) {
    case v1::SEVERITY_CRITICAL: return "critical";
    case v1::SEVERITY_HIGH: return "high";
    case v1::SEVERITY_MEDIUM: return "medium";
    case v1::SEVERITY_LOW: return "low";
    default: return "information";
  }
}

std::vector<std::string> NamesWith(const DomainReport& report,
                                   CheckStatus status) {
  std::vector<std::string> names;
  for (const CheckResult& c : report.checks()) {
    if (c.status() == status) names.push_back(c.check());
  }
  return names;
}

std::string StateSentence(const DomainReport& report, MtaStsState state) {
  const std::string d = DisplayName(report);
  const std::string ascii = DomainOrPlaceholder(report);
  switch (state) {
    case v1::MTA_STS_STATE_ENFORCED:
      return absl::StrCat(d, " enforces MTA-STS: compliant senders deliver its "
                          "mail only over TLS, to a listed MX host with a "
                          "valid certificate.");
    case v1::MTA_STS_STATE_TESTING:
      return absl::StrCat(d, " publishes MTA-STS in testing mode: senders "
                          "report TLS problems but still deliver without TLS, "
                          "so mail is not yet protected.");
    case v1::MTA_STS_STATE_DISABLED:
      return absl::StrCat(d, " publishes an MTA-STS policy in mode none, which "
                          "switches MTA-STS off: mail gets no protection from it.");
    case v1::MTA_STS_STATE_ABSENT:
      if (report.evidence().mx_kind() == v1::MX_KIND_NULL) {
        return absl::StrCat(d, " does not publish MTA-STS, and needs none: its "
                            "null MX record says it accepts no mail.");
      }
      return absl::StrCat(d, " does not publish MTA-STS (no v=STSv1 TXT record "
                          "at _mta-sts.", ascii, "), so sending servers deliver "
                          "its mail without requiring TLS.");
    case v1::MTA_STS_STATE_BROKEN: {
      std::vector<std::string> failed;
      for (std::string_view n : {"txt", "policy_fetch", "policy_content"}) {
        if (StatusOf(report, n) == v1::CHECK_STATUS_FAIL) failed.emplace_back(n);
      }
      return absl::StrCat("The MTA-STS setup of ", d, " is broken: senders "
                          "cannot use what is published (", JoinNames(failed),
                          " failed), so it gives mail no protection.");
    }
    default:
      break;
  }
  // UNDETERMINED.
  const CheckStatus txt = StatusOf(report, "txt");
  if (Works(txt)) {
    const bool policy_tried =
        StatusOf(report, "policy_fetch") != v1::CHECK_STATUS_NOT_RUN ||
        StatusOf(report, "policy_content") != v1::CHECK_STATUS_NOT_RUN;
    return absl::StrCat(d, " publishes a valid MTA-STS TXT record, but its "
                        "policy ", policy_tried ? "could not be checked" :
                        "was not checked in this run",
                        ", so its mode (enforce, testing or none) is unknown.");
  }
  return absl::StrCat("The MTA-STS state of ", d, " is unknown: its _mta-sts "
                      "TXT record ", txt == v1::CHECK_STATUS_INCONCLUSIVE ?
                      "could not be checked." : "was not checked in this run.");
}

// "It scores 62/100 (grade C): txt passed; policy_fetch failed."
std::string ResultsSentence(const DomainReport& report) {
  std::vector<std::string> parts;
  if (auto n = NamesWith(report, v1::CHECK_STATUS_PASS); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " passed"));
  }
  if (auto n = NamesWith(report, v1::CHECK_STATUS_WARN); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " passed with warnings"));
  }
  if (auto n = NamesWith(report, v1::CHECK_STATUS_FAIL); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " failed"));
  }
  return absl::StrCat("It scores ", report.score(), "/100 (grade ",
                      GradeLetter(report.grade()), "): ",
                      absl::StrJoin(parts, "; "), ".");
}

// The most severe finding (MEDIUM or above) about the domain as a whole or of
// a check that WARNed or FAILed; empty when none, or when it only repeats the
// state sentence. Ties go to the domain, then to the earlier check.
std::string WorstProblemSentence(const DomainReport& report, MtaStsState state) {
  const v1::Finding* worst = nullptr;
  std::string where;
  const auto consider = [&](const v1::Finding& f, absl::string_view place) {
    if (f.severity() < v1::SEVERITY_MEDIUM || f.title().empty()) return;
    if (worst == nullptr || f.severity() > worst->severity()) {
      worst = &f;
      where = std::string(place);
    }
  };
  for (const v1::Finding& f : report.domain_findings()) consider(f, "domain-wide");
  for (const CheckResult& c : report.checks()) {
    if (c.status() != v1::CHECK_STATUS_WARN &&
        c.status() != v1::CHECK_STATUS_FAIL) {
      continue;
    }
    for (const v1::Finding& f : c.findings()) consider(f, absl::StrCat("in ", c.check()));
  }
  if (worst == nullptr) return "";
  if (state == v1::MTA_STS_STATE_ABSENT && worst->code() == v1::TXT_MISSING) {
    return "";
  }
  absl::string_view title = absl::StripAsciiWhitespace(worst->title());
  absl::ConsumeSuffix(&title, ".");
  return absl::StrCat("The most serious problem (", SeverityWord(worst->severity()),
                      ", ", where, "): ", title, ".");
}

std::string NotRunSentence(const DomainReport& report) {
  std::vector<std::string> not_run = NamesWith(report, v1::CHECK_STATUS_NOT_RUN);
  if (not_run.empty()) return "";
  if (static_cast<int>(not_run.size()) == report.checks_size()) {
    return absl::StrCat("None of the checks (", JoinNames(not_run),
                        ") was run.");
  }
  return absl::StrCat("This is a partial report: ", JoinNames(not_run),
                      not_run.size() == 1 ? " was" : " were",
                      " not run, so the score says nothing about ",
                      not_run.size() == 1 ? "it." : "them.");
}

std::string LeftOutSentence(const DomainReport& report) {
  std::vector<std::string> parts;
  std::vector<std::string> inconclusive =
      NamesWith(report, v1::CHECK_STATUS_INCONCLUSIVE);
  if (!inconclusive.empty()) {
    parts.push_back(absl::StrCat(
        JoinNames(inconclusive), inconclusive.size() == 1 ? " was" : " were",
        " inconclusive (the checker could not tell from its vantage point or "
        "in the time it had)"));
  }
  std::vector<std::string> skipped = NamesWith(report, v1::CHECK_STATUS_SKIPPED);
  if (!skipped.empty()) {
    parts.push_back(absl::StrCat(JoinNames(skipped),
                                 " did not apply to this domain"));
  }
  if (parts.empty()) return "";
  return absl::StrCat("Left out of the score: ", absl::StrJoin(parts, "; "), ".");
}

}  // namespace

std::string Summary(const DomainReport& report, MtaStsState state,
                    bool judged) {
  std::vector<std::string> sentences = {StateSentence(report, state)};
  if (judged) {
    sentences.push_back(ResultsSentence(report));
  } else {
    sentences.push_back(
        "Nothing could be judged: no check reached a verdict, so the score of "
        "0 (grade F) says nothing about the domain.");
  }
  for (std::string s : {WorstProblemSentence(report, state),
                        NotRunSentence(report), LeftOutSentence(report)}) {
    if (!s.empty()) sentences.push_back(std::move(s));
  }
  return absl::StrJoin(sentences, " ");
}

}  // namespace mtasts::checks::scoring::internal

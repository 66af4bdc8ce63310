#include "checks/policy_content/policy_judge.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "checks/findings/report_text.h"

namespace mtasts::checks {
namespace {

// docs/design.md §5.3: policy_content points.
constexpr double kPolicyPoints = 35;
constexpr double kEnforcePoints = 30;
constexpr double kTestingPoints = 15;
constexpr double kLongMaxAgePoints = 5;

// The body for the report: proto3 strings must be valid UTF-8, so bytes that
// are not are escaped, as are control characters other than tab, CR and LF
// (line ends are kept as they came).
std::string BodyForReport(absl::string_view body) {
  std::string out;
  out.reserve(body.size());
  size_t pos = 0;
  while (true) {
    const size_t nl = body.find('\n', pos);
    absl::string_view piece =
        body.substr(pos, nl == absl::string_view::npos ? absl::string_view::npos
                                                       : nl - pos);
    const bool cr = !piece.empty() && piece.back() == '\r';
    if (cr) piece.remove_suffix(1);
    out += SanitizeForReport(piece);
    if (cr) out += '\r';
    if (nl == absl::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

// Why an invalid policy is invalid, in a few words, from its most severe
// finding.
std::string ShortReason(const std::vector<v1::Finding>& findings) {
  size_t problems = 0;
  const v1::Finding* first = nullptr;
  for (const v1::Finding& f : findings) {
    if (f.severity() < v1::SEVERITY_LOW) continue;
    ++problems;
    if (first == nullptr) first = &f;
  }
  std::string reason = "a line does not follow the syntax";
  if (first != nullptr) {
    switch (first->code()) {
      case v1::POLICY_EMPTY:
        reason = "the body is empty";
        break;
      case v1::POLICY_TOO_LARGE:
        reason = "the body is larger than 64 KiB";
        break;
      case v1::POLICY_NOT_A_POLICY:
        reason = "it is a web page, not a policy";
        break;
      case v1::POLICY_SPACE_BEFORE_COLON:
        reason = "whitespace before \":\"";
        break;
      case v1::POLICY_BOM:
        reason = "it begins with a byte order mark";
        break;
      case v1::POLICY_VERSION_MISSING:
        reason = "no version field";
        break;
      case v1::POLICY_VERSION_INVALID:
        reason = "the version is not STSv1";
        break;
      case v1::POLICY_MODE_MISSING:
        reason = "no mode field";
        break;
      case v1::POLICY_MODE_INVALID:
        reason = "the mode is not enforce, testing or none";
        break;
      case v1::POLICY_MAX_AGE_MISSING:
        reason = "no max_age field";
        break;
      case v1::POLICY_MAX_AGE_INVALID:
        reason = "max_age is not a plain number";
        break;
      case v1::POLICY_MAX_AGE_TOO_LARGE:
        reason = "max_age is above one year";
        break;
      case v1::POLICY_MX_MISSING:
        reason = "no mx patterns";
        break;
      case v1::POLICY_MX_INVALID:
      case v1::POLICY_MX_ULABEL:
      case v1::POLICY_MX_IP_LITERAL:
      case v1::POLICY_MX_WILDCARD_INVALID:
      case v1::POLICY_MX_TRAILING_DOT:
        reason = "an mx pattern is invalid";
        break;
      default:
        break;
    }
  }
  if (problems > 1) {
    absl::StrAppend(&reason, ", and ", problems - 1,
                    problems == 2 ? " more problem" : " more problems");
  }
  return reason;
}

}  // namespace

CheckVerdict JudgePolicyContent(const ParsedPolicy& policy,
                                absl::string_view body, absl::string_view url,
                                v1::PolicyEvidence* evidence) {
  v1::PolicyEvidence scratch;
  if (evidence == nullptr) evidence = &scratch;
  evidence->set_valid(policy.valid);
  evidence->set_mode(policy.mode);
  evidence->set_max_age(policy.max_age >= 0 ? policy.max_age : 0);
  evidence->clear_mx();
  for (const std::string& mx : policy.mx) {
    evidence->add_mx(SanitizeForReport(mx));
  }
  evidence->set_body(BodyForReport(body.substr(0, kMaxPolicyBodyBytes)));

  CheckVerdict verdict;
  verdict.findings = policy.findings;
  v1::Severity worst = v1::SEVERITY_UNSPECIFIED;
  for (v1::Finding& f : verdict.findings) {
    f.set_subject(std::string(url));
    if (f.code() != v1::POLICY_VALID) worst = std::max(worst, f.severity());
  }
  const std::string where = url.empty() ? std::string("The policy")
                                        : absl::StrCat("The policy at ", url);
  if (!policy.valid) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = absl::StrCat(
        where, " is invalid (", ShortReason(policy.findings),
        "), so senders ignore it and, unless they cached an earlier valid "
        "policy, deliver without MTA-STS.");
    return verdict;
  }

  double points = 0;
  const std::string age = SecondsInWords(policy.max_age);
  switch (policy.mode) {
    case v1::POLICY_MODE_ENFORCE: {
      points = kEnforcePoints;
      const bool long_enough = policy.max_age >= kMinEnforceMaxAge;
      if (long_enough) points += kLongMaxAgePoints;
      verdict.summary = absl::StrCat(
          where, " is valid and in mode enforce, with max_age ", age, " and ",
          policy.mx.size(),
          policy.mx.size() == 1 ? " mx pattern" : " mx patterns",
          !long_enough ? ", but a max_age under a day lets senders' cached "
                         "protection lapse quickly."
          : worst >= v1::SEVERITY_LOW ? ", with defects worth fixing."
                                      : ".");
      verdict.status = long_enough && worst < v1::SEVERITY_LOW
                           ? v1::CHECK_STATUS_PASS
                           : v1::CHECK_STATUS_WARN;
      break;
    }
    case v1::POLICY_MODE_TESTING:
      points = kTestingPoints;
      verdict.status = v1::CHECK_STATUS_WARN;
      verdict.summary = absl::StrCat(
          where,
          " is valid and in mode testing: senders report TLS failures "
          "but still deliver without TLS.");
      break;
    default:  // none
      verdict.status = v1::CHECK_STATUS_WARN;
      verdict.summary = absl::StrCat(
          where, " is valid and in mode none, which switches MTA-STS off.");
      break;
  }
  verdict.fraction = points / kPolicyPoints;
  return verdict;
}

CheckVerdict JudgePolicyContent(absl::string_view body, absl::string_view url,
                                v1::PolicyEvidence* evidence) {
  return JudgePolicyContent(ParsePolicy(body), body, url, evidence);
}

}  // namespace mtasts::checks

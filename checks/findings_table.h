// The one table of finding texts: for every FindingCode, its default severity,
// title, explanation and recommendation for a mail administrator, and the
// RFC 8460 result type a sender would report. docs/findings.md is generated
// from it (tools/gen_findings_doc) and a test keeps the two in step. Also the
// small helpers every check uses to build findings: quoting observed values
// into details, and a list that sorts findings most severe first.
#ifndef MTASTS_CHECKS_FINDINGS_TABLE_H_
#define MTASTS_CHECKS_FINDINGS_TABLE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/findings.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {

struct FindingInfo {
  v1::FindingCode code;
  v1::Severity severity;           // default; a check may raise or lower it
  const char* check;               // "txt", "tls_rpt", "engine", "mx", ...
  const char* title;               // one line
  const char* explanation;         // why it matters, plain English
  const char* recommendation;      // what to do; "" when nothing
  const char* tlsrpt_result_type;  // RFC 8460 §4.3 result type, "" when none
};

// Every code except FINDING_CODE_UNSPECIFIED, in enum order.
const std::vector<FindingInfo>& AllFindings();
// The entry for `code`; FINDING_CODE_UNSPECIFIED's placeholder for unknown
// codes.
const FindingInfo& InfoFor(v1::FindingCode code);

// Builds a finding from the table. `detail` says what was observed for this
// domain (values included) and is prefixed to the explanation; `subject` names
// the DNS name or host concerned.
v1::Finding MakeFinding(v1::FindingCode code, std::string detail,
                        std::string subject = "");
// Same, with a severity other than the table's default.
v1::Finding MakeFinding(v1::FindingCode code, v1::Severity severity,
                        std::string detail, std::string subject = "");

// docs/findings.md as it should read.
std::string RenderFindingsMarkdown();

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
// that go into the report as seen (TXT records, names): proto3 strings must
// be valid UTF-8, or clients in other languages fail to parse the report.
std::string SanitizeForReport(absl::string_view text);

// A failed DNS outcome in words for a finding's detail, e.g. "TIMEOUT: no
// name server answered in time".
const char* DnsOutcomeWords(net::DnsOutcome outcome);

// The verdict of a check whose lookup never reached a DNS server of ours
// (DnsOutcome::kUnreachable) or was cancelled: INCONCLUSIVE, with a
// RESOLVER_UNREACHABLE finding in the first case. `what` names the lookup,
// e.g. "TXT lookup of _mta-sts.example.com".
CheckVerdict InconclusiveLookupVerdict(const net::DnsResult& lookup, absl::string_view what);

// Collects the findings of one judgement, all about one subject.
//   FindingList findings("_mta-sts.example.com");
//   findings.Add(v1::TXT_MISSING, "_mta-sts.example.com does not exist");
//   verdict.findings = std::move(findings).Take();
class FindingList {
 public:
  explicit FindingList(std::string subject) : subject_(std::move(subject)) {}

  // Adds MakeFinding(code, [severity,] detail, subject).
  void Add(v1::FindingCode code, std::string detail);
  void Add(v1::FindingCode code, v1::Severity severity, std::string detail);
  // The most severe severity added so far; SEVERITY_UNSPECIFIED when none.
  v1::Severity Worst() const;
  bool Has(v1::FindingCode code) const;
  // The findings, most severe first (stable: equal severities keep their
  // order). Consumes the list.
  std::vector<v1::Finding> Take() &&;

 private:
  std::string subject_;
  std::vector<v1::Finding> findings_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_TABLE_H_

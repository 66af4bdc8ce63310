// Building findings from a finding table.
//
// Every check (and the shared inputs) owns a FindingTable: its rows, in enum
// order, with the heading docs/findings.md shows above them. Findings are made
// from the table of the code's owner, so a check never needs another check's
// texts; the engine's own codes (CHECK_TIMED_OUT, RESOLVER_UNREACHABLE, ...)
// are found through every table.
//
//   const FindingTable& TxtFindings();  // declared in checks/txt/sts_record.h
//   FindingList findings(TxtFindings(), "_mta-sts.example.com");
//   findings.Add(v1::TXT_MISSING, "_mta-sts.example.com does not exist");
//   verdict.findings = std::move(findings).Take();  // most severe first
//
// Pure values; tables are immutable statics, safe from any thread.
#ifndef MTASTS_CHECKS_FINDINGS_FINDING_H_
#define MTASTS_CHECKS_FINDINGS_FINDING_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/findings/finding_info.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {

class FindingTable {
 public:
  // `rows` (a static array, in enum order) outlive the table. constexpr, so
  // that each table file defines its table as a constant beside its rows:
  //   constexpr FindingTable kTable("txt: ...", kRows);
  //   const FindingTable& TxtFindings() { return kTable; }
  constexpr FindingTable(const char* heading, FindingRows rows) : heading_(heading), rows_(rows) {}

  // Heading of this table's section in docs/findings.md.
  const char* heading() const { return heading_; }
  FindingRows rows() const { return rows_; }

  // The row of `code`: this table's, else the engine's; a placeholder row
  // (FINDING_CODE_UNSPECIFIED, "Unknown finding") for any other code.
  const FindingInfo& Info(v1::FindingCode code) const;

  // A finding from the row of `code`. `detail` says what was observed for
  // this domain (values included) and is prefixed to the explanation;
  // `subject` names the DNS name or host concerned.
  v1::Finding Make(v1::FindingCode code, std::string detail, std::string subject = "") const;
  // Same, with a severity other than the row's default.
  v1::Finding Make(v1::FindingCode code, v1::Severity severity, std::string detail,
                   std::string subject = "") const;

 private:
  const FindingInfo* Find(v1::FindingCode code) const;

  const char* heading_;
  FindingRows rows_;
};

// The engine's own codes: a check that timed out, an input a check needed
// failed, the checker's resolver unreachable.
const FindingTable& EngineFindings();

// Most severe first; equal severities keep their order.
void SortMostSevereFirst(std::vector<v1::Finding>& findings);

// Collects the findings of one judgement, all about one subject.
class FindingList {
 public:
  // `table` outlives the list.
  FindingList(const FindingTable& table, std::string subject)
      : table_(&table), subject_(std::move(subject)) {}

  // Adds table.Make(code, [severity,] detail, subject).
  void Add(v1::FindingCode code, std::string detail);
  void Add(v1::FindingCode code, v1::Severity severity, std::string detail);
  // The most severe severity added so far; SEVERITY_UNSPECIFIED when none.
  v1::Severity Worst() const;
  bool Has(v1::FindingCode code) const;
  const FindingTable& table() const { return *table_; }
  // The findings, most severe first (stable). Consumes the list.
  std::vector<v1::Finding> Take() &&;

 private:
  const FindingTable* table_;
  std::string subject_;
  std::vector<v1::Finding> findings_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_FINDING_H_

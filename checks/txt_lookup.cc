#include "checks/txt_lookup.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace mtasts::checks {
namespace {

// Aliases kept from a CNAME chain (the resolver stops far earlier).
constexpr size_t kMaxCnameChain = 16;

}  // namespace

TxtLookupStart StartTxtLookup(const net::DnsResult& lookup,
                              const TxtLookupWording& wording,
                              FindingList& findings) {
  TxtLookupStart start;
  const std::string& name = lookup.name;
  // RFC 1035 §2.3.4 (text form, without the root's trailing dot).
  const size_t octets = absl::EndsWith(name, ".") ? name.size() - 1 : name.size();
  if (octets > 253) {
    findings.Add(wording.name_too_long,
                 absl::StrCat(name, " would be ", octets,
                              " octets, over the 253 a DNS name may have"));
    CheckVerdict verdict;
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = absl::StrCat("The name ", name, " would be ", octets,
                                   " octets, over DNS's limit of 253, so no record can exist "
                                   "there and ",
                                   wording.too_long_consequence, ".");
    verdict.findings = std::move(findings).Take();
    start.verdict = std::move(verdict);
    return start;
  }
  if (lookup.outcome == net::DnsOutcome::kCancelled ||
      net::IsOwnResolverFailure(lookup.outcome)) {
    start.verdict =
        InconclusiveLookupVerdict(lookup, absl::StrCat("TXT lookup of ", name));
    return start;
  }

  std::vector<std::string>& chain = start.cname_chain;
  for (size_t i = 0; i < lookup.cname_chain.size() && i < kMaxCnameChain; ++i) {
    chain.push_back(SanitizeForReport(lookup.cname_chain[i]));
  }
  const std::string chain_text =
      chain.empty() ? ""
                    : absl::StrCat(name, " -> ", absl::StrJoin(chain, " -> "));
  if (!chain.empty()) {
    std::string detail = absl::StrCat(name, " is an alias, followed as ",
                                      wording.follower, " do: ", chain_text);
    if (!wording.cname_note.empty()) {
      absl::StrAppend(&detail, " (", wording.cname_note, ")");
    }
    findings.Add(wording.cname_followed, std::move(detail));
  }

  CheckVerdict verdict;
  switch (lookup.outcome) {
    case net::DnsOutcome::kAnswer:
      if (!lookup.txt.empty()) return start;
      [[fallthrough]];
    case net::DnsOutcome::kNoData:
    case net::DnsOutcome::kNxDomain: {
      const bool nx = lookup.outcome == net::DnsOutcome::kNxDomain;
      const std::string where =
          chain.empty() ? name
                        : absl::StrCat(name, " (through ", chain_text, ")");
      findings.Add(
          wording.missing,
          nx ? absl::StrCat(where, " does not exist (NXDOMAIN)")
             : absl::StrCat(where, " exists but has no TXT record (NODATA)"));
      verdict.summary = absl::StrCat("No TXT record at ", name, " (",
                                     nx ? "NXDOMAIN" : "NODATA", "), so ",
                                     wording.missing_consequence, ".");
      break;
    }
    default: {
      std::string detail =
          absl::StrCat("The TXT lookup of ", name, " failed with ",
                       DnsOutcomeWords(lookup.outcome));
      if (!lookup.detail.empty()) {
        absl::StrAppend(&detail, " (", QuoteForDetail(lookup.detail), ")");
      }
      findings.Add(wording.lookup_failed, std::move(detail));
      verdict.summary = absl::StrCat(
          "The TXT lookup of ", name, " failed (",
          net::DnsOutcomeName(lookup.outcome), "), so ",
          wording.failed_consequence, ".");
      break;
    }
  }
  verdict.status = v1::CHECK_STATUS_FAIL;
  verdict.fraction = 0;
  verdict.findings = std::move(findings).Take();
  start.verdict = std::move(verdict);
  return start;
}

}  // namespace mtasts::checks

// Judging the _mta-sts.<domain> TXT lookup as a sending MTA does (RFC 8461
// §3.1). Pure: no I/O, no clock, deterministic, safe on hostile input.
//
//   net::DnsResult r;  // from the resolver: "_mta-sts.example.com", TXT
//   r.outcome = net::DnsOutcome::kAnswer;
//   r.txt = {"v=spf1 -all", "v=STSv1; id=20160831085700Z;"};
//   CheckVerdict v = JudgeStsLookup(r, &evidence);
//   // v.status == PASS, evidence.sts_id() == "20160831085700Z", findings:
//   // TXT_VALID and TXT_IGNORED_RECORD (the SPF record).
//
// What it decides, to the letter of §3.1 (and docs/design.md §6.3):
//  - NXDOMAIN / NODATA: TXT_MISSING. SERVFAIL / REFUSED / TIMEOUT / ERROR:
//    TXT_LOOKUP_FAILED, a different thing (senders cannot tell). Both FAIL.
//  - Records not beginning with the case-sensitive "v=STSv1" are ignored, as
//    senders ignore them; near misses ("V=STSv1", "v = STSv1", v=STSv1 later
//    in the record) are named as such. None left: TXT_MISSING; more than one:
//    TXT_MULTIPLE_RECORDS (no policy).
//  - The one record is parsed with the §3.1 ABNF: fields separated by
//    *WSP ";" *WSP, no whitespace around "=", id of 1-32 letters and digits,
//    extension names and values as the grammar says, printable ASCII only.
//    A repeated id keeps its first value (WARN, not FAIL).
//  - PASS (fraction 1) for a valid record with nothing to fix, WARN (0.75 or
//    0.5) for a valid record with defects some senders trip over, FAIL (0)
//    otherwise, INCONCLUSIVE for a cancelled lookup.
#ifndef MTASTS_CHECKS_TXT_STS_RECORD_H_
#define MTASTS_CHECKS_TXT_STS_RECORD_H_

#include <cstddef>

#include "checks/common/tag_value_record.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the txt check's codes (TXT_*), in txt_findings.cc.
const FindingTable& TxtFindings();

// Bounds on work for hostile answers. The resolver caps TXT answers already
// (Limits.max_txt_record_bytes and max_txt_records); these hold regardless.
// A v=STSv1 record longer than this is judged invalid without being parsed
// (a real one is a few dozen bytes); evidence keeps at most this much of any
// record.
inline constexpr size_t kMaxStsRecordBytes = 8192;
// Records examined one by one and kept in the evidence; further records only
// count towards "how many begin with v=STSv1".
inline constexpr size_t kMaxStsRecordsExamined = 64;

// The v=STSv1 record's words, bounds and codes for the tag-value parser
// shared with the tls_rpt check (checks/common/tag_value_record.h).
extern const TagValueGrammar kStsGrammar;

// Judges the TXT lookup of _mta-sts.<domain> (`lookup.name` is used as the
// findings' subject). Fills evidence->sts_records (each record as joined,
// bounded as above), sts_id (the valid record's id only) and sts_cname_chain,
// replacing what was there; `evidence` may be null. Findings come most
// severe first; the summary is one sentence.
CheckVerdict JudgeStsLookup(const net::DnsResult& lookup,
                            v1::Evidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TXT_STS_RECORD_H_

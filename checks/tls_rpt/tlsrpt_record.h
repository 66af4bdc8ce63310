// Judging the _smtp._tls.<domain> TXT lookup as a reporting MTA does (RFC 8460
// §3). Pure: no I/O, no clock, deterministic, safe on hostile input.
//
//   net::DnsResult r;  // from the resolver: "_smtp._tls.example.com", TXT
//   r.outcome = net::DnsOutcome::kAnswer;
//   r.txt = {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com,tlsrpt@example.net"};
//   CheckVerdict v = JudgeTlsRptLookup(r, &evidence);
//   // v.status == WARN: reporters use mailto:tlsrpt@example.com and skip
//   // "tlsrpt@example.net" (TLSRPT_RUA_NO_SCHEME); evidence.rua() holds the
//   // one usable URI and evidence.valid() is true.
//
// What it decides, to the letter of §3 (and docs/design.md §6.8):
//  - NXDOMAIN / NODATA: TLSRPT_MISSING. SERVFAIL / REFUSED / TIMEOUT /
//    ERROR: TLSRPT_LOOKUP_FAILED. Both FAIL.
//  - Records not beginning with the case-sensitive "v=TLSRPTv1" are ignored;
//    "V=TLSRPTv1" and friends are named (TLSRPT_VERSION_MISCASED). None left:
//    TLSRPT_MISSING; two or more: TLSRPT_MULTIPLE_RECORDS (no reporting).
//  - The one record is parsed with the §3 ABNF. rua = %s"rua=" tlsrpt-uri
//    *(*WSP "," *WSP tlsrpt-uri); repeated rua fields are merged. Each URI
//    must be an RFC 3986 URI with "," "!" ";" percent-encoded, of scheme
//    mailto: (an addr-spec with a domain) or https: (with a host).
//  - PASS: valid with nothing to fix. WARN: usable (at least one good URI)
//    but with URIs reporters skip or other defects. FAIL: no usable record.
//    INCONCLUSIVE: the lookup was cancelled.
#ifndef MTASTS_CHECKS_TLS_RPT_TLSRPT_RECORD_H_
#define MTASTS_CHECKS_TLS_RPT_TLSRPT_RECORD_H_

#include <cstddef>

#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the tls_rpt check's codes (TLSRPT_*), in tls_rpt_findings.cc.
const FindingTable& TlsRptFindings();

// Bounds on work for hostile answers (the resolver caps answers already).
// A v=TLSRPTv1 record longer than this is judged invalid without being parsed;
// evidence keeps at most this much of any record.
inline constexpr size_t kMaxTlsRptRecordBytes = 8192;
// Records examined one by one and kept in the evidence; further records only
// count towards "how many begin with v=TLSRPTv1".
inline constexpr size_t kMaxTlsRptRecordsExamined = 64;
// rua URIs judged per record; further ones are reported, not judged.
inline constexpr size_t kMaxTlsRptUris = 32;

// Judges the TXT lookup of _smtp._tls.<domain> (`lookup.name` is used as the
// findings' subject). Replaces *evidence: valid (a usable record with at
// least one valid URI), rua (the valid URIs of every rua field, in order,
// duplicates dropped) and records (each record as joined, bounded as
// above); `evidence` may be null. Findings come most severe first; the
// summary is one sentence.
CheckVerdict JudgeTlsRptLookup(const net::DnsResult& lookup,
                               v1::TlsRptEvidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_TLSRPT_RECORD_H_

#include "checks/tls_rpt/tlsrpt_record.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/txt_judge_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {
namespace {

using net::DnsOutcome;
using test_util::FindingWith;
using test_util::Txt;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kName[] = "_smtp._tls.example.com";

// expected: the evidence's rua (valid, merged).
using TlsRptCase = test_util::TxtCase<std::vector<std::string>>;

constexpr char kMailA[] = "mailto:a@example.com";
constexpr char kHttps[] = "https://r.example.com/v1/tlsrpt";

std::string ManyUris(int n) {
  std::vector<std::string> uris;
  for (int i = 0; i < n; ++i)
    uris.push_back(absl::StrCat("mailto:r", i, "@example.com"));
  return "v=TLSRPTv1; rua=" + absl::StrJoin(uris, ",");
}
std::vector<std::string> ManyUriList(int n) {
  std::vector<std::string> uris;
  for (int i = 0; i < n; ++i)
    uris.push_back(absl::StrCat("mailto:r", i, "@example.com"));
  return uris;
}

const TlsRptCase kCases[] = {
    // --- RFC 8460 §3 examples and plain valid records ---
    {"RfcExampleMailto",
     {"v=TLSRPTv1;rua=mailto:reports@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"mailto:reports@example.com"}},
    {"RfcExampleHttps",
     {"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"https://reporting.example.com/v1/tlsrpt"}},
    {"TwoUris",
     {"v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/v1/tlsrpt"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {kMailA, kHttps}},
    {"SpacesAroundComma",
     {"v=TLSRPTv1; rua=mailto:a@example.com \t,  "
      "https://r.example.com/v1/tlsrpt"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {kMailA, kHttps}},
    {"TrailingSemicolon",
     {"v=TLSRPTv1; rua=mailto:a@example.com;"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {kMailA}},
    {"HttpsWithPortQueryFragment",
     {"v=TLSRPTv1; rua=https://r.example.com:8443/v1?x=y&z=%2C#f"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"https://r.example.com:8443/v1?x=y&z=%2C#f"}},
    // Valid URIs that cannot work from the public internet: a warning, and
    // they still count as destinations (issue: valid, not invalid).
    {"HttpsIpv6Literal",
     {"v=TLSRPTv1; rua=https://[2001:db8::1]/r"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NOT_PUBLIC},
     {"https://[2001:db8::1]/r"}},
    {"HttpsIpv4Literal",
     {"v=TLSRPTv1; rua=https://192.0.2.7/r"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NOT_PUBLIC},
     {"https://192.0.2.7/r"}},
    {"HttpsSingleLabelHost",
     {"v=TLSRPTv1; rua=https://reports/v1"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NOT_PUBLIC},
     {"https://reports/v1"}},
    {"MailtoAddressLiteral",
     {"v=TLSRPTv1; rua=mailto:a@%5B192.0.2.1%5D"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NOT_PUBLIC},
     {"mailto:a@%5B192.0.2.1%5D"}},
    {"HttpsEmptyPort",  // RFC 3986 §3.2.3: "host:" is valid
     {"v=TLSRPTv1; rua=https://r.example.com:/v1"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"https://r.example.com:/v1"}},
    {"MailtoTwoEncodedAddresses",  // RFC 6068 "%2C" between addr-specs
     {"v=TLSRPTv1; rua=mailto:a@example.com%2Cb@example.org"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"mailto:a@example.com%2Cb@example.org"}},
    {"MailtoQuotedLocalPart",  // RFC 5322 quoted-string, encoded per RFC 6068
     {"v=TLSRPTv1; rua=mailto:%22tls%20reports%22@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"mailto:%22tls%20reports%22@example.com"}},
    {"HttpsUserinfo",
     {"v=TLSRPTv1; rua=https://u:p@r.example.com/"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"https://u:p@r.example.com/"}},
    {"MailtoWithHeaders",
     {"v=TLSRPTv1; rua=mailto:a@example.com?subject=tls"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"mailto:a@example.com?subject=tls"}},
    {"SchemeUpperCase",
     {"v=TLSRPTv1; rua=MAILTO:a@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"MAILTO:a@example.com"}},
    {"EncodedCommaAndBang",
     {"v=TLSRPTv1; rua=https://r.example.com/a%2Cb%21c"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"https://r.example.com/a%2Cb%21c"}},
    {"MultiStringRecordJoinedWithoutSpaces",
     {test_util::Strings({"v=TLSRPTv1; rua=mailto:tls", "rpt@example.com"})},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID},
     {"mailto:tlsrpt@example.com"}},

    // --- Other records beside it ---
    {"SpfBesideTlsRptRecord",
     {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID, v1::TLSRPT_IGNORED_RECORD},
     {kMailA}},
    {"OnlyUnrelatedRecord",
     {"v=DMARC1; p=none"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_IGNORED_RECORD, v1::TLSRPT_MISSING},
     {}},
    {"TwoTlsRptRecords",
     {"v=TLSRPTv1; rua=mailto:a@example.com",
      "v=TLSRPTv1; rua=mailto:b@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_MULTIPLE_RECORDS},
     {}},

    // --- Version ---
    {"VersionCapitalV",
     {"V=TLSRPTv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_VERSION_MISCASED, v1::TLSRPT_MISSING},
     {}},
    {"VersionLowerCase",
     {"v=tlsrptv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_VERSION_MISCASED, v1::TLSRPT_MISSING},
     {}},
    {"MiscasedBesideValid",
     {"v=TLSRPTv1; rua=mailto:a@example.com",
      "v=TLSRPTV1; rua=mailto:b@example.com"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_VERSION_MISCASED},
     {kMailA}},
    {"VersionNotFirst",
     {"rua=mailto:a@example.com; v=TLSRPTv1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_IGNORED_RECORD, v1::TLSRPT_MISSING},
     {}},
    {"VersionSpacedEquals",
     {"v = TLSRPTv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_IGNORED_RECORD, v1::TLSRPT_MISSING},
     {}},
    // RFC 8460 §3: "Records that do not begin with "v=TLSRPTv1;" are
    // discarded" — before counting, so another version is no record at all,
    // and neither is v=TLSRPTv1 without its ";" right after it.
    {"SpaceBeforeFirstSemicolon",
     {"v=TLSRPTv1 ; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_MISSING, v1::TLSRPT_VERSION_SPACE_BEFORE_SEMICOLON},
     {}},
    {"VersionOnly",
     {"v=TLSRPTv1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_MISSING, v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"VersionTwo",
     {"v=TLSRPTv10; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_IGNORED_RECORD, v1::TLSRPT_MISSING},
     {}},
    {"VersionTwoBesideVersionOneIsNotCounted",
     {"v=TLSRPTv10; rua=mailto:b@example.com", "v=TLSRPTv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID, v1::TLSRPT_IGNORED_RECORD},
     {kMailA}},

    // --- rua presence ---
    {"RuaMissing",
     {"v=TLSRPTv1; ruf=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_UNKNOWN_FIELD, v1::TLSRPT_RUA_MISSING},
     {}},
    {"RuaUpperCase",
     {"v=TLSRPTv1; RUA=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_UNKNOWN_FIELD, v1::TLSRPT_RUA_MISSING},
     {}},
    {"RuaEmpty",
     {"v=TLSRPTv1; rua="},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_EMPTY},
     {}},
    {"RuaEmptyBesideGoodRua",
     {"v=TLSRPTv1; rua=; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_EMPTY, v1::TLSRPT_RUA_REPEATED},
     {kMailA}},
    {"RuaRepeatedIsMerged",
     {"v=TLSRPTv1; rua=mailto:a@example.com; "
      "rua=https://r.example.com/v1/tlsrpt"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_REPEATED},
     {kMailA, kHttps}},
    {"SpaceAroundEquals",
     {"v=TLSRPTv1; rua = mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},

    // --- Schemes ---
    {"RuaWithoutScheme",
     {"v=TLSRPTv1; rua=tlsrpt@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_NO_SCHEME},
     {}},
    {"SecondRuaWithoutScheme",
     {"v=TLSRPTv1; rua=mailto:a@example.com,b@example.com"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NO_SCHEME},
     {kMailA}},
    {"BareHostName",
     {"v=TLSRPTv1; rua=reports.example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_NO_SCHEME},
     {}},
    {"HttpScheme",
     {"v=TLSRPTv1; rua=http://r.example.com/v1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_UNSUPPORTED_SCHEME},
     {}},
    {"HttpBesideHttps",
     {"v=TLSRPTv1; "
      "rua=http://r.example.com/v1,https://r.example.com/v1/tlsrpt"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_UNSUPPORTED_SCHEME},
     {kHttps}},
    {"FtpScheme",
     {"v=TLSRPTv1; rua=ftp://r.example.com/"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_UNSUPPORTED_SCHEME},
     {}},

    // --- URI syntax ---
    {"UnencodedCommaInHttpsUri",
     {"v=TLSRPTv1; rua=https://r.example.com/report?a=1,2"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_INVALID_URI},
     {"https://r.example.com/report?a=1"}},
    {"UnencodedCommaInMailtoUri",
     {"v=TLSRPTv1; rua=mailto:a@example.com,b"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_INVALID_URI},
     {kMailA}},
    {"UnencodedBang",
     {"v=TLSRPTv1; rua=mailto:a@example.com!10m"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"UnencodedSemicolon",
     {"v=TLSRPTv1; rua=https://r.example.com/a;b"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"SpaceInsteadOfComma",
     {"v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"TrailingComma",
     {"v=TLSRPTv1; rua=mailto:a@example.com,"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_INVALID_URI},
     {kMailA}},
    {"BadPercentEncoding",
     {"v=TLSRPTv1; rua=https://r.example.com/%zz"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"TruncatedPercentEncoding",
     {"v=TLSRPTv1; rua=https://r.example.com/%2"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"QuoteInUri",
     {"v=TLSRPTv1; rua=mailto:\"a\"@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoWithoutDomain",
     {"v=TLSRPTv1; rua=mailto:tlsrpt@"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoWithoutAt",
     {"v=TLSRPTv1; rua=mailto:tlsrpt"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoWithoutLocalPart",
     {"v=TLSRPTv1; rua=mailto:@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoEmpty",
     {"v=TLSRPTv1; rua=mailto:"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoSingleLabelDomain",
     {"v=TLSRPTv1; rua=mailto:a@localhost"},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_NOT_PUBLIC},
     {"mailto:a@localhost"}},
    // RFC 5322 §3.4.1 dot-atom-text: no empty atom.
    {"MailtoDoubleDotLocalPart",
     {"v=TLSRPTv1; rua=mailto:a..b@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoLeadingDotLocalPart",
     {"v=TLSRPTv1; rua=mailto:.a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoTrailingDotLocalPart",
     {"v=TLSRPTv1; rua=mailto:a.@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoSecondAddressInvalid",
     {"v=TLSRPTv1; rua=mailto:a@example.com%2Cb..c@example.org"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoUnclosedQuote",
     {"v=TLSRPTv1; rua=mailto:%22a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoWithAuthority",
     {"v=TLSRPTv1; rua=mailto://a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoUnencodedAddressLiteral",  // "[" is not allowed in a path
     {"v=TLSRPTv1; rua=mailto:a@[192.0.2.1]"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    // RFC 3986 as a whole (uriparser).
    {"HttpsMalformedIpv6Literal",
     {"v=TLSRPTv1; rua=https://[2001:db8::zz]/r"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsUnclosedIpv6Literal",
     {"v=TLSRPTv1; rua=https://[2001:db8::1/r"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsTwoFragments",
     {"v=TLSRPTv1; rua=https://r.example.com/v1#a#b"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsPortZero",
     {"v=TLSRPTv1; rua=https://r.example.com:0/v1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsPortTooLarge",
     {"v=TLSRPTv1; rua=https://r.example.com:65536/v1"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"MailtoBadDomainLabel",
     {"v=TLSRPTv1; rua=mailto:a@-bad.example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsWithoutHost",
     {"v=TLSRPTv1; rua=https:///v1/tlsrpt"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsWithoutSlashes",
     {"v=TLSRPTv1; rua=https:r.example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"HttpsBadPort",
     {"v=TLSRPTv1; rua=https://r.example.com:x443/"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_RUA_INVALID_URI},
     {}},
    {"DuplicateUri",
     {"v=TLSRPTv1; rua=mailto:a@example.com,mailto:a@example.com"},
     v1::CHECK_STATUS_PASS,  // a second copy of a report costs nothing
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_DUPLICATE_URI},
     {kMailA}},
    {"DuplicateUriAcrossRepeatedRua",
     {"v=TLSRPTv1; rua=mailto:a@example.com; rua=MAILTO:a@example.com"},
     v1::CHECK_STATUS_PASS,  // a second copy of a report costs nothing
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_DUPLICATE_URI, v1::TLSRPT_RUA_REPEATED},
     {kMailA}},
    {"UrisBeyondCapAreNotJudged",
     {Txt(ManyUris(40))},
     v1::CHECK_STATUS_WARN,
     {v1::TLSRPT_VALID, v1::TLSRPT_RUA_INVALID_URI},
     ManyUriList(32)},

    // --- Other fields and characters ---
    {"ExtensionField",
     {"v=TLSRPTv1; rua=mailto:a@example.com; ext.1=x:y"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID, v1::TLSRPT_UNKNOWN_FIELD},
     {kMailA}},
    {"ExtensionEmptyValue",
     {"v=TLSRPTv1; rua=mailto:a@example.com; ext="},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"EmptyField",
     {"v=TLSRPTv1;; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"FieldWithoutEquals",
     {"v=TLSRPTv1; rua=mailto:a@example.com; junk"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"TrailingWhitespace",
     {"v=TLSRPTv1; rua=mailto:a@example.com "},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"NonAscii",
     {"v=TLSRPTv1; rua=mailto:t@ex\xc3\xa4mple.com"},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},
    {"OversizedRecord",
     {Txt("v=TLSRPTv1; rua=mailto:a@example.com; x=" +
          std::string(kMaxTlsRptRecordBytes, 'a'))},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_SYNTAX_ERROR},
     {}},

    // --- DNS outcomes ---
    {"NxDomain",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_MISSING},
     {},
     DnsOutcome::kNxDomain},
    {"NoData",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_MISSING},
     {},
     DnsOutcome::kNoData},
    {"ServFail",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_LOOKUP_FAILED},
     {},
     DnsOutcome::kServFail},
    {"Refused",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_LOOKUP_FAILED},
     {},
     DnsOutcome::kRefused},
    {"Timeout",
     {},
     v1::CHECK_STATUS_FAIL,
     {v1::TLSRPT_LOOKUP_FAILED},
     {},
     DnsOutcome::kTimeout},
    {"Cancelled",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {},
     {},
     DnsOutcome::kCancelled},
    {"ResolverUnreachable",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {v1::RESOLVER_UNREACHABLE},
     {},
     DnsOutcome::kUnreachable},
    {"ResolverOverloaded",
     {},
     v1::CHECK_STATUS_INCONCLUSIVE,
     {v1::RESOLVER_OVERLOADED},
     {},
     DnsOutcome::kResolverOverloaded},
    {"CnameToProvider",
     {"v=TLSRPTv1; rua=mailto:a@example.com"},
     v1::CHECK_STATUS_PASS,
     {v1::TLSRPT_VALID, v1::TLSRPT_CNAME_FOLLOWED},
     {kMailA},
     DnsOutcome::kAnswer,
     {"_smtp._tls.provider.example"}},
};

class TlsRptRecordTest : public ::testing::TestWithParam<TlsRptCase> {};

TEST_P(TlsRptRecordTest, Judges) {
  const TlsRptCase& c = GetParam();
  const net::DnsResult lookup = c.Lookup(kName);
  v1::TlsRptEvidence evidence;
  // Stale values are replaced.
  evidence.set_valid(true);
  evidence.add_rua("mailto:stale@example.com");
  evidence.add_records("stale");

  const CheckVerdict verdict = JudgeTlsRptLookup(lookup, &evidence);

  test_util::ExpectCaseVerdict(c, verdict, kName);
  EXPECT_EQ(
      std::vector<std::string>(evidence.rua().begin(), evidence.rua().end()),
      c.expected)
      << test_util::Describe(verdict);
  const bool usable =
      c.status == v1::CHECK_STATUS_PASS || c.status == v1::CHECK_STATUS_WARN;
  EXPECT_EQ(evidence.valid(), usable);

  test_util::ExpectRecordsKept(c.records, c.outcome, evidence.records(),
                               kMaxTlsRptRecordsExamined, kMaxTlsRptRecordBytes);
}

INSTANTIATE_TEST_SUITE_P(Rfc8460, TlsRptRecordTest, ::testing::ValuesIn(kCases),
                         test_util::CaseName());

// --- What the details and summaries say ---

CheckVerdict Judge(const std::vector<Txt>& records,
                   DnsOutcome outcome = DnsOutcome::kAnswer) {
  return JudgeTlsRptLookup(test_util::MakeTxtLookup(kName, outcome, records),
                           nullptr);
}

TEST(TlsRptRecordDetailTest, WarnSummarySaysWhichUrisReportersSkip) {
  CheckVerdict v =
      Judge({"v=TLSRPTv1; rua=mailto:a@example.com,tlsrpt@example.net"});
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_THAT(v.summary,
              AllOf(HasSubstr("reports go to mailto:a@example.com"),
                    HasSubstr("reporters skip \"tlsrpt@example.net\"")));
  EXPECT_THAT(FindingWith(v, v1::TLSRPT_RUA_NO_SCHEME).detail(),
              HasSubstr("without \"mailto:\""));
  EXPECT_EQ(FindingWith(v, v1::TLSRPT_RUA_NO_SCHEME).severity(),
            v1::SEVERITY_HIGH);
}

TEST(TlsRptRecordDetailTest, FailSummaryListsSkippedUris) {
  CheckVerdict v = Judge({"v=TLSRPTv1; rua=tlsrpt@example.com"});
  EXPECT_THAT(v.summary, HasSubstr("reporters skip \"tlsrpt@example.com\""));
}

TEST(TlsRptRecordDetailTest, UnencodedCommaIsNamed) {
  CheckVerdict v =
      Judge({"v=TLSRPTv1; rua=https://r.example.com/report?a=1,2"});
  EXPECT_THAT(FindingWith(v, v1::TLSRPT_RUA_INVALID_URI).detail(),
              AllOf(HasSubstr("\"2\""), HasSubstr("unencoded \",\""),
                    HasSubstr("%2C")));
}

TEST(TlsRptRecordDetailTest, UnencodedBangIsNamed) {
  CheckVerdict v = Judge({"v=TLSRPTv1; rua=mailto:a@example.com!10m"});
  EXPECT_THAT(FindingWith(v, v1::TLSRPT_RUA_INVALID_URI).detail(),
              AllOf(HasSubstr("unencoded \"!\""), HasSubstr("%21")));
}

TEST(TlsRptRecordDetailTest, HttpIsCalledOut) {
  CheckVerdict v = Judge({"v=TLSRPTv1; rua=http://r.example.com/"});
  EXPECT_THAT(FindingWith(v, v1::TLSRPT_RUA_UNSUPPORTED_SCHEME).detail(),
              HasSubstr("only posted over https:"));
}

TEST(TlsRptRecordDetailTest, AbsenceAndFailureAreDistinct) {
  CheckVerdict nx = Judge({}, DnsOutcome::kNxDomain);
  CheckVerdict timeout = Judge({}, DnsOutcome::kTimeout);
  EXPECT_THAT(nx.summary, HasSubstr("NXDOMAIN"));
  EXPECT_THAT(timeout.summary, HasSubstr("TIMEOUT"));
  EXPECT_THAT(FindingWith(timeout, v1::TLSRPT_LOOKUP_FAILED).detail(),
              HasSubstr("no name server answered in time"));
}

TEST(TlsRptRecordDetailTest, NearMissSeverityDependsOnValidRecord) {
  CheckVerdict alone = Judge({"rua=mailto:a@example.com; v=TLSRPTv1"});
  EXPECT_EQ(FindingWith(alone, v1::TLSRPT_IGNORED_RECORD).severity(),
            v1::SEVERITY_HIGH);
  CheckVerdict spf =
      Judge({"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"});
  EXPECT_EQ(FindingWith(spf, v1::TLSRPT_IGNORED_RECORD).severity(),
            v1::SEVERITY_INFO);
  EXPECT_EQ(spf.status, v1::CHECK_STATUS_PASS);
}

TEST(TlsRptRecordDetailTest, RepeatedRuaMergesInOrder) {
  net::DnsResult lookup;
  lookup.name = kName;
  lookup.type = net::RrType::kTxt;
  lookup.outcome = DnsOutcome::kAnswer;
  lookup.txt = {
      "v=TLSRPTv1; rua=mailto:b@example.com; ext=1; "
      "rua=https://r.example.com/x,mailto:a@example.com;"};
  v1::TlsRptEvidence evidence;
  CheckVerdict v = JudgeTlsRptLookup(lookup, &evidence);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_THAT(evidence.rua(), ::testing::ElementsAre("mailto:b@example.com",
                                                     "https://r.example.com/x",
                                                     "mailto:a@example.com"));
  EXPECT_THAT(FindingWith(v, v1::TLSRPT_RUA_REPEATED).detail(),
              HasSubstr("2 rua fields"));
}


TEST(NameTooLongTest, OverlongNameIsItsOwnFinding) {
  test_util::ExpectOverlongNameIsItsOwnFinding(
      "_smtp._tls.", [](const net::DnsResult& r) { return JudgeTlsRptLookup(r, nullptr); },
      v1::TLSRPT_NAME_TOO_LONG);
}

}  // namespace
}  // namespace mtasts::checks

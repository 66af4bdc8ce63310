#include "net/dns_resolver_reply.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/dns_answer.h"

namespace mtasts::net {
namespace {

ReplyVerdict Finish(DnsOutcome outcome, std::string detail = "") {
  return ReplyVerdict{ReplyStep::kFinish, outcome, std::move(detail)};
}

// Follows CNAMEs in `rrs` from *end (in place), adding targets to the chain.
absl::Status FollowChain(const ReplyLimits& limits, const std::vector<AnswerRr>& rrs,
                         LookupProgress* progress, std::string* end) {
  DnsResult& r = progress->result;
  for (;;) {
    auto cname = std::find_if(rrs.begin(), rrs.end(), [&](const AnswerRr& rr) {
      return rr.type == ns_t_cname && rr.owner == *end;
    });
    if (cname == rrs.end()) return absl::OkStatus();
    progress->min_ttl = std::min(progress->min_ttl, cname->ttl);
    if (!progress->seen.insert(cname->target).second) {
      return absl::DataLossError(absl::StrCat(
          "CNAME loop: ", absl::StrJoin(r.cname_chain, " -> "),
          r.cname_chain.empty() ? "" : " -> ", cname->target, " (from ", r.name, ")"));
    }
    r.cname_chain.push_back(cname->target);
    if (static_cast<int>(r.cname_chain.size()) > limits.max_cname_depth) {
      return absl::DataLossError(absl::StrCat("CNAME chain longer than ", limits.max_cname_depth));
    }
    *end = cname->target;
  }
}

// Fills the asked type's field from c-ares' parsers, applying the bounds.
// `count` is the number of records of the type the walker saw. (c-ares' MX
// and TXT parsers take every record of the type in the answer section, as
// stub resolvers do; servers put only the chain's records there.)
absl::Status ParseRecords(const ReplyLimits& limits, const unsigned char* abuf, int alen,
                          int count, DnsResult* result) {
  DnsResult& r = *result;
  const size_t max_records = static_cast<size_t>(limits.max_records);
  size_t total = 0;  // records found, before max_records
  switch (r.type) {
    case RrType::kA: {
      std::vector<ares_addrttl> addrs(count);
      int n = count;
      const int status = ares_parse_a_reply(abuf, alen, nullptr, addrs.data(), &n);
      if (status == ARES_ENODATA) return absl::OkStatus();
      if (status != ARES_SUCCESS) {
        return absl::DataLossError(absl::StrCat("bad A answer: ", ares_strerror(status)));
      }
      total = static_cast<size_t>(n);
      for (int i = 0; i < n && r.addresses.size() < max_records; ++i) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addrs[i].ipaddr, text, sizeof(text));
        r.addresses.emplace_back(text);
      }
      break;
    }
    case RrType::kAaaa: {
      std::vector<ares_addr6ttl> addrs(count);
      int n = count;
      const int status = ares_parse_aaaa_reply(abuf, alen, nullptr, addrs.data(), &n);
      if (status == ARES_ENODATA) return absl::OkStatus();
      if (status != ARES_SUCCESS) {
        return absl::DataLossError(absl::StrCat("bad AAAA answer: ", ares_strerror(status)));
      }
      total = static_cast<size_t>(n);
      for (int i = 0; i < n && r.addresses.size() < max_records; ++i) {
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &addrs[i].ip6addr, text, sizeof(text));
        r.addresses.emplace_back(text);
      }
      break;
    }
    case RrType::kMx: {
      ares_mx_reply* head = nullptr;
      const int status = ares_parse_mx_reply(abuf, alen, &head);
      if (status != ARES_SUCCESS) {
        if (head != nullptr) ares_free_data(head);
        return absl::DataLossError(absl::StrCat("bad MX answer: ", ares_strerror(status)));
      }
      for (ares_mx_reply* mx = head; mx != nullptr; mx = mx->next) {
        ++total;
        if (r.mx.size() >= max_records) continue;
        // RFC 7505: the null MX "0 ." expands to "" and stays "".
        r.mx.push_back(MxRecord{mx->priority, NormalizeName(mx->host)});
      }
      ares_free_data(head);
      break;
    }
    case RrType::kTxt: {
      ares_txt_ext* head = nullptr;
      const int status = ares_parse_txt_reply_ext(abuf, alen, &head);
      if (status != ARES_SUCCESS) {
        if (head != nullptr) ares_free_data(head);
        return absl::DataLossError(absl::StrCat("bad TXT answer: ", ares_strerror(status)));
      }
      // c-ares gives one node per character-string; record_start marks the
      // first string of each record. RFC 7208 §3.3 / RFC 8461 §3.1: a
      // record's strings are joined without separators.
      std::vector<std::string> records;
      for (ares_txt_ext* t = head; t != nullptr; t = t->next) {
        if (t->record_start || records.empty()) records.emplace_back();
        records.back().append(reinterpret_cast<const char*>(t->txt), t->length);
      }
      ares_free_data(head);
      int too_long = 0;
      for (std::string& record : records) {
        if (record.size() > static_cast<size_t>(limits.max_txt_record_bytes)) {
          ++too_long;
          continue;
        }
        ++total;
        if (r.txt.size() < max_records) r.txt.push_back(std::move(record));
      }
      if (too_long > 0) {
        AddDetail(&r, absl::StrCat("dropped ", too_long, " TXT record(s) longer than ",
                                   limits.max_txt_record_bytes, " bytes"));
      }
      break;
    }
    case RrType::kCname:
      break;  // handled by ReadAnswer
  }
  if (total > max_records) {
    AddDetail(&r, absl::StrCat("kept the first ", max_records, " of ", total,
                               " records (max_records)"));
  }
  return absl::OkStatus();
}

// A NOERROR answer with records: the chain from `current`, then the records
// at its end.
ReplyVerdict ReadAnswer(const unsigned char* abuf, int alen, const ReplyLimits& limits,
                        LookupProgress* progress) {
  absl::StatusOr<std::vector<AnswerRr>> rrs = WalkAnswer(abuf, alen);
  if (!rrs.ok()) {
    return Finish(DnsOutcome::kError,
                  absl::StrCat("malformed DNS answer: ", rrs.status().message()));
  }
  const RrType type = progress->result.type;
  const int wire_type = AresType(type);
  std::string end = progress->current;
  if (type == RrType::kCname) {
    // Asked for the CNAME itself: it is the answer, not something to chase.
    for (const AnswerRr& rr : *rrs) {
      if (rr.type == ns_t_cname && rr.owner == end) {
        progress->result.cname_chain.push_back(rr.target);
        progress->min_ttl = std::min(progress->min_ttl, rr.ttl);
        return Finish(DnsOutcome::kAnswer);
      }
    }
    return Finish(DnsOutcome::kNoData);
  }
  absl::Status chain = FollowChain(limits, *rrs, progress, &end);
  if (!chain.ok()) return Finish(DnsOutcome::kError, std::string(chain.message()));
  int count = 0;
  uint32_t min_ttl = progress->min_ttl;
  for (const AnswerRr& rr : *rrs) {
    if (rr.type == wire_type && rr.owner == end) {
      ++count;
      min_ttl = std::min(min_ttl, rr.ttl);
    }
  }
  if (count == 0) {
    if (end != progress->current) {
      // The server gave the alias but not the target's records (an
      // authoritative server outside the target's zone does, RFC 1034
      // §4.3.2): ask for the target. The chain length bounds these rounds.
      progress->current = end;
      return ReplyVerdict{ReplyStep::kAskTarget, DnsOutcome::kError, ""};
    }
    return Finish(DnsOutcome::kNoData);
  }
  progress->min_ttl = min_ttl;
  absl::Status parsed = ParseRecords(limits, abuf, alen, count, &progress->result);
  if (!parsed.ok()) return Finish(DnsOutcome::kError, std::string(parsed.message()));
  const DnsResult& r = progress->result;
  if (type == RrType::kA || type == RrType::kAaaa) {
    // ares_parse_a(aaaa)_reply follows the chain itself; nothing at its end
    // means records only under other owners.
    if (r.addresses.empty()) return Finish(DnsOutcome::kNoData);
  }
  return Finish(DnsOutcome::kAnswer);
}

}  // namespace

int AresType(RrType type) {
  switch (type) {
    case RrType::kA: return ns_t_a;
    case RrType::kAaaa: return ns_t_aaaa;
    case RrType::kMx: return ns_t_mx;
    case RrType::kTxt: return ns_t_txt;
    case RrType::kCname: return ns_t_cname;
  }
  return ns_t_a;
}

void AddDetail(DnsResult* r, absl::string_view detail) {
  if (detail.empty()) return;
  if (!r->detail.empty()) r->detail += "; ";
  r->detail.append(detail.data(), detail.size());
}

ReplyVerdict ReadReply(int ares_status, const unsigned char* abuf, int alen,
                       const ReplyLimits& limits, LookupProgress* progress) {
  const std::string where = progress->current == progress->result.name
                                ? std::string()
                                : absl::StrCat(" at CNAME target ", progress->current);
  switch (ares_status) {
    case ARES_SUCCESS:
      return ReadAnswer(abuf, alen, limits, progress);
    case ARES_ENODATA:  // NOERROR without answer records (RFC 2308 §2.2)
      return Finish(DnsOutcome::kNoData, where.empty() ? "" : absl::StrCat("NODATA", where));
    case ARES_ENOTFOUND: {
      // RFC 6604 §3: with CNAMEs, NXDOMAIN is about the end of the chain,
      // which the answer section shows.
      std::string end = progress->current;
      if (abuf != nullptr && progress->result.type != RrType::kCname) {
        absl::StatusOr<std::vector<AnswerRr>> rrs = WalkAnswer(abuf, alen);
        if (rrs.ok()) {
          absl::Status chain = FollowChain(limits, *rrs, progress, &end);
          if (!chain.ok()) return Finish(DnsOutcome::kError, std::string(chain.message()));
        }
      }
      return Finish(DnsOutcome::kNxDomain, end == progress->result.name
                                               ? ""
                                               : absl::StrCat("NXDOMAIN at CNAME target ", end));
    }
    case ARES_ESERVFAIL:
      return Finish(DnsOutcome::kServFail, absl::StrCat("server answered SERVFAIL", where));
    case ARES_EREFUSED:
      return Finish(DnsOutcome::kRefused, absl::StrCat("server answered REFUSED", where));
    case ARES_ETIMEOUT:
      return ReplyVerdict{ReplyStep::kTimedOut, DnsOutcome::kTimeout,
                          absl::StrCat("no answer", where)};
    case ARES_ECONNREFUSED:
      // Every configured server refused the connection (ICMP port
      // unreachable for UDP): our resolver is down, not the domain's DNS.
      return Finish(DnsOutcome::kUnreachable,
                    absl::StrCat("no configured DNS server could be contacted", where));
    default:
      return Finish(DnsOutcome::kError, absl::StrCat(ares_strerror(ares_status), where));
  }
}

}  // namespace mtasts::net

// What one c-ares answer means for a lookup: the rcode, the CNAME chain it
// shows and the records of the asked type, under the session's bounds. Pure
// (no sockets, no c-ares channel), so each case is testable from a hand-made
// message; internal to dns_resolver.
#ifndef MTASTS_NET_DNS_RESOLVER_REPLY_H_
#define MTASTS_NET_DNS_RESOLVER_REPLY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "net/dns_types.h"

namespace mtasts::net {

// The wire type c-ares is asked for (ns_t_a, ...).
int AresType(RrType type);

// Appends `detail` to r->detail ("; " between causes); "" adds nothing.
void AddDetail(DnsResult* r, absl::string_view detail);

// DnsOptions' bounds on remote input.
struct ReplyLimits {
  int max_cname_depth = 8;
  int max_records = 32;
  int max_txt_record_bytes = 4096;
};

// A lookup's progress across its queries: a CNAME target the server gave no
// records for is asked in a query of its own, and the chain, loop check and
// TTL carry over.
struct LookupProgress {
  DnsResult result;       // name and type as asked; chain, records, detail filled in
  std::string current;    // the name the latest query asked
  absl::flat_hash_set<std::string> seen;  // names on the chain, for loops
  uint32_t min_ttl = UINT32_MAX;          // over the CNAMEs followed and records kept
};

enum class ReplyStep {
  kFinish,     // the lookup ends with `outcome`
  kAskTarget,  // ask for progress->current, the alias' target, next
  kTimedOut,   // every try timed out: the session decides whose fault it is
};

struct ReplyVerdict {
  ReplyStep step = ReplyStep::kFinish;
  DnsOutcome outcome = DnsOutcome::kError;
  // kFinish: the cause to add to result.detail. kTimedOut: "no answer" and
  // where on the chain, for the session to complete.
  std::string detail;
};

// Reads the answer c-ares ended a query of `progress->current` with (its
// status, and the message, or null), updating `progress`: the chain followed,
// and the records kept (with any dropped ones named in result.detail).
ReplyVerdict ReadReply(int ares_status, const unsigned char* abuf, int alen,
                       const ReplyLimits& limits, LookupProgress* progress);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_RESOLVER_REPLY_H_

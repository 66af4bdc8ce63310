// A scripted DNS server on 127.0.0.1 for tests: UDP and TCP on one port,
// answers from rules per (name, type), a handler for generated zones, and
// counters that let a test see what the client really sent.
//
//   auto dns = FakeDnsServer::Start();                       // port 0: picked
//   (*dns)->AddRecord("_mta-sts.example.com", DnsRecord::Txt({"v=STSv1; ", "id=1"}));
//   (*dns)->AddRecord("example.com", DnsRecord::Mx(10, "mx.example.com"));
//   (*dns)->SetReply("slow.example", DnsType::kTxt, DnsReply::Drop());
//   (*dns)->SetReply("big.example", DnsType::kTxt,
//                    DnsReply::Records({...}).TruncatedOverUdp());
//   ... point the resolver at (*dns)->address() ...
//   EXPECT_EQ((*dns)->queries_for("slow.example"), 1);
//
// It is authoritative-ish and non-recursive: a CNAME rule answers every type
// with the CNAME alone (the client must chase it); a reply may list records of
// other owners to return a whole chain at once. The wire format is encoded by
// hand (RFC 1035 §4), so malformed answers can be scripted with
// DnsRecord::Raw().
//
// Threading: one server thread does all socket work (poll), and runs rules'
// delays on its own timer queue, so a delayed reply never holds up others.
// Every public method is thread-safe. A Handler runs on the server thread,
// one call at a time.
#ifndef MTASTS_TESTS_FAKES_FAKE_DNS_SERVER_H_
#define MTASTS_TESTS_FAKES_FAKE_DNS_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mtasts::fakes {

// Record types the factories build (RFC 1035 §3.2.2; AAAA: RFC 3596).
enum class DnsType : uint16_t {
  kA = 1,
  kCname = 5,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
};

// Response codes (RFC 1035 §4.1.1).
enum class DnsRcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

// One resource record of a reply. Built by the factories, which abort on
// arguments no test means (a bad IP literal, a label over 63 bytes).
struct DnsRecord {
  std::string owner;    // "" = the question's name, as the client spelled it
  uint16_t type = 0;    // a DnsType value, or anything for Raw()
  uint32_t ttl = 300;
  std::string rdata;    // wire-format RDATA
  std::string target;   // CNAME only: the target, lower case (for rule lookups)

  static DnsRecord A(absl::string_view ipv4, uint32_t ttl = 300);
  static DnsRecord Aaaa(absl::string_view ipv6, uint32_t ttl = 300);
  // `exchange` "." or "" makes a null MX (RFC 7505).
  static DnsRecord Mx(uint16_t preference, absl::string_view exchange, uint32_t ttl = 300);
  // One TXT record of several character-strings; a string longer than 255
  // bytes is split into 255-byte character-strings (RFC 1035 §3.3.14).
  static DnsRecord Txt(std::vector<std::string> strings, uint32_t ttl = 300);
  static DnsRecord Cname(absl::string_view target, uint32_t ttl = 300);
  // Any type with RDATA taken verbatim (for malformed-answer tests).
  static DnsRecord Raw(uint16_t type, std::string rdata, uint32_t ttl = 300);

  // The same record owned by `name` (to return CNAME chains in one reply).
  DnsRecord WithOwner(absl::string_view name) const;
};

// What the server does with one query.
struct DnsReply {
  DnsRcode rcode = DnsRcode::kNoError;
  std::vector<DnsRecord> answers;  // answer section, in order
  bool drop = false;               // never answer: the client times out
  // Over UDP answer TC=1 with no records; over TCP the full reply. (Replies
  // over 512 bytes are truncated over UDP anyway, as RFC 1035 §4.2.1 says,
  // unless the query carried a larger EDNS size, RFC 6891 §6.2.5.)
  bool truncate_udp = false;
  absl::Duration delay = absl::ZeroDuration();  // sent this long after arrival

  static DnsReply Records(std::vector<DnsRecord> answers);
  static DnsReply NoData();  // NOERROR, no records
  static DnsReply NxDomain();
  static DnsReply ServFail();
  static DnsReply Refused();
  static DnsReply WithRcode(DnsRcode rcode);
  static DnsReply Drop();

  DnsReply Delayed(absl::Duration d) const;
  DnsReply TruncatedOverUdp() const;
};

// A query as received.
struct DnsQuery {
  std::string name;    // lower case, no trailing dot
  uint16_t type = 0;   // QTYPE
  bool over_tcp = false;
};

class FakeDnsServer {
 public:
  // Called for queries no (name, type) or CNAME rule matches. Runs on the
  // server thread, one call at a time, with no lock held (it may use the
  // server's methods); a slow handler delays every later query.
  using Handler = std::function<DnsReply(const DnsQuery&)>;

  // Binds UDP and TCP on 127.0.0.1:`port` (0: a free port, the same for both)
  // and starts the server thread. Errors: INVALID_ARGUMENT for a port outside
  // 0..65535, UNAVAILABLE when the port cannot be bound, INTERNAL for other
  // socket failures.
  static absl::StatusOr<std::unique_ptr<FakeDnsServer>> Start(int port = 0);
  ~FakeDnsServer();  // Stop()

  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // Stops the thread and closes every socket; replies still delayed are
  // discarded. Idempotent.
  void Stop();

  int port() const { return port_; }
  // "127.0.0.1:<port>", the form ParseDnsServers() and --dns_servers take.
  std::string address() const;

  // --- Scripting; applies to queries that arrive afterwards. ---
  //
  // A query for (name, type) is answered by, in order:
  //   1. the rule for (name, type);
  //   2. the rule for (name, CNAME), whatever the type (the CNAME alone);
  //   3. the handler, when one is set;
  //   4. NODATA when any rule exists for the name;
  //   5. the default reply (initially NXDOMAIN).
  // Names match case-insensitively, with or without a trailing dot.

  // Replaces the rule for (name, type).
  void SetReply(absl::string_view name, DnsType type, DnsReply reply);
  // Appends `record` to the NOERROR rule for (name, record.type), creating it.
  void AddRecord(absl::string_view name, DnsRecord record);
  void SetDefaultReply(DnsReply reply);
  void SetHandler(Handler handler);  // nullptr removes it
  // A resolver at its limit: a query that arrives while `n` delayed replies
  // are outstanding is dropped (counted in dropped()), whatever its rule
  // says. 0 (the default): no limit.
  void SetCapacity(int64_t n);
  // Forgets every rule and the handler; the default is NXDOMAIN again.
  void ClearRules();

  // --- Observability. ---

  // Well-formed queries received, over both transports.
  int64_t total_queries() const;
  int64_t queries_for(absl::string_view name) const;  // any type
  int64_t queries_for(absl::string_view name, DnsType type) const;
  int64_t tcp_queries() const;
  // Queries whose reply is waiting for its delay. Immediate replies and
  // dropped queries are never outstanding (dropped() counts the latter).
  int64_t outstanding() const;
  int64_t max_outstanding() const;  // highest outstanding() ever seen
  int64_t dropped() const;
  // Queries in arrival order (the first 100,000).
  std::vector<DnsQuery> queries() const;
  // Waits until total_queries() >= n; false on timeout.
  bool WaitForQueries(int64_t n, absl::Duration timeout) const;
  // Zeroes the counters and the log; max_outstanding restarts from outstanding.
  void ResetStats();

 private:
  struct Conn;
  struct Pending;
  class Loop;

  FakeDnsServer(int udp_fd, int tcp_fd, int wake_fd, int port);

  // Decides the reply to `query`; `raw_name` is the name as the client sent it.
  DnsReply Resolve(const DnsQuery& query);
  // Counts an arrived query; `outstanding`: its reply waits for a delay.
  void CountQuery(const DnsQuery& query, bool outstanding);
  // SetCapacity's limit is reached (server thread).
  bool AtCapacity() const;
  void AdjustOutstanding(int delta);

  const int udp_fd_;
  const int tcp_fd_;
  const int wake_fd_;
  const int port_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  mutable absl::Mutex rules_mu_;
  absl::flat_hash_map<std::pair<std::string, uint16_t>, DnsReply> rules_
      ABSL_GUARDED_BY(rules_mu_);
  absl::flat_hash_set<std::string> names_with_rules_ ABSL_GUARDED_BY(rules_mu_);
  DnsReply default_reply_ ABSL_GUARDED_BY(rules_mu_);
  std::shared_ptr<Handler> handler_ ABSL_GUARDED_BY(rules_mu_);
  int64_t capacity_ ABSL_GUARDED_BY(rules_mu_) = 0;

  mutable absl::Mutex stats_mu_;
  int64_t total_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t tcp_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t outstanding_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t max_outstanding_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(stats_mu_) = 0;
  absl::flat_hash_map<std::string, int64_t> per_name_ ABSL_GUARDED_BY(stats_mu_);
  absl::flat_hash_map<std::pair<std::string, uint16_t>, int64_t> per_name_type_
      ABSL_GUARDED_BY(stats_mu_);
  std::vector<DnsQuery> log_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_FAKE_DNS_SERVER_H_

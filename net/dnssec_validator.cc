#include "net/dnssec_validator.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unbound.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mtasts::net {
namespace {

// Set around ub_process(): libunbound's callbacks carry one pointer (the
// query id), and only run inside ub_process on this thread.
thread_local DnssecValidator* t_processing = nullptr;
thread_local std::vector<std::pair<DnssecValidator::QueryId, ValidatedResult>>* t_results =
    nullptr;

std::string Lower(std::string s) {
  absl::AsciiStrToLower(&s);
  return s;
}

std::string NormalizeName(absl::string_view name) {
  std::string n = Lower(std::string(name));
  while (!n.empty() && n.back() == '.') n.pop_back();
  return n;
}

// A wire-format (uncompressed) name at `data[*pos]` to text, lower case,
// without trailing dot; nullopt-like false when malformed.
bool ReadName(const std::string& data, size_t* pos, std::string* out) {
  out->clear();
  for (int labels = 0; labels < 128; ++labels) {
    if (*pos >= data.size()) return false;
    const uint8_t len = static_cast<uint8_t>(data[*pos]);
    ++*pos;
    if (len == 0) return true;
    if (len > 63 || *pos + len > data.size()) return false;
    if (!out->empty()) out->push_back('.');
    for (size_t i = 0; i < len; ++i) {
      const unsigned char c = static_cast<unsigned char>(data[*pos + i]);
      if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
        absl::StrAppend(out, "\\", absl::Dec(c, absl::kZeroPad3));
      } else {
        out->push_back(static_cast<char>(absl::ascii_tolower(c)));
      }
    }
    *pos += len;
  }
  return false;
}

// The payload that carries a DnssecOptionFault on an INVALID_ARGUMENT.
constexpr absl::string_view kOptionFaultUrl = "mtasts.net.DnssecOptionFault";

absl::Status OptionError(DnssecOptionFault fault, absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kOptionFaultUrl, absl::Cord(std::string(1, static_cast<char>(fault))));
  return s;
}

// Validates a trust anchor file up front: libunbound only reads it when the
// first query finalizes the context, and then reports every query as failed.
absl::Status CheckTrustAnchorFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return OptionError(DnssecOptionFault::kTrustAnchorFile,
                       absl::StrCat("cannot read trust anchor file ", path));
  }
  std::string line;
  int lines = 0;
  while (lines++ < 10000 && std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == ';' || l[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(l, absl::ByAnyChar(" \t"),
                                                           absl::SkipEmpty());
    for (absl::string_view f : fields) {
      if (f == "DS" || f == "DNSKEY") return absl::OkStatus();
    }
  }
  return OptionError(DnssecOptionFault::kTrustAnchorFile,
                     absl::StrCat("trust anchor file ", path, " holds no DS or DNSKEY record"));
}

// "ip", "ip:port", "[v6]:port", "ip@port" -> libunbound's "ip@port".
absl::StatusOr<std::string> UnboundAddress(const std::string& text) {
  std::string host = text;
  std::string port;
  if (auto at = text.find('@'); at != std::string::npos) {
    host = text.substr(0, at);
    port = text.substr(at + 1);
  } else if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return absl::InvalidArgumentError("expected ':' after ']'");
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("\"", host, "\" is not an IP address"));
  }
  if (port.empty()) return host;
  int p = 0;
  if (!absl::SimpleAtoi(port, &p) || p < 1 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port \"", port, "\""));
  }
  return absl::StrCat(host, "@", p);
}

DnsOutcome OutcomeForRcode(int rcode) {
  switch (rcode) {
    case 0: return DnsOutcome::kNoData;
    case 2: return DnsOutcome::kServFail;
    case 3: return DnsOutcome::kNxDomain;
    case 5: return DnsOutcome::kRefused;
    default: return DnsOutcome::kError;
  }
}

}  // namespace

ValidatedResult ToValidatedResult(const std::string& name, uint16_t type, int err,
                                  const ub_result* result, const DnssecOptions& options) {
  ValidatedResult out;
  out.name = NormalizeName(name);
  out.type = type;
  out.canonical_name = out.name;
  if (err != 0 || result == nullptr) {
    out.outcome = DnsOutcome::kError;
    out.detail = absl::StrCat("validator error: ", ub_strerror(err));
    return out;
  }
  out.rcode = result->rcode;
  out.ttl = result->ttl < 0 ? 0 : static_cast<uint32_t>(result->ttl);
  if (result->canonname != nullptr) out.canonical_name = NormalizeName(result->canonname);
  if (result->secure) {
    out.security = DnssecSecurity::kSecure;
  } else if (result->bogus) {
    out.security = DnssecSecurity::kBogus;
    out.why_bogus = result->why_bogus != nullptr ? result->why_bogus : "validation failed";
    if (out.why_bogus.size() > 1024) out.why_bogus.resize(1024);
  } else if (result->rcode == 0 || result->rcode == 3) {
    out.security = DnssecSecurity::kInsecure;
  }
  if (result->bogus) {
    // libunbound withholds bogus data (it answers SERVFAIL); callers must not use it.
    out.outcome = DnsOutcome::kServFail;
    out.detail = absl::StrCat("DNSSEC validation failed: ", out.why_bogus);
    return out;
  }
  if (result->nxdomain) {
    out.outcome = DnsOutcome::kNxDomain;
    return out;
  }
  if (!result->havedata) {
    out.outcome = OutcomeForRcode(result->rcode);
    if (out.outcome == DnsOutcome::kServFail) {
      out.security = DnssecSecurity::kUnknown;
      out.detail = "SERVFAIL: no server gave a usable answer";
    }
    return out;
  }
  out.outcome = DnsOutcome::kAnswer;
  int dropped = 0;
  for (int i = 0; result->data[i] != nullptr; ++i) {
    if (static_cast<int>(out.rdata.size()) >= options.max_records ||
        static_cast<size_t>(result->len[i]) > options.max_rdata_bytes || result->len[i] < 0) {
      ++dropped;
      continue;
    }
    std::string rd(result->data[i], static_cast<size_t>(result->len[i]));
    switch (type) {
      case kDnsTypeA:
      case kDnsTypeAaaa: {
        char text[INET6_ADDRSTRLEN] = {};
        const int family = type == kDnsTypeA ? AF_INET : AF_INET6;
        if (rd.size() == (type == kDnsTypeA ? 4u : 16u) &&
            inet_ntop(family, rd.data(), text, sizeof(text)) != nullptr) {
          out.addresses.push_back(text);
        }
        break;
      }
      case kDnsTypeTxt: {
        std::string joined;
        for (size_t pos = 0; pos < rd.size();) {
          const size_t len = static_cast<uint8_t>(rd[pos]);
          joined += rd.substr(pos + 1, len);
          pos += 1 + len;
        }
        out.txt.push_back(std::move(joined));
        break;
      }
      case kDnsTypeMx: {
        if (rd.size() < 3) break;
        MxRecord mx;
        mx.preference = static_cast<uint16_t>((static_cast<uint8_t>(rd[0]) << 8) |
                                              static_cast<uint8_t>(rd[1]));
        size_t pos = 2;
        if (ReadName(rd, &pos, &mx.host)) out.mx.push_back(std::move(mx));
        break;
      }
      default:
        break;
    }
    out.rdata.push_back(std::move(rd));
  }
  if (dropped > 0) {
    out.detail = absl::StrCat(dropped, " record(s) beyond the limits (", options.max_records,
                              " records, ", options.max_rdata_bytes, " bytes each) ignored");
  }
  return out;
}

DnssecOptionFault DnssecOptionFaultOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return DnssecOptionFault::kNone;
  const auto payload = status.GetPayload(kOptionFaultUrl);
  if (!payload.has_value() || payload->size() != 1) return DnssecOptionFault::kNone;
  switch (static_cast<DnssecOptionFault>(std::string(*payload)[0])) {
    case DnssecOptionFault::kTrustAnchorFile:
      return DnssecOptionFault::kTrustAnchorFile;
    case DnssecOptionFault::kForwarder:
      return DnssecOptionFault::kForwarder;
    case DnssecOptionFault::kStub:
      return DnssecOptionFault::kStub;
    case DnssecOptionFault::kNone:
      break;
  }
  return DnssecOptionFault::kNone;
}

absl::Status DnssecValidator::ValidateOptions(const DnssecOptions& options) {
  const std::string anchor =
      options.trust_anchor_file.empty() ? kDefaultTrustAnchorFile : options.trust_anchor_file;
  if (absl::Status s = CheckTrustAnchorFile(anchor); !s.ok()) return s;
  if (!options.forwarder.empty()) {
    if (auto addr = UnboundAddress(options.forwarder); !addr.ok()) {
      return OptionError(DnssecOptionFault::kForwarder,
                         absl::StrCat("DNSSEC forwarder \"", options.forwarder,
                                      "\": ", addr.status().message()));
    }
  }
  for (const auto& [zone, addr_text] : options.stubs) {
    if (auto addr = UnboundAddress(addr_text); !addr.ok()) {
      return OptionError(
          DnssecOptionFault::kStub,
          absl::StrCat("stub ", zone, " \"", addr_text, "\": ", addr.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DnssecValidator>> DnssecValidator::Create(
    Reactor* reactor, const DnssecOptions& options) {
  if (!reactor->InReactorThread()) {
    return absl::FailedPreconditionError("DnssecValidator::Create off the reactor thread");
  }
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  DnssecOptions opts = options;
  if (opts.trust_anchor_file.empty()) opts.trust_anchor_file = kDefaultTrustAnchorFile;
  const std::string forwarder =
      opts.forwarder.empty() ? "" : UnboundAddress(opts.forwarder).value_or("");
  ub_ctx* ctx = ub_ctx_create();
  if (ctx == nullptr) return absl::InternalError("ub_ctx_create failed");
  auto fail = [ctx](absl::string_view what, int err) {
    ub_ctx_delete(ctx);
    return absl::InternalError(absl::StrCat("libunbound ", what, ": ", ub_strerror(err)));
  };
  int err = ub_ctx_async(ctx, 1);  // a worker thread, not a forked process
  if (err != 0) return fail("async", err);
  if ((err = ub_ctx_add_ta_file(ctx, opts.trust_anchor_file.c_str())) != 0) {
    ub_ctx_delete(ctx);
    return OptionError(DnssecOptionFault::kTrustAnchorFile,
                       absl::StrCat("trust anchor file ", opts.trust_anchor_file, ": ",
                                    ub_strerror(err)));
  }
  if (opts.allow_localhost &&
      (err = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0) {
    return fail("do-not-query-localhost", err);
  }
  if (!opts.unblock_local_zones.empty()) {
    // libunbound answers RFC 6761 names itself unless "nodefault";
    // ub_ctx_set_option("local-zone:") accepts but ignores that, a config
    // file works. An anonymous memfd stands in for the file.
    std::string conf = "server:\n";
    for (const std::string& zone : opts.unblock_local_zones) {
      absl::StrAppend(&conf, "  local-zone: \"", zone, "\" nodefault\n");
    }
    const int mfd = memfd_create("unbound-conf", MFD_CLOEXEC);
    if (mfd < 0 || write(mfd, conf.data(), conf.size()) != static_cast<ssize_t>(conf.size())) {
      if (mfd >= 0) close(mfd);
      ub_ctx_delete(ctx);
      return absl::InternalError("cannot write libunbound configuration");
    }
    err = ub_ctx_config(ctx, absl::StrCat("/proc/self/fd/", mfd).c_str());
    close(mfd);
    if (err != 0) return fail("local-zone configuration", err);
  }
  if (!forwarder.empty() && (err = ub_ctx_set_fwd(ctx, forwarder.c_str())) != 0) {
    return fail("forwarder", err);
  }
  for (const auto& [zone, addr_text] : opts.stubs) {
    const std::string addr = UnboundAddress(addr_text).value_or("");
    if ((err = ub_ctx_set_stub(ctx, zone.c_str(), addr.c_str(), 1)) != 0) {
      return fail("stub", err);
    }
  }
  auto validator =
      std::unique_ptr<DnssecValidator>(new DnssecValidator(reactor, std::move(opts), ctx));
  validator->fd_ = ub_fd(ctx);
  if (validator->fd_ < 0) return absl::InternalError("libunbound gave no result fd");
  if (absl::Status s = reactor->Watch(validator->fd_, EPOLLIN, validator.get()); !s.ok()) {
    validator->fd_ = -1;
    return s;
  }
  return validator;
}

DnssecValidator::DnssecValidator(Reactor* reactor, DnssecOptions options, ub_ctx* ctx)
    : reactor_(reactor), options_(std::move(options)), ctx_(ctx) {}

DnssecValidator::~DnssecValidator() {
  if (destroyed_flag_ != nullptr) *destroyed_flag_ = true;
  if (reactor_ != nullptr && fd_ >= 0) reactor_->Unwatch(fd_).IgnoreError();
  pending_.clear();  // disarms their timers (ForgetReactor let go of them)
  // Stops and joins libunbound's worker; queries in flight are dropped.
  ub_ctx_delete(ctx_);
}

DnssecValidator::QueryId DnssecValidator::Resolve(const std::string& name, uint16_t type,
                                                  Callback done) {
  return Resolve(name, type, options_.query_timeout, std::move(done));
}

DnssecValidator::QueryId DnssecValidator::Resolve(const std::string& name, uint16_t type,
                                                  absl::Duration timeout, Callback done) {
  const QueryId id = next_id_++;
  Pending& p = pending_[id];
  p.name = NormalizeName(name);
  p.type = type;
  p.done = std::move(done);
  p.timer = ReactorTimer(reactor_);
  p.timer.RunAfter(std::min(timeout, options_.query_timeout), [this, id] { OnTimeout(id); });
  if (sent_ < std::max(1, options_.max_outstanding)) {
    Send(id);
  } else {
    waiting_.push_back(id);
  }
  return id;
}

void DnssecValidator::Send(QueryId id) {
  Pending& p = pending_.at(id);
  int err = 0;
  if (p.name.size() > 253) {
    err = UB_SYNTAX;
  } else {
    // "" (from "." or "") is the root.
    err = ub_resolve_async(ctx_, p.name.empty() ? "." : p.name.c_str(), p.type, 1 /* IN */,
                           reinterpret_cast<void*>(static_cast<uintptr_t>(id)),
                           &DnssecValidator::OnUnboundResult, &p.async_id);
  }
  if (err != 0) {
    // Delivered from a fresh reaction: callbacks never run inside Resolve.
    ValidatedResult r = ToValidatedResult(p.name, p.type, err, nullptr, options_);
    if (err == UB_INITFAIL) {
      r.detail = absl::StrCat("the validator could not start (trust anchor ",
                              options_.trust_anchor_file, " or configuration): ",
                              ub_strerror(err));
    }
    p.timer.RunAfter(absl::ZeroDuration(), [this, id, r = std::move(r)]() mutable {
      Deliver(id, std::move(r));
    });
    return;  // holds no place: libunbound has nothing of it
  }
  p.sent = true;
  ++sent_;
}

void DnssecValidator::SendWaiting() {
  while (!waiting_.empty() && sent_ < std::max(1, options_.max_outstanding)) {
    const QueryId id = waiting_.front();
    waiting_.pop_front();
    if (pending_.contains(id)) Send(id);  // else cancelled or timed out while waiting
  }
}

void DnssecValidator::Erase(absl::flat_hash_map<QueryId, Pending>::iterator it) {
  const bool held_place = it->second.sent;
  pending_.erase(it);
  if (held_place) {
    --sent_;
    SendWaiting();
  }
}

void DnssecValidator::Cancel(QueryId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  // A failed cancel means the answer is already in the pipe; its callback
  // finds no pending entry and is dropped.
  if (it->second.async_id != 0) ub_cancel(ctx_, it->second.async_id);
  Erase(it);
}

void DnssecValidator::OnTimeout(QueryId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  ValidatedResult r;
  r.name = it->second.name;
  r.type = it->second.type;
  r.canonical_name = r.name;
  if (it->second.sent) {
    if (it->second.async_id != 0) ub_cancel(ctx_, it->second.async_id);
    r.outcome = DnsOutcome::kTimeout;
    r.detail = "no validated answer in time (the name servers, or the path to them, did not answer)";
  } else {
    r.outcome = DnsOutcome::kResolverOverloaded;
    r.detail = absl::StrCat("never sent: the checker's validator had ", sent_,
                            " validated lookups outstanding (its limit) and ", Waiting(),
                            " waiting until this one's time ran out");
  }
  Deliver(id, std::move(r));
}

void DnssecValidator::OnUnboundResult(void* arg, int err, ub_result* result) {
  const auto id = static_cast<QueryId>(reinterpret_cast<uintptr_t>(arg));
  DnssecValidator* self = t_processing;
  if (self != nullptr && t_results != nullptr) {
    auto it = self->pending_.find(id);
    if (it != self->pending_.end()) {
      t_results->emplace_back(
          id, ToValidatedResult(it->second.name, it->second.type, err, result, self->options_));
    }
  }
  if (result != nullptr) ub_resolve_free(result);
}

void DnssecValidator::OnFdReady(int /*fd*/, uint32_t /*events*/) {
  std::vector<std::pair<QueryId, ValidatedResult>> results;
  t_processing = this;
  t_results = &results;
  ub_process(ctx_);
  t_processing = nullptr;
  t_results = nullptr;
  // Callbacks may destroy this validator: deliver outside ub_process, and stop
  // when that happens.
  bool destroyed = false;
  destroyed_flag_ = &destroyed;
  for (auto& [id, r] : results) {
    Deliver(id, std::move(r));
    if (destroyed) return;
  }
  destroyed_flag_ = nullptr;
}

void DnssecValidator::Deliver(QueryId id, ValidatedResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Callback done = std::move(it->second.done);
  Erase(it);
  if (done) done(std::move(result));
}

}  // namespace mtasts::net

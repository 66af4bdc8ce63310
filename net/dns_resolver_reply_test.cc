// ReadReply on hand-made DNS messages: no sockets, no c-ares channel.
#include "net/dns_resolver_reply.h"

#include <arpa/nameser.h>
#include <ares.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_types.h"

namespace mtasts::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void AppendU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void AppendU32(std::string* out, uint32_t v) {
  AppendU16(out, static_cast<uint16_t>(v >> 16));
  AppendU16(out, static_cast<uint16_t>(v & 0xffff));
}

// "a.b" as uncompressed labels.
std::string WireName(absl::string_view dotted) {
  std::string out;
  for (absl::string_view label : absl::StrSplit(dotted, '.', absl::SkipEmpty())) {
    out.push_back(static_cast<char>(label.size()));
    out.append(label.data(), label.size());
  }
  out.push_back('\0');
  return out;
}

struct Rr {
  std::string owner;
  uint16_t type = 0;
  uint32_t ttl = 300;
  std::string rdata;
};

Rr A(const std::string& owner, const std::string& dotted_quad, uint32_t ttl = 300) {
  std::string rdata;
  for (absl::string_view octet : absl::StrSplit(dotted_quad, '.')) {
    rdata.push_back(static_cast<char>(std::stoi(std::string(octet))));
  }
  return Rr{owner, ns_t_a, ttl, rdata};
}

Rr Cname(const std::string& owner, const std::string& target, uint32_t ttl = 300) {
  return Rr{owner, ns_t_cname, ttl, WireName(target)};
}

// One TXT record of the given character-strings.
Rr Txt(const std::string& owner, const std::vector<std::string>& strings) {
  std::string rdata;
  for (const std::string& s : strings) {
    rdata.push_back(static_cast<char>(s.size()));
    rdata += s;
  }
  return Rr{owner, ns_t_txt, 300, rdata};
}

// A NOERROR response to `qname`/`qtype` with `answers` in its answer section.
std::string Message(const std::string& qname, int qtype, const std::vector<Rr>& answers) {
  std::string out;
  AppendU16(&out, 0x1234);  // ID
  AppendU16(&out, 0x8180);  // QR, RD, RA; NOERROR
  AppendU16(&out, 1);
  AppendU16(&out, static_cast<uint16_t>(answers.size()));
  AppendU16(&out, 0);
  AppendU16(&out, 0);
  out += WireName(qname);
  AppendU16(&out, static_cast<uint16_t>(qtype));
  AppendU16(&out, ns_c_in);
  for (const Rr& rr : answers) {
    out += WireName(rr.owner);
    AppendU16(&out, rr.type);
    AppendU16(&out, ns_c_in);
    AppendU32(&out, rr.ttl);
    AppendU16(&out, static_cast<uint16_t>(rr.rdata.size()));
    out += rr.rdata;
  }
  return out;
}

LookupProgress Asking(const std::string& name, RrType type) {
  LookupProgress progress;
  progress.result.name = name;
  progress.result.type = type;
  progress.current = name;
  progress.seen.insert(name);
  return progress;
}

ReplyVerdict Read(int status, const std::string& message, LookupProgress* progress,
                  const ReplyLimits& limits = ReplyLimits()) {
  const auto* abuf = reinterpret_cast<const unsigned char*>(message.data());
  return ReadReply(status, message.empty() ? nullptr : abuf, static_cast<int>(message.size()),
                   limits, progress);
}

// Read on a reply to the question `progress` asks (its current name and
// `qtype`) with `answers`.
ReplyVerdict ReadAnswer(LookupProgress* progress, int qtype, const std::vector<Rr>& answers,
                        int status = ARES_SUCCESS, const ReplyLimits& limits = ReplyLimits()) {
  return Read(status, Message(progress->current, qtype, answers), progress, limits);
}

TEST(ReadReplyTest, ARecordsWithTheirMinimumTtl) {
  LookupProgress p = Asking("mx.example.test", RrType::kA);
  ReplyVerdict v = ReadAnswer(
      &p, ns_t_a, {A("mx.example.test", "192.0.2.1", 120), A("mx.example.test", "192.0.2.2", 60)});
  EXPECT_EQ(v.step, ReplyStep::kFinish);
  EXPECT_EQ(v.outcome, DnsOutcome::kAnswer);
  EXPECT_EQ(v.detail, "");
  EXPECT_THAT(p.result.addresses, ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_EQ(p.min_ttl, 60u);
}

TEST(ReadReplyTest, TruncatedAnswerIsMalformed) {
  std::string message =
      Message("mx.example.test", ns_t_a, {A("mx.example.test", "192.0.2.1")});
  message.resize(message.size() - 2);  // the RDATA ends early
  LookupProgress p = Asking("mx.example.test", RrType::kA);
  ReplyVerdict v = Read(ARES_SUCCESS, message, &p);
  EXPECT_EQ(v.step, ReplyStep::kFinish);
  EXPECT_EQ(v.outcome, DnsOutcome::kError);
  EXPECT_EQ(v.detail, "malformed DNS answer: answer RDATA truncated");
  EXPECT_THAT(p.result.addresses, IsEmpty());

  // Cut inside the record's fixed fields, and inside the header.
  message.resize(message.size() - 8);
  EXPECT_EQ(Read(ARES_SUCCESS, message, &p).detail,
            "malformed DNS answer: answer record truncated");
  EXPECT_EQ(Read(ARES_SUCCESS, message.substr(0, 6), &p).detail,
            "malformed DNS answer: answer shorter than a DNS header");
}

TEST(ReadReplyTest, NxDomainAndNoDataAreTold) {
  LookupProgress nx = Asking("gone.example.test", RrType::kTxt);
  ReplyVerdict v = Read(ARES_ENOTFOUND, "", &nx);
  EXPECT_EQ(v.outcome, DnsOutcome::kNxDomain);
  EXPECT_EQ(v.detail, "");

  LookupProgress nodata = Asking("here.example.test", RrType::kTxt);
  v = Read(ARES_ENODATA, "", &nodata);
  EXPECT_EQ(v.outcome, DnsOutcome::kNoData);
  EXPECT_EQ(v.detail, "");

  // NOERROR with records of another type only: the name exists, no TXT.
  LookupProgress other = Asking("here.example.test", RrType::kTxt);
  v = ReadAnswer(&other, ns_t_txt, {A("here.example.test", "192.0.2.1")});
  EXPECT_EQ(v.outcome, DnsOutcome::kNoData);
  EXPECT_THAT(other.result.txt, IsEmpty());
}

TEST(ReadReplyTest, NxDomainAtTheEndOfACnameChain) {
  // RFC 6604 §3: the rcode is about the chain's end, which the answer shows.
  LookupProgress p = Asking("alias.example.test", RrType::kA);
  ReplyVerdict v =
      ReadAnswer(&p, ns_t_a, {Cname("alias.example.test", "gone.example.test")}, ARES_ENOTFOUND);
  EXPECT_EQ(v.outcome, DnsOutcome::kNxDomain);
  EXPECT_EQ(v.detail, "NXDOMAIN at CNAME target gone.example.test");
  EXPECT_THAT(p.result.cname_chain, ElementsAre("gone.example.test"));
}

TEST(ReadReplyTest, CnameChainFollowedToTheRecords) {
  LookupProgress p = Asking("a.example.test", RrType::kA);
  ReplyVerdict v = ReadAnswer(
      &p, ns_t_a,
      {Cname("a.example.test", "b.example.test", 30),
       Cname("b.example.test", "c.example.test", 600), A("c.example.test", "192.0.2.7", 300)});
  EXPECT_EQ(v.outcome, DnsOutcome::kAnswer);
  EXPECT_THAT(p.result.cname_chain, ElementsAre("b.example.test", "c.example.test"));
  EXPECT_THAT(p.result.addresses, ElementsAre("192.0.2.7"));
  EXPECT_EQ(p.min_ttl, 30u) << "the chain's TTLs count";
}

TEST(ReadReplyTest, AliasWithoutTargetRecordsAsksForTheTarget) {
  LookupProgress p = Asking("a.example.test", RrType::kTxt);
  ReplyVerdict v = ReadAnswer(&p, ns_t_txt, {Cname("a.example.test", "b.example.test")});
  EXPECT_EQ(v.step, ReplyStep::kAskTarget);
  EXPECT_EQ(p.current, "b.example.test");
  EXPECT_THAT(p.result.cname_chain, ElementsAre("b.example.test"));

  // The target's own query then ends the lookup; failures name where.
  v = Read(ARES_ENODATA, "", &p);
  EXPECT_EQ(v.outcome, DnsOutcome::kNoData);
  EXPECT_EQ(v.detail, "NODATA at CNAME target b.example.test");
  v = Read(ARES_ETIMEOUT, "", &p);
  EXPECT_EQ(v.step, ReplyStep::kTimedOut);
  EXPECT_EQ(v.detail, "no answer at CNAME target b.example.test");
}

TEST(ReadReplyTest, CnameLoopAndOverlongChainAreErrors) {
  LookupProgress loop = Asking("a.example.test", RrType::kA);
  ReplyVerdict v = ReadAnswer(
      &loop, ns_t_a,
      {Cname("a.example.test", "b.example.test"), Cname("b.example.test", "a.example.test")});
  EXPECT_EQ(v.outcome, DnsOutcome::kError);
  EXPECT_EQ(v.detail, "CNAME loop: b.example.test -> a.example.test (from a.example.test)");

  ReplyLimits limits;
  limits.max_cname_depth = 1;
  LookupProgress deep = Asking("a.example.test", RrType::kA);
  v = ReadAnswer(&deep, ns_t_a,
                 {Cname("a.example.test", "b.example.test"),
                  Cname("b.example.test", "c.example.test"), A("c.example.test", "192.0.2.1")},
                 ARES_SUCCESS, limits);
  EXPECT_EQ(v.outcome, DnsOutcome::kError);
  EXPECT_EQ(v.detail, "CNAME chain longer than 1");
  EXPECT_THAT(deep.result.addresses, IsEmpty());
}

TEST(ReadReplyTest, AskingForTheCnameReturnsItWithoutFollowing) {
  LookupProgress p = Asking("a.example.test", RrType::kCname);
  ReplyVerdict v = ReadAnswer(&p, ns_t_cname, {Cname("a.example.test", "b.example.test", 90)});
  EXPECT_EQ(v.outcome, DnsOutcome::kAnswer);
  EXPECT_THAT(p.result.cname_chain, ElementsAre("b.example.test"));
  EXPECT_EQ(p.min_ttl, 90u);
}

TEST(ReadReplyTest, TxtStringsJoinedAndOversizedRecordsDropped) {
  ReplyLimits limits;
  limits.max_txt_record_bytes = 8;
  LookupProgress p = Asking("t.example.test", RrType::kTxt);
  ReplyVerdict v = ReadAnswer(
      &p, ns_t_txt,
      {Txt("t.example.test", {"v=STS", "v1;"}), Txt("t.example.test", {"much-too-long"})},
      ARES_SUCCESS, limits);
  EXPECT_EQ(v.outcome, DnsOutcome::kAnswer);
  EXPECT_THAT(p.result.txt, ElementsAre("v=STSv1;"));
  EXPECT_EQ(p.result.detail, "dropped 1 TXT record(s) longer than 8 bytes");
}

TEST(ReadReplyTest, RecordsBeyondMaxRecordsAreDroppedAndSaid) {
  ReplyLimits limits;
  limits.max_records = 2;
  LookupProgress p = Asking("h.example.test", RrType::kA);
  ReplyVerdict v = ReadAnswer(&p, ns_t_a,
                              {A("h.example.test", "192.0.2.1"), A("h.example.test", "192.0.2.2"),
                               A("h.example.test", "192.0.2.3")},
                              ARES_SUCCESS, limits);
  EXPECT_EQ(v.outcome, DnsOutcome::kAnswer);
  EXPECT_THAT(p.result.addresses, ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_THAT(p.result.detail, HasSubstr("kept the first 2 of 3 records (max_records)"));
}

TEST(ReadReplyTest, RcodesAndTransportFailures) {
  LookupProgress p = Asking("x.example.test", RrType::kMx);
  EXPECT_EQ(Read(ARES_ESERVFAIL, "", &p).outcome, DnsOutcome::kServFail);
  EXPECT_EQ(Read(ARES_EREFUSED, "", &p).outcome, DnsOutcome::kRefused);
  EXPECT_EQ(Read(ARES_ECONNREFUSED, "", &p).outcome, DnsOutcome::kUnreachable);
  ReplyVerdict timeout = Read(ARES_ETIMEOUT, "", &p);
  EXPECT_EQ(timeout.step, ReplyStep::kTimedOut);
  EXPECT_EQ(timeout.detail, "no answer");
  ReplyVerdict other = Read(ARES_EFORMERR, "", &p);
  EXPECT_EQ(other.outcome, DnsOutcome::kError);
  EXPECT_EQ(other.detail, ares_strerror(ARES_EFORMERR));
}

}  // namespace
}  // namespace mtasts::net

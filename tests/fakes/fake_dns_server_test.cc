#include "tests/fakes/fake_dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A tiny DNS client, independent of the fake's own encoder, so the tests
// check the wire format rather than the code against itself.
struct Rr {
  std::string owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;
};

struct Response {
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode() const { return flags & 0xf; }
  bool tc() const { return (flags & 0x0200) != 0; }
  std::string question;
  uint16_t qtype = 0;
  std::vector<Rr> answers;
  int additional = 0;
};

std::string MakeQuery(uint16_t id, const std::string& name, uint16_t type,
                      bool edns = false) {
  std::string q;
  auto u16 = [&](uint16_t v) {
    q.push_back(static_cast<char>(v >> 8));
    q.push_back(static_cast<char>(v & 0xff));
  };
  u16(id);
  u16(0x0100);  // RD
  u16(1);
  u16(0);
  u16(0);
  u16(edns ? 1 : 0);
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<char>(dot - start));
    q.append(name, start, dot - start);
    start = dot + 1;
  }
  q.push_back('\0');
  u16(type);
  u16(1);
  if (edns) {
    q.push_back('\0');
    u16(41);
    u16(4096);
    u16(0);
    u16(0);
    u16(0);
  }
  return q;
}

// Parses uncompressed names only: the fake never compresses.
std::optional<std::string> ReadName(const std::string& w, size_t* pos) {
  std::vector<std::string> labels;
  while (*pos < w.size()) {
    const uint8_t len = static_cast<uint8_t>(w[*pos]);
    ++*pos;
    if (len == 0) return absl::StrJoin(labels, ".");
    if (len > 63 || *pos + len > w.size()) return std::nullopt;
    labels.push_back(w.substr(*pos, len));
    *pos += len;
  }
  return std::nullopt;
}

std::optional<Response> Parse(const std::string& w) {
  if (w.size() < 12) return std::nullopt;
  auto u16 = [&](size_t p) {
    return static_cast<uint16_t>(static_cast<uint8_t>(w[p]) << 8 | static_cast<uint8_t>(w[p + 1]));
  };
  Response r;
  r.id = u16(0);
  r.flags = u16(2);
  const int qd = u16(4), an = u16(6);
  r.additional = u16(10);
  size_t pos = 12;
  for (int i = 0; i < qd; ++i) {
    auto name = ReadName(w, &pos);
    if (!name || pos + 4 > w.size()) return std::nullopt;
    r.question = *name;
    r.qtype = u16(pos);
    pos += 4;
  }
  for (int i = 0; i < an; ++i) {
    Rr rr;
    auto owner = ReadName(w, &pos);
    if (!owner || pos + 10 > w.size()) return std::nullopt;
    rr.owner = *owner;
    rr.type = u16(pos);
    rr.ttl = static_cast<uint32_t>(u16(pos + 4)) << 16 | u16(pos + 6);
    const size_t rdlen = u16(pos + 8);
    pos += 10;
    if (pos + rdlen > w.size()) return std::nullopt;
    rr.rdata = w.substr(pos, rdlen);
    pos += rdlen;
    r.answers.push_back(rr);
  }
  return r;
}

class UdpClient {
 public:
  explicit UdpClient(int port) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr = LoopbackAddress(port);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~UdpClient() { close(fd_); }
  void Send(const std::string& query) {
    ASSERT_EQ(send(fd_, query.data(), query.size(), 0), static_cast<ssize_t>(query.size()));
  }
  std::optional<Response> Receive(absl::Duration timeout = absl::Seconds(2)) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
      return std::nullopt;
    }
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return std::nullopt;
    last_size_ = static_cast<size_t>(n);
    return Parse(std::string(buf, static_cast<size_t>(n)));
  }
  std::optional<Response> Ask(const std::string& name, uint16_t type, bool edns = false) {
    Send(MakeQuery(next_id_++, name, type, edns));
    return Receive();
  }
  size_t last_size() const { return last_size_; }

 private:
  int fd_;
  uint16_t next_id_ = 1;
  size_t last_size_ = 0;
};

class TcpClient {
 public:
  explicit TcpClient(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr = LoopbackAddress(port);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~TcpClient() { close(fd_); }
  void Send(const std::string& query) {
    std::string framed;
    framed.push_back(static_cast<char>(query.size() >> 8));
    framed.push_back(static_cast<char>(query.size() & 0xff));
    framed += query;
    ASSERT_EQ(send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(framed.size()));
  }
  std::optional<Response> Receive() {
    std::string len_bytes = ReadExactly(2);
    if (len_bytes.size() != 2) return std::nullopt;
    const size_t len = static_cast<uint8_t>(len_bytes[0]) << 8 | static_cast<uint8_t>(len_bytes[1]);
    std::string body = ReadExactly(len);
    if (body.size() != len) return std::nullopt;
    return Parse(body);
  }

 private:
  std::string ReadExactly(size_t n) {
    std::string out;
    while (out.size() < n) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 2000) != 1) break;
      char buf[4096];
      const ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  int fd_;
};

constexpr uint16_t kA = 1, kCname = 5, kMx = 15, kTxt = 16, kAaaa = 28;

class FakeDnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeDnsServer>> server = FakeDnsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
  }
  std::unique_ptr<FakeDnsServer> server_;
};

TEST_F(FakeDnsServerTest, AnswersARecordOverUdp) {
  server_->AddRecord("Host.Example", DnsRecord::A("192.0.2.7", 60));
  UdpClient client(server_->port());
  std::optional<Response> r = client.Ask("host.EXAMPLE", kA);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, 1);
  EXPECT_TRUE(r->flags & 0x8000);  // QR
  EXPECT_EQ(r->rcode(), 0);
  EXPECT_EQ(r->question, "host.EXAMPLE");  // echoed as sent
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].owner, "host.EXAMPLE");
  EXPECT_EQ(r->answers[0].type, kA);
  EXPECT_EQ(r->answers[0].ttl, 60u);
  EXPECT_EQ(r->answers[0].rdata, std::string("\xc0\x00\x02\x07", 4));
  EXPECT_EQ(server_->total_queries(), 1);
  EXPECT_EQ(server_->queries_for("host.example."), 1);
  EXPECT_EQ(server_->queries_for("host.example", DnsType::kA), 1);
  EXPECT_EQ(server_->queries_for("host.example", DnsType::kTxt), 0);
  EXPECT_EQ(server_->tcp_queries(), 0);
}

TEST_F(FakeDnsServerTest, EncodesAaaaMxTxtAndCname) {
  server_->AddRecord("a.test", DnsRecord::Aaaa("2001:db8::1"));
  server_->AddRecord("a.test", DnsRecord::Mx(10, "MX.a.test."));
  server_->AddRecord("a.test", DnsRecord::Mx(0, "."));
  server_->AddRecord("a.test", DnsRecord::Txt({"v=STSv1; ", "id=1"}));
  server_->AddRecord("alias.test", DnsRecord::Cname("a.test"));
  UdpClient client(server_->port());

  auto aaaa = client.Ask("a.test", kAaaa);
  ASSERT_TRUE(aaaa.has_value());
  ASSERT_EQ(aaaa->answers.size(), 1u);
  EXPECT_EQ(aaaa->answers[0].rdata.size(), 16u);

  auto mx = client.Ask("a.test", kMx);  // names keep the case they were given
  ASSERT_TRUE(mx.has_value());
  ASSERT_EQ(mx->answers.size(), 2u);
  EXPECT_EQ(mx->answers[0].rdata, std::string("\x00\x0a\x02MX\x01" "a\x04test\x00", 13));
  EXPECT_EQ(mx->answers[1].rdata, std::string("\x00\x00\x00", 3));  // null MX

  auto txt = client.Ask("a.test", kTxt);
  ASSERT_TRUE(txt.has_value());
  ASSERT_EQ(txt->answers.size(), 1u);
  EXPECT_EQ(txt->answers[0].rdata, std::string("\x09v=STSv1; \x04id=1", 15));

  // A CNAME rule answers every type with the CNAME alone.
  auto alias = client.Ask("alias.test", kTxt);
  ASSERT_TRUE(alias.has_value());
  EXPECT_EQ(alias->rcode(), 0);
  ASSERT_EQ(alias->answers.size(), 1u);
  EXPECT_EQ(alias->answers[0].type, kCname);
  EXPECT_EQ(alias->answers[0].rdata, std::string("\x01" "a\x04test\x00", 8));
}

TEST_F(FakeDnsServerTest, LongTxtStringIsSplitInto255ByteStrings) {
  server_->AddRecord("long.test", DnsRecord::Txt({std::string(300, 'x')}));
  TcpClient client(server_->port());
  client.Send(MakeQuery(9, "long.test", kTxt));
  auto r = client.Receive();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answers.size(), 1u);
  const std::string& rdata = r->answers[0].rdata;
  ASSERT_EQ(rdata.size(), 302u);
  EXPECT_EQ(static_cast<uint8_t>(rdata[0]), 255);
  EXPECT_EQ(static_cast<uint8_t>(rdata[256]), 45);
}

TEST_F(FakeDnsServerTest, ChainInOneReplyWithOwners) {
  server_->SetReply("www.test", DnsType::kA,
                    DnsReply::Records({DnsRecord::Cname("web.test"),
                                       DnsRecord::A("192.0.2.1").WithOwner("web.test")}));
  UdpClient client(server_->port());
  auto r = client.Ask("www.test", kA);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answers.size(), 2u);
  EXPECT_EQ(r->answers[0].owner, "www.test");
  EXPECT_EQ(r->answers[1].owner, "web.test");
}

TEST_F(FakeDnsServerTest, RcodesDefaultsAndNoData) {
  server_->AddRecord("exists.test", DnsRecord::A("192.0.2.1"));
  server_->SetReply("broken.test", DnsType::kTxt, DnsReply::ServFail());
  server_->SetReply("closed.test", DnsType::kTxt, DnsReply::Refused());
  UdpClient client(server_->port());
  EXPECT_EQ(client.Ask("nowhere.test", kA)->rcode(), 3);  // default NXDOMAIN
  auto nodata = client.Ask("exists.test", kTxt);
  EXPECT_EQ(nodata->rcode(), 0);
  EXPECT_THAT(nodata->answers, IsEmpty());
  EXPECT_EQ(client.Ask("broken.test", kTxt)->rcode(), 2);
  EXPECT_EQ(client.Ask("closed.test", kTxt)->rcode(), 5);
  server_->SetDefaultReply(DnsReply::Refused());
  EXPECT_EQ(client.Ask("nowhere.test", kA)->rcode(), 5);
  server_->ClearRules();
  EXPECT_EQ(client.Ask("exists.test", kA)->rcode(), 3);
}

TEST_F(FakeDnsServerTest, TruncateOverUdpAnswersFullyOverTcp) {
  server_->SetReply("big.test", DnsType::kTxt,
                    DnsReply::Records({DnsRecord::Txt({"payload"})}).TruncatedOverUdp());
  UdpClient udp(server_->port());
  auto truncated = udp.Ask("big.test", kTxt);
  ASSERT_TRUE(truncated.has_value());
  EXPECT_TRUE(truncated->tc());
  EXPECT_THAT(truncated->answers, IsEmpty());

  TcpClient tcp(server_->port());
  tcp.Send(MakeQuery(7, "big.test", kTxt));
  auto full = tcp.Receive();
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->id, 7);
  EXPECT_FALSE(full->tc());
  ASSERT_EQ(full->answers.size(), 1u);
  EXPECT_EQ(server_->tcp_queries(), 1);
  EXPECT_EQ(server_->total_queries(), 2);
}

TEST_F(FakeDnsServerTest, OversizedUdpReplyIsTruncatedUnlessEdnsAllowsIt) {
  std::vector<DnsRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back(DnsRecord::Txt({std::string(100, 'a' + i)}));
  server_->SetReply("huge.test", DnsType::kTxt, DnsReply::Records(records));
  UdpClient udp(server_->port());
  auto classic = udp.Ask("huge.test", kTxt);
  ASSERT_TRUE(classic.has_value());
  EXPECT_TRUE(classic->tc());
  EXPECT_LE(udp.last_size(), 512u);

  auto edns = udp.Ask("huge.test", kTxt, /*edns=*/true);
  ASSERT_TRUE(edns.has_value());
  EXPECT_FALSE(edns->tc());
  EXPECT_EQ(edns->answers.size(), 10u);
  EXPECT_EQ(edns->additional, 1);  // our OPT
}

TEST_F(FakeDnsServerTest, PipelinedTcpQueries) {
  server_->AddRecord("one.test", DnsRecord::A("192.0.2.1"));
  server_->AddRecord("two.test", DnsRecord::A("192.0.2.2"));
  TcpClient tcp(server_->port());
  tcp.Send(MakeQuery(1, "one.test", kA) );
  tcp.Send(MakeQuery(2, "two.test", kA));
  auto first = tcp.Receive();
  auto second = tcp.Receive();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->id, 1);
  EXPECT_EQ(second->id, 2);
}

TEST_F(FakeDnsServerTest, DelayedReplyDoesNotHoldUpOthers) {
  server_->SetReply("slow.test", DnsType::kA,
                    DnsReply::Records({DnsRecord::A("192.0.2.1")})
                        .Delayed(absl::Milliseconds(150)));
  server_->AddRecord("fast.test", DnsRecord::A("192.0.2.2"));
  UdpClient client(server_->port());
  const absl::Time start = absl::Now();
  client.Send(MakeQuery(1, "slow.test", kA));
  client.Send(MakeQuery(2, "fast.test", kA));
  auto first = client.Receive();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, 2);
  EXPECT_EQ(server_->outstanding(), 1);
  auto second = client.Receive();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, 1);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(server_->outstanding(), 0);
  EXPECT_GE(server_->max_outstanding(), 1);
}

TEST_F(FakeDnsServerTest, DropNeverAnswers) {
  server_->SetReply("void.test", DnsType::kA, DnsReply::Drop());
  UdpClient client(server_->port());
  client.Send(MakeQuery(1, "void.test", kA));
  EXPECT_FALSE(client.Receive(absl::Milliseconds(100)).has_value());
  EXPECT_EQ(server_->dropped(), 1);
  EXPECT_EQ(server_->outstanding(), 0);
  EXPECT_EQ(server_->queries_for("void.test"), 1);
}

TEST_F(FakeDnsServerTest, HandlerAnswersWhatRulesDoNot) {
  server_->AddRecord("ruled.test", DnsRecord::A("192.0.2.9"));
  std::atomic<int> calls{0};
  server_->SetHandler([&](const DnsQuery& q) {
    ++calls;
    if (q.name.rfind("gen", 0) == 0) return DnsReply::Records({DnsRecord::A("198.51.100.1")});
    return DnsReply::NxDomain();
  });
  UdpClient client(server_->port());
  EXPECT_EQ(client.Ask("gen-42.test", kA)->answers.size(), 1u);
  EXPECT_EQ(client.Ask("other.test", kA)->rcode(), 3);
  EXPECT_EQ(client.Ask("ruled.test", kA)->answers.size(), 1u);
  EXPECT_EQ(calls.load(), 2);
  server_->SetHandler(nullptr);
  EXPECT_EQ(client.Ask("gen-42.test", kA)->rcode(), 3);
}

TEST_F(FakeDnsServerTest, MalformedQueryGetsFormErr) {
  UdpClient client(server_->port());
  std::string query = MakeQuery(5, "x.test", kA);
  query[5] = 2;  // QDCOUNT 2 with one question
  client.Send(query);
  auto r = client.Receive();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, 5);
  EXPECT_EQ(r->rcode(), 1);
  EXPECT_EQ(server_->total_queries(), 0);
  client.Send("xy");  // shorter than a header: ignored
  EXPECT_FALSE(client.Receive(absl::Milliseconds(50)).has_value());
}

TEST_F(FakeDnsServerTest, LogWaitAndReset) {
  UdpClient client(server_->port());
  client.Send(MakeQuery(1, "a.test", kA));
  client.Send(MakeQuery(2, "B.test.", kTxt));
  ASSERT_TRUE(server_->WaitForQueries(2, absl::Seconds(2)));
  EXPECT_FALSE(server_->WaitForQueries(3, absl::Milliseconds(20)));
  std::vector<DnsQuery> log = server_->queries();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].name, "a.test");
  EXPECT_EQ(log[1].name, "b.test");
  EXPECT_EQ(log[1].type, kTxt);
  EXPECT_FALSE(log[1].over_tcp);
  server_->ResetStats();
  EXPECT_EQ(server_->total_queries(), 0);
  EXPECT_THAT(server_->queries(), IsEmpty());
}

TEST_F(FakeDnsServerTest, ThousandsOfQueriesWithRandomDelays) {
  constexpr int kNames = 2000;
  server_->SetHandler([](const DnsQuery& q) {
    const int n = std::stoi(q.name.substr(1, q.name.find('.') - 1));
    return DnsReply::Records({DnsRecord::A("192.0.2.1")})
        .Delayed(absl::Milliseconds(n % 50));
  });
  // Several clients in parallel, each keeping up to kWindow queries in
  // flight (a window, so no socket buffer overflows on a slow machine).
  constexpr int kClients = 4;
  constexpr int kWindow = 100;
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      UdpClient client(server_->port());
      std::vector<int> mine;
      for (int i = c; i < kNames; i += kClients) mine.push_back(i);
      size_t sent = 0;
      size_t received = 0;
      while (received < mine.size()) {
        while (sent < mine.size() && sent - received < kWindow) {
          const int i = mine[sent++];
          client.Send(MakeQuery(static_cast<uint16_t>(i), absl::StrCat("d", i, ".fleet.test"), kA));
        }
        if (!client.Receive().has_value()) break;
        ++received;
        ++answered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), kNames);
  EXPECT_EQ(server_->total_queries(), kNames);
  EXPECT_EQ(server_->outstanding(), 0);
  // Delayed replies overlapped, and never more than the clients' windows
  // allow: the server counts each query outstanding once and releases it.
  EXPECT_GT(server_->max_outstanding(), 1);
  EXPECT_LE(server_->max_outstanding(), kClients * kWindow);
}

TEST_F(FakeDnsServerTest, StopIsIdempotentAndDiscardsDelayedReplies) {
  server_->SetReply("later.test", DnsType::kA, DnsReply::NoData().Delayed(absl::Seconds(10)));
  UdpClient client(server_->port());
  client.Send(MakeQuery(1, "later.test", kA));
  ASSERT_TRUE(server_->WaitForQueries(1, absl::Seconds(2)));
  EXPECT_EQ(server_->outstanding(), 1);
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(server_->outstanding(), 0);
}

TEST(FakeDnsServerStartTest, FixedPortAndConflicts) {
  auto first = FakeDnsServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  auto clash = FakeDnsServer::Start((*first)->port());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
  const int port = (*first)->port();
  (*first)->Stop();
  auto again = FakeDnsServer::Start(port);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->port(), port);
  EXPECT_EQ((*again)->address(), absl::StrCat("127.0.0.1:", port));
  EXPECT_EQ(FakeDnsServer::Start(70000).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtasts::fakes

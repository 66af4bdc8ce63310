#include "tests/fakes/fake_smtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mtasts::fakes {
namespace {

// A blocking plaintext client: enough to see what the fake says.
class Client {
 public:
  Client(const std::string& address, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& s) { ASSERT_EQ(send(fd_, s.data(), s.size(), 0), s.size()); }
  // Reads until a reply's last line ("NNN " or "NNN") arrives.
  std::string ReadReply() {
    std::string all, line;
    char c;
    while (recv(fd_, &c, 1, 0) == 1) {
      all.push_back(c);
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      if (line.size() < 4 || line[3] != '-') return all;
      line.clear();
    }
    return all;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST(FakeSmtpServerTest, ScriptsEachAddressAndCounts) {
  auto server = FakeSmtpServer::Start({"127.0.0.1", "127.0.0.2"});
  ASSERT_TRUE(server.ok()) << server.status();
  FakeSmtpScript rejecting;
  rejecting.greeting = {"554-go away", "554 5.7.1 no service"};
  ASSERT_TRUE((*server)->SetScript("127.0.0.2", rejecting).ok());
  EXPECT_EQ((*server)->SetScript("127.0.0.9", rejecting).code(), absl::StatusCode::kNotFound);

  {
    Client c("127.0.0.1", (*server)->port());
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.ReadReply(), "220 fake-smtp.test ESMTP\r\n");
    c.Send("EHLO me.test\r\n");
    EXPECT_EQ(c.ReadReply(),
              "250-fake-smtp.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n");
    c.Send("NOOP\r\n");
    EXPECT_EQ(c.ReadReply(), "502 5.5.2 command not recognized\r\n");
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadReply(), "221 2.0.0 Bye\r\n");
  }
  {
    Client c("127.0.0.2", (*server)->port());
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.ReadReply(), "554-go away\r\n554 5.7.1 no service\r\n");
    c.Send("EHLO me.test\r\n");
    EXPECT_EQ(c.ReadReply(), "503 5.5.1 no service, only QUIT\r\n");
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadReply(), "221 2.0.0 Bye\r\n");
  }
  EXPECT_EQ((*server)->connections("127.0.0.1"), 1);
  EXPECT_EQ((*server)->connections("127.0.0.2"), 1);
  EXPECT_EQ((*server)->quits("127.0.0.1"), 1);
  EXPECT_EQ((*server)->commands("127.0.0.1"),
            (std::vector<std::string>{"EHLO me.test", "NOOP", "QUIT"}));
  EXPECT_EQ((*server)->total_connections(), 2);
}

TEST(FakeSmtpServerTest, StopEndsAConnectionWaitingForItsGreeting) {
  auto server = FakeSmtpServer::Start({"127.0.0.1"});
  ASSERT_TRUE(server.ok()) << server.status();
  FakeSmtpScript silent;
  silent.greeting_delay = absl::InfiniteDuration();
  ASSERT_TRUE((*server)->SetScript("127.0.0.1", silent).ok());
  Client c("127.0.0.1", (*server)->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE((*server)->WaitForConnections("127.0.0.1", 1, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  (*server)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(c.ReadReply(), "");  // closed without a greeting
}

TEST(FakeSmtpServerTest, RejectsBadAddresses) {
  EXPECT_EQ(FakeSmtpServer::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FakeSmtpServer::Start({"mx.test"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtasts::fakes

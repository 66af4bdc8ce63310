// The fakes checked with plain blocking OpenSSL clients, so a bug in them
// cannot hide behind the same bug in net/tls_stream.
#include "tests/fakes/fake_https_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/loopback_listener.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::fakes {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = LoopbackAddress(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

X509* ParsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// A blocking TLS client that trusts `ca_pem`, sends `request` and returns
// everything until close; *subject gets the server certificate's subject CN.
std::string TlsExchange(int port, const std::string& ca_pem, const std::string& sni,
                        const std::string& request, std::string* subject_cn) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  X509* ca = ParsePem(ca_pem);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  X509_free(ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx);
  const int fd = ConnectLoopback(port);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, sni.c_str());
  std::string out;
  if (SSL_connect(ssl) == 1) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
    *subject_cn = cn;
    X509_free(peer);
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  } else {
    out = "handshake failed";
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  ERR_clear_error();
  return out;
}

TEST(FakeHttpResponseTest, ContentLengthFraming) {
  EXPECT_EQ(FakeHttpResponse::Text("hi").Serialize(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\nhi");
}

TEST(FakeHttpResponseTest, ChunkedFraming) {
  FakeHttpResponse r = FakeHttpResponse::Text("abcdefghij");
  r.framing = FakeHttpResponse::Framing::kChunked;
  r.chunk_size = 4;
  EXPECT_TRUE(absl::EndsWith(r.Serialize(),
                             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             "4\r\nabcd\r\n4\r\nefgh\r\n2\r\nij\r\n0\r\n\r\n"));
}

TEST(FakeHttpResponseTest, RedirectAndRaw) {
  const std::string redirect = FakeHttpResponse::Redirect(301, "https://x.test/").Serialize();
  EXPECT_TRUE(absl::StartsWith(redirect, "HTTP/1.1 301 Moved Permanently\r\n"));
  EXPECT_THAT(redirect, HasSubstr("\r\nLocation: https://x.test/\r\n"));
  FakeHttpResponse raw;
  raw.raw = "whatever";
  EXPECT_EQ(raw.Serialize(), "whatever");
}

TEST(TestCertsTest, IssuedCertificateHasTheSpecifiedNamesDatesAndChain) {
  auto root = *TestCa::CreateRoot("Root");
  auto inter = *root->CreateIntermediate("Inter");
  CertSpec spec = CertSpec::ForHosts({"a.test", "*.b.test"}).Expired(absl::Hours(48));
  spec.ip_addresses = {"127.0.0.1"};
  TestCert cert = *inter->Issue(spec);
  EXPECT_EQ(cert.subject, "CN=a.test,O=mtasts tests");
  EXPECT_LT(cert.not_after, absl::Now() - absl::Hours(47));
  ASSERT_EQ(cert.chain_pem.size(), 1u);
  EXPECT_EQ(cert.chain_pem[0], inter->cert_pem());
  EXPECT_TRUE(cert.WithoutChain().chain_pem.empty());
  X509* x = ParsePem(cert.cert_pem);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x, "a.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x, "c.b.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  X509* issuer = ParsePem(inter->cert_pem());
  EXPECT_EQ(X509_check_issued(issuer, x), X509_V_OK);
  X509_free(issuer);
  X509_free(x);
  const std::string path = *root->WriteCertFile();
  EXPECT_EQ(access(path.c_str(), R_OK), 0);
}

TEST(TestCertsTest, SelfSignedIsItsOwnIssuer) {
  TestCert cert = *MakeSelfSigned(CertSpec::ForHosts({"self.test"}));
  X509* x = ParsePem(cert.cert_pem);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_issued(x, x), X509_V_OK);
  X509_free(x);
}

TEST(FakeHttpsServerTest, ServesOverTlsPicksCertificatesBySniAndRecordsRequests) {
  auto root = *TestCa::CreateRoot("Root");
  FakeHttpsServerOptions options;
  options.certificates.push_back({"", *root->Issue(CertSpec::ForHosts({"default.test"}))});
  options.certificates.push_back({"named.test", *root->Issue(CertSpec::ForHosts({"named.test"}))});
  auto server = *FakeHttpsServer::Start(options);
  server->SetResponse("/p", FakeHttpResponse::Text("policy"));
  std::string cn;
  const std::string reply = TlsExchange(server->port(), root->cert_pem(), "named.test",
                                        "GET /p HTTP/1.1\r\nHost: named.test\r\n\r\n", &cn);
  EXPECT_EQ(cn, "named.test");
  EXPECT_TRUE(absl::EndsWith(reply, "\r\n\r\npolicy")) << reply;
  TlsExchange(server->port(), root->cert_pem(), "other.test", "GET /q HTTP/1.1\r\n\r\n", &cn);
  EXPECT_EQ(cn, "default.test");
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/p");
  EXPECT_EQ(requests[0].sni, "named.test");
  EXPECT_THAT(requests[0].Header("HOST"), Optional(std::string("named.test")));
  EXPECT_EQ(requests[1].target, "/q");
  EXPECT_EQ(server->handshakes(), 2);
  EXPECT_EQ(server->connections(), 2);
}

TEST(FakeHttpsServerTest, StartFailsWithoutADefaultCertificate) {
  auto server = FakeHttpsServer::Start(FakeHttpsServerOptions());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FakeHttpsServerTest, PlainGreetingAndClientCloseAreSeen) {
  FakeHttpsServerOptions options;
  options.tls = false;
  options.plain_greeting = "220 hello\r\n";
  auto server = *FakeHttpsServer::Start(options);
  const int fd = ConnectLoopback(server->port());
  char buf[64];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "220 hello\r\n");
  close(fd);
  EXPECT_TRUE(server->WaitForClientCloses(1, absl::Seconds(5)));
}

TEST(FakeHttpsServerTest, StopWakesAHangingResponse) {
  FakeHttpsServerOptions options;
  options.tls = false;
  auto server = *FakeHttpsServer::Start(options);
  FakeHttpResponse hang = FakeHttpResponse::Text("never");
  hang.delay_before_first_byte = absl::InfiniteDuration();
  server->SetDefaultResponse(hang);
  const int fd = ConnectLoopback(server->port());
  const std::string request = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(server->WaitForRequests(1, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  close(fd);
}

TEST(FullBacklogListenerTest, ConnectsGetNoAnswer) {
  auto listener = *FullBacklogListener::Start();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr = LoopbackAddress(listener->port());
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  pollfd p{fd, POLLOUT, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0) << "the connect completed";
  close(fd);
}

TEST(UnusedLoopbackPortTest, ConnectIsRefused) {
  const int port = *UnusedLoopbackPort();
  EXPECT_EQ(ConnectLoopback(port), -1);
}

}  // namespace
}  // namespace mtasts::fakes

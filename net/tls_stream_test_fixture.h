// The fixture the tls_stream_*_test files share: a reactor, a test CA with an
// intermediate, fake servers, and synchronous wrappers around TlsStream's
// callback API.

#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "net/tls_stream.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {

inline constexpr char kHost[] = "mta-sts.example.test";
inline constexpr absl::Duration kWait = absl::Seconds(10);

// Fails with the whole error when the failure kind differs.
MATCHER_P(FailsWith, failure, "") {
  if (arg.failure == failure) return true;
  *result_listener << "got " << arg.ToString();
  return false;
}


class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reactor_ = *Reactor::Create("tls-test");
    root_ = *fakes::TestCa::CreateRoot("Test Root CA");
    inter_ = *root_->CreateIntermediate("Test Intermediate CA");
    ca_file_ = *root_->WriteCertFile();
    TlsClientOptions options;
    options.ca_file = ca_file_;
    options.intermediates_file = *fakes::WriteTempFile(inter_->cert_pem(), ".pem");
    ctx_ = *TlsClientContext::Create(options);
  }

  void TearDown() override {
    RunSync(reactor_.get(), [this] { stream_.reset(); });
    servers_.clear();
    reactor_.reset();
  }

  // A TLS server presenting `cert` (through the intermediate unless the
  // test removed the chain).
  fakes::FakeHttpsServer* Serve(const fakes::TestCert& cert,
                                fakes::FakeHttpsServerOptions options = {}) {
    if (options.tls && options.certificates.empty()) {
      options.certificates.push_back({"", cert});
    }
    auto server = fakes::FakeHttpsServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    servers_.push_back(*std::move(server));
    return servers_.back().get();
  }

  fakes::FakeHttpsServer* ServePlain(fakes::FakeHttpsServerOptions options) {
    options.tls = false;
    return Serve(fakes::TestCert(), std::move(options));
  }

  fakes::TestCert Leaf(const fakes::CertSpec& spec) { return *inter_->Issue(spec); }

  // A server for kHost that speaks only the TLS versions min to max.
  fakes::FakeHttpsServer* ServeVersions(fakes::FakeTlsVersion min, fakes::FakeTlsVersion max) {
    fakes::FakeHttpsServerOptions options;
    options.min_version = min;
    options.max_version = max;
    return Serve(Leaf(fakes::CertSpec::ForHosts({kHost})), options);
  }

  struct Outcome {
    NetError error;
    TlsInfo tls;
    absl::Duration elapsed;
  };

  // ConnectTls to 127.0.0.1:port; keeps the stream in stream_.
  Outcome Handshake(int port, const std::string& host = kHost,
                    absl::Duration connect_timeout = absl::Seconds(2),
                    absl::Duration handshake_timeout = absl::Seconds(2),
                    const TlsClientContext* ctx = nullptr) {
    TlsParams params;
    params.host = host;
    params.handshake_timeout = handshake_timeout;
    return HandshakeWith(port, params, connect_timeout, ctx);
  }

  // Handshake with every TlsParams the caller's.
  Outcome HandshakeWith(int port, const TlsParams& params,
                        absl::Duration connect_timeout = absl::Seconds(2),
                        const TlsClientContext* ctx = nullptr) {
    Outcome out;
    absl::Notification done;
    const absl::Time start = absl::Now();
    RunSync(reactor_.get(), [&] {
      stream_ = *TlsStream::Create(reactor_.get(), ctx != nullptr ? ctx : ctx_.get());
      stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(port), connect_timeout, params,
                          [&](NetError e) {
                            out.error = std::move(e);
                            out.tls = stream_->tls_info();
                            out.elapsed = absl::Now() - start;
                            done.Notify();
                          });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  // Handshake with a plain TCP server (ServePlain) that `options` set up.
  Outcome HandshakePlain(fakes::FakeHttpsServerOptions options) {
    return Handshake(ServePlain(std::move(options))->port());
  }

  // Runs one stream operation on the reactor and waits for its callback.
  NetError WriteSync(std::string data) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      stream_->Write(std::move(data), [&](NetError e) {
        out = std::move(e);
        done.Notify();
      });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  ReadResult ReadSync(bool line, size_t max) {
    ReadResult out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      auto cb = [&](ReadResult r) {
        out = std::move(r);
        done.Notify();
      };
      if (line) {
        stream_->ReadLine(max, cb);
      } else {
        stream_->Read(max, cb);
      }
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  NetError StartTlsSync(const std::string& host) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      TlsParams params;
      params.host = host;
      params.handshake_timeout = absl::Seconds(2);
      stream_->StartTls(params, [&](NetError e) {
        out = std::move(e);
        done.Notify();
      });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  NetError ConnectPlainSync(int port) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
      stream_->Connect("127.0.0.1", static_cast<uint16_t>(port), absl::Seconds(2),
                       [&](NetError e) {
                         out = std::move(e);
                         done.Notify();
                       });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<fakes::TestCa> root_;
  std::unique_ptr<fakes::TestCa> inter_;
  std::string ca_file_;
  std::unique_ptr<TlsClientContext> ctx_;
  std::unique_ptr<TlsStream> stream_;  // reactor thread only
  std::vector<std::unique_ptr<fakes::FakeHttpsServer>> servers_;
};

}  // namespace mtasts::net

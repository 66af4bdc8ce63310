#include "net/dns_stream_test_fixture.h"

#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

std::string BigTxt() {
  // Three 255-byte strings: 765 bytes of TXT, over UDP's 512 without EDNS.
  std::string s;
  for (int i = 0; i < 3; ++i) s += absl::StrCat(" \"", std::string(255, 'a' + i), "\"");
  return s;
}

}  // namespace

void DnsStreamTransportTest::SetUpTestSuite() {
  using fakes::CertSpec;
  using fakes::TestCa;
  using fakes::UnboundDox;
  auto root = TestCa::CreateRoot("DoX Test Root");
  ASSERT_TRUE(root.ok()) << root.status();
  CertSpec spec = CertSpec::ForHosts({"dns.test"});
  spec.ip_addresses = {"127.0.0.1"};
  auto cert = (*root)->Issue(spec);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto ca_file = (*root)->WriteCertFile();
  ASSERT_TRUE(ca_file.ok());
  ca_file_ = new std::string(*ca_file);
  auto other = TestCa::CreateRoot("Some Other Root");
  ASSERT_TRUE(other.ok());
  auto other_file = (*other)->WriteCertFile();
  ASSERT_TRUE(other_file.ok());
  other_ca_file_ = new std::string(*other_file);

  UnboundDox::Options o;
  o.cert = *cert;
  for (int i = 0; i < kNames; ++i) {
    o.local_data.push_back(
        absl::StrCat("d", i, ".example.test. 300 IN TXT \"v=STSv1; id=", i, "\""));
  }
  o.local_data.push_back(absl::StrCat("big.example.test. 300 IN TXT", BigTxt()));
  dox_.Start(UnboundDox::Start(o));
}

fakes::SuiteLab<fakes::UnboundDox> DnsStreamTransportTest::dox_;
std::string* DnsStreamTransportTest::ca_file_ = nullptr;
std::string* DnsStreamTransportTest::other_ca_file_ = nullptr;

}  // namespace mtasts::net

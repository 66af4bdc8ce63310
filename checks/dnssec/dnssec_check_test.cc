#include "checks/dnssec/dnssec_check.h"

#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

TEST(ValidateDnssecSettingsTest, NamesTheFlag) {
  ProbeSettings s;
  EXPECT_TRUE(ValidateDnssecSettings(s).ok()) << "default: Debian's root key, full recursion";
  s.trust_anchor_file = "/nonexistent/anchor";
  absl::Status st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--trust_anchor_file: ", 0), 0u) << st.message();
  s.trust_anchor_file = "";
  s.dnssec_forwarder = "not-an-ip";
  st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--dnssec_forwarder: ", 0), 0u) << st.message();
  s.dnssec_forwarder = "127.0.0.53";
  EXPECT_TRUE(ValidateDnssecSettings(s).ok());
  // The flag follows from which setting is wrong, not from the words of the
  // message: a trust anchor path that mentions a forwarder is still the
  // trust anchor's fault.
  s.trust_anchor_file = "/nonexistent/forwarder.key";
  st = ValidateDnssecSettings(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--trust_anchor_file: ", 0), 0u) << st.message();
}

TEST(DnssecCheckTest, ContractBits) {
  DnssecCheck check;
  EXPECT_EQ(check.name(), "dnssec");
  EXPECT_EQ(check.inputs(), std::vector<Input>{Input::kMxSet});
}

}  // namespace
}  // namespace mtasts::checks

#include "server/domain_name.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

using ::testing::HasSubstr;

// n labels of `len` octets each: "aaa.bbb..." (len * n + n - 1 octets).
std::string Labels(int n, int len) {
  std::vector<std::string> labels;
  for (int i = 0; i < n; ++i) labels.push_back(std::string(len, 'a' + i % 26));
  return absl::StrJoin(labels, ".");
}

// A name of exactly `octets` octets: 63-octet labels, then the rest, ".com".
std::string NameOfLength(size_t octets) {
  std::string name = "com";
  while (name.size() < octets) {
    const size_t remaining = octets - name.size();  // >= 2 on every pass
    size_t len = remaining - 1 > 63 ? 63 : remaining - 1;
    if (remaining - (len + 1) == 1) --len;  // never leave a gap of one octet
    name = absl::StrCat(std::string(len, 'x'), ".", name);
  }
  return name;
}

struct Bad {
  std::string input;
  std::string message;  // a substring of the status message
};

class RejectsTest : public ::testing::TestWithParam<Bad> {};

TEST_P(RejectsTest, InvalidArgumentSayingWhy) {
  const Bad& c = GetParam();
  absl::StatusOr<DomainName> d = NormalizeDomain(c.input);
  ASSERT_FALSE(d.ok()) << "accepted as " << d->ascii;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, RejectsTest,
    ::testing::Values(
        // Empty, whitespace, control characters, encoding.
        Bad{"", "domain is empty"},
        Bad{" example.com", "starts with whitespace (a space)"},
        Bad{"example.com ", "ends with whitespace (a space)"},
        Bad{"example.com\n", "ends with whitespace (a line feed)"},
        Bad{"\r\nexample.com", "starts with whitespace (a carriage return)"},
        Bad{"exa mple.com", "contains whitespace (a space) at character 4"},
        Bad{"exam\tple.com", "contains whitespace (a tab) at character 5"},
        Bad{"example.com\xC2\xA0", "ends with whitespace (a no-break space (U+00A0))"},
        Bad{"exa\xE2\x80\x8Bmple.com", "whitespace (a zero-width space (U+200B))"},
        Bad{"bü cher.de", "contains whitespace (a space) at character 3"},
        Bad{"exa\x01mple.com", "contains a control character (0x01) at character 4"},
        Bad{"example\x7F.com", "contains a control character (0x7F) at character 8"},
        Bad{std::string("example\0.com", 12), "control character (0x00) at character 8"},
        Bad{"bü\xC2\x85" "cher.de", "control character (U+0085) at character 3"},
        Bad{"\xFF" "example.com", "is not valid UTF-8 (byte 0xFF at offset 0)"},
        Bad{"b\xC3", "is not valid UTF-8 (byte 0xC3 at offset 1)"},
        Bad{"\xC0\xAE" "example.com", "is not valid UTF-8"},  // overlong "."
        Bad{"\xED\xA0\x80.com", "is not valid UTF-8"},       // surrogate
        // Addresses.
        Bad{"1.2.3.4", "is an IPv4 address; MTA-STS applies to mail domains"},
        Bad{"192.0.2.1.", "is an IPv4 address"},
        Bad{"::1", "is an IPv6 address;"},
        Bad{"2001:db8::25", "is an IPv6 address;"},
        Bad{"fe80::1%eth0", "is an IPv6 address;"},
        Bad{"::ffff:192.0.2.1", "is an IPv6 address;"},
        Bad{"[::1]", "is an IPv6 address literal"},
        Bad{"[2001:db8::1]:25", "is an IPv6 address literal"},
        Bad{"[example.com]", "starts with '['; pass a domain name, without brackets"},
        Bad{"127.1", "ends with an all-numeric label (\"1\")"},
        Bad{"1.2.3.256", "ends with an all-numeric label (\"256\")"},
        // URLs, e-mail addresses, ports.
        Bad{"https://example.com/.well-known/mta-sts.txt",
            "looks like a URL; pass the domain only, e.g. example.com"},
        Bad{"http://user:pw@Mail.Example.org:8080/x?y",
            "looks like a URL; pass the domain only, e.g. mail.example.org"},
        Bad{"https://", "looks like a URL; pass the domain only, e.g. example.com"},
        Bad{"example.com/path",
            "contains '/' at character 12, so it looks like a URL; pass the "
            "domain only, e.g. example.com"},
        Bad{"user@example.com",
            "looks like an e-mail address; pass the part after @, e.g. example.com"},
        Bad{"mailto:postmaster@example.net", "pass the part after @, e.g. example.net"},
        Bad{"user@bücher.example", "pass the part after @, e.g. bücher.example"},
        Bad{"@", "looks like an e-mail address; pass the part after @"},
        Bad{"example.com:25", "has a port (\":25\"); pass the domain only, e.g. example.com"},
        Bad{"example.com:", "contains ':' at character 12; a domain name has no colons"},
        Bad{"a:b:c", "contains ':' at character 2"},
        // Lengths.
        Bad{NameOfLength(254), "is too long: 254 octets; a domain name has at most 253"},
        Bad{NameOfLength(254) + ".", "is too long: 254 octets"},
        Bad{std::string(2000, 'a'), "is 2000 octets long; a domain name has at most 253"},
        Bad{std::string(64, 'a') + ".com",
            "label 1 (\"aaaaaaaaaaaaaaaaaaaa...\") is 64 octets long; a label has "
            "at most 63"},
        Bad{"mail." + std::string(70, 'b') + ".com", "label 2 (\"bbbb"},
        Bad{std::string(60, 'a') + "ü.de",  // fine as Unicode, too long as an A-label
            "longer than 63 octets once converted to an A-label"},
        Bad{Labels(1, 200) + "ü.de", "longer than 63 octets once converted"},
        // Dots and labels.
        Bad{"a..b.com", "has an empty label (two dots in a row) after label 1"},
        Bad{".example.com", "starts with a dot"},
        Bad{"example.com..", "ends with more than one dot"},
        Bad{".", "is only the root (\".\")"},
        Bad{"..", "starts with a dot"},
        Bad{"a\xE3\x80\x82\xE3\x80\x82" "b.com", "has an empty label"},  // a。。b.com
        Bad{"_mta-sts.example.com",
            "has an underscore in label 1 (\"_mta-sts\") at character 1 of the "
            "label; host names allow only letters, digits and hyphens; pass the "
            "mail domain itself"},
        Bad{"foo_bar.example.com", "has an underscore in label 1 (\"foo_bar\") at character 4"},
        Bad{"mail.ex_ample.com", "underscore in label 2"},
        Bad{"exa!mple.com", "has '!' in label 1 (\"exa!mple\") at character 4"},
        Bad{"exa\"mple.com", "has '\"' in label 1"},
        Bad{"*.example.com", "has '*' in label 1"},
        Bad{"-example.com", "has a label starting with a hyphen (label 1, \"-example\")"},
        Bad{"example-.com", "has a label ending with a hyphen (label 1, \"example-\")"},
        Bad{"mail.example.-com", "starting with a hyphen (label 3"},
        // A-labels and U-labels.
        Bad{"xn--zz.example", "has an invalid A-label (Punycode) in label 1 (\"xn--zz\")"},
        Bad{"xn--.example", "has a label ending with a hyphen (label 1, \"xn--\")"},
        Bad{"mail.xn--bcher-kva-.example", "ending with a hyphen"},
        Bad{"xn--abc.example", "invalid A-label (Punycode)"},
        Bad{"xn--ls8h.la", "invalid A-label (Punycode) in label 1 (\"xn--ls8h\"): "
                           "string contains a disallowed character"},
        Bad{"-bücher.de", "has an invalid internationalized label (label 1"},
        Bad{"\xE2\x98\x95.com", "has an invalid internationalized label (label 1, "
                                "\"\xE2\x98\x95\"): string contains a disallowed "
                                "character"},
        Bad{"xn--bücher.de", "invalid internationalized label"},
        // Shapes that are not mail domains.
        Bad{"localhost", "is a single label; pass a full mail domain such as example.com"},
        Bad{"com.", "is a single label"},
        Bad{"bücher", "is a single label"},
        Bad{"example.123", "ends with an all-numeric label (\"123\"); top-level "
                           "domains are never numeric"}));

struct Good {
  std::string input;
  std::string ascii;
  std::string unicode;
};

// One case per spelling, in this order.
std::vector<Good> AcceptedCases() {
  std::vector<Good> cases;
  // Each of `inputs` normalizes to `ascii` and `unicode`.
  const auto spellings = [&](std::vector<std::string> inputs, const std::string& ascii,
                             const std::string& unicode) {
    for (std::string& input : inputs) cases.push_back({std::move(input), ascii, unicode});
  };
  // Each of `names` is already in normal form, both ways.
  const auto unchanged = [&](const std::vector<std::string>& names) {
    for (const std::string& name : names) cases.push_back({name, name, name});
  };
  spellings({"example.com", "Example.COM", "example.com."}, "example.com", "example.com");
  unchanged({"a.b", "mail.example.co.uk", "1password.com", "123.example", "example.co1",
             "ab--cd.example",  // R-LDH: a host name
             "mx-1.mail-relay.example"});
  // IDN.
  spellings({"bücher.example", "bücher.example.", "BÜCHER.Example", "BüCher.EXAMPLE",
             "xn--bcher-kva.example", "XN--BCHER-KVA.example", "Xn--Bcher-Kva.Example."},
            "xn--bcher-kva.example", "bücher.example");
  spellings({"mail.bücher.example"}, "mail.xn--bcher-kva.example", "mail.bücher.example");
  spellings({"faß.de"}, "xn--fa-hia.de", "faß.de");  // non-transitional: ß stays
  spellings({"βόλος.com"}, "xn--nxasmm1c.com", "βόλος.com");
  spellings({"münchen\xE3\x80\x82" "de"}, "xn--mnchen-3ya.de", "münchen.de");  // 。
  spellings({"\xEF\xBD\x85\xEF\xBD\x98\xEF\xBD\x81\xEF\xBD\x8D\xEF\xBD\x90\xEF\xBD"
             "\x8C\xEF\xBD\x85\xEF\xBC\x8E\xEF\xBD\x83\xEF\xBD\x8F\xEF\xBD\x8D"},
            "example.com", "example.com");  // ｅｘａｍｐｌｅ．ｃｏｍ
  spellings({"ab--cd.bücher.example"}, "ab--cd.xn--bcher-kva.example", "ab--cd.bücher.example");
  // Lengths at the limits.
  spellings({NameOfLength(253), NameOfLength(253) + "."}, NameOfLength(253), NameOfLength(253));
  unchanged({std::string(63, 'a') + ".com"});
  return cases;
}

class AcceptsTest : public ::testing::TestWithParam<Good> {};

TEST_P(AcceptsTest, NormalizesBothForms) {
  const Good& c = GetParam();
  absl::StatusOr<DomainName> d = NormalizeDomain(c.input);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->ascii, c.ascii);
  EXPECT_EQ(d->unicode, c.unicode);
}

INSTANTIATE_TEST_SUITE_P(Table, AcceptsTest, ::testing::ValuesIn(AcceptedCases()));

TEST(NormalizeDomainTest, HelpersBuildWhatTheyClaim) {
  EXPECT_EQ(NameOfLength(253).size(), 253u);
  EXPECT_EQ(NameOfLength(254).size(), 254u);
}

TEST(NormalizeDomainTest, MessagesQuoteTheInputSafely) {
  // Control characters are escaped, long input is cut, Unicode stays readable.
  const struct {
    std::string input;
    std::string quoted;  // a substring of the status message
  } kCases[] = {
      {"a\x01" "b.com", "domain \"a\\x01\\x62.com\""},  // 'b' escaped: "\x01b" would be one byte
      {std::string(300, 'a') + ".com", "...\" (304 octets)"},
      {"\xFF\xFE.com", "\"\\xff\\xfe.com\""},  // invalid UTF-8 is hex-escaped
      {"bü_cher.de", "domain \"bü_cher.de\""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.quoted);
    absl::StatusOr<DomainName> d = NormalizeDomain(c.input);
    ASSERT_FALSE(d.ok());
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(c.quoted));
  }
}

}  // namespace
}  // namespace mtasts::server

// NormalizeDomain fed with deterministic random and mutated input: it must
// never crash, must reject with INVALID_ARGUMENT only, and everything it
// accepts must be a fixed point (both forms normalize back to the same name).
// Runs in well under a second; under --config=asan it also checks memory use.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "server/domain_name.h"

namespace mtasts::server {
namespace {

constexpr int kIterations = 6000;

const std::vector<std::string>& Seeds() {
  static const auto* seeds = new std::vector<std::string>{
      "example.com", "Example.COM.", "mail.example.co.uk", "bücher.example",
      "XN--BCHER-KVA.example", "faß.de", "βόλος.com", "münchen\xE3\x80\x82" "de",
      "xn--fa-hia.de", "xn--nxasmm1c.com", "ab--cd.example", "1.2.3.4", "[::1]",
      "user@example.com", "https://example.com/x", "example.com:25",
      "_mta-sts.example.com", "a..b", "xn--zz.example", "localhost",
      "\xEF\xBD\x85\xEF\xBD\x98.com", "a-b.c-d.e", "123.example"};
  return *seeds;
}

// Pieces that make interesting names when glued together.
const std::vector<std::string>& Tokens() {
  static const auto* tokens = new std::vector<std::string>{
      "a", "Z", "0", "9", "-", ".", "..", "_", "@", ":", "/", "[", "]", "%",
      "xn--", "XN--", "ü", "Ü", "ß", "ς", "Σ", "\xE3\x80\x82", "\xEF\xBC\x8E",
      "\xE2\x80\x8D", "\xD9\xA1", "\xD7\x90", "\xE2\x98\x95", "\xC2\xA0", " ",
      "\t", "\x01", "\x7F", "\xFF", "\xC3", "com", "example", "bcher-kva",
      "xn--bcher-kva", "xn--nxasmm1c", std::string(63, 'q'), "://"};
  return *tokens;
}

// Labels that are valid alone, so joined names often pass.
const std::vector<std::string>& GoodLabels() {
  static const auto* labels = new std::vector<std::string>{
      "a", "mail", "MX1", "example", "co", "uk", "b\xC3\xBC" "cher", "B\xC3\x9C" "CHER",
      "fa\xC3\x9F", "\xCE\xB2\xCF\x8C\xCE\xBB\xCE\xBF\xCF\x82", "xn--bcher-kva",
      "XN--FA-HIA", "ab--cd", "123", "x-y", "\xD7\x90\xD7\x91", "\xE4\xB8\xAD\xE6\x96\x87",
      "\xD9\x85\xD8\xAB\xD8\xA7\xD9\x84", std::string(63, 'z')};
  return *labels;
}

std::string RandomInput(std::mt19937& rng) {
  std::uniform_int_distribution<int> kind(0, 4);
  std::string s;
  switch (kind(rng)) {
    case 0: {  // random bytes
      std::uniform_int_distribution<int> len(0, 40), byte(0, 255);
      for (int n = len(rng); n > 0; --n) s += static_cast<char>(byte(rng));
      break;
    }
    case 1: {  // printable ASCII
      std::uniform_int_distribution<int> len(0, 70), byte(0x20, 0x7E);
      for (int n = len(rng); n > 0; --n) s += static_cast<char>(byte(rng));
      break;
    }
    case 2: {  // tokens
      std::uniform_int_distribution<int> len(1, 12);
      std::uniform_int_distribution<size_t> pick(0, Tokens().size() - 1);
      for (int n = len(rng); n > 0; --n) s += Tokens()[pick(rng)];
      break;
    }
    case 3: {  // labels that are good alone, joined with some dot
      static const char* const kDots[] = {".", ".", ".", "\xE3\x80\x82", "\xEF\xBC\x8E"};
      std::uniform_int_distribution<int> len(1, 5), dot(0, 4);
      std::uniform_int_distribution<size_t> pick(0, GoodLabels().size() - 1);
      for (int n = len(rng); n > 0; --n) {
        if (!s.empty()) s += kDots[dot(rng)];
        s += GoodLabels()[pick(rng)];
      }
      if (dot(rng) == 0) s += ".";
      break;
    }
    default: {  // a mutated seed
      std::uniform_int_distribution<size_t> pick(0, Seeds().size() - 1);
      s = Seeds()[pick(rng)];
      std::uniform_int_distribution<int> edits(1, 4), op(0, 3), byte(0, 255);
      std::uniform_int_distribution<size_t> tok(0, Tokens().size() - 1);
      for (int n = edits(rng); n > 0; --n) {
        std::uniform_int_distribution<size_t> at(0, s.size());
        const size_t i = at(rng);
        switch (op(rng)) {
          case 0: s.insert(i, Tokens()[tok(rng)]); break;
          case 1: if (i < s.size()) s.erase(i, 1); break;
          case 2: if (i < s.size()) s[i] = static_cast<char>(byte(rng)); break;
          default: s = s.substr(0, i) + s; break;  // duplicate a prefix
        }
      }
    }
  }
  return s;
}

TEST(NormalizeDomainFuzzTest, NoCrashAndAcceptedNamesAreFixedPoints) {
  std::mt19937 rng(20240301);  // fixed: a failure reproduces
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = RandomInput(rng);
    absl::StatusOr<DomainName> d = NormalizeDomain(input);
    if (!d.ok()) {
      ASSERT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument)
          << d.status();
      ASSERT_FALSE(d.status().message().empty());
      continue;
    }
    ++accepted;
    SCOPED_TRACE(input);
    const std::string& a = d->ascii;
    ASSERT_FALSE(a.empty());
    ASSERT_LE(a.size(), 253u);
    ASSERT_NE(a.back(), '.');
    for (char c : a) {
      ASSERT_TRUE(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' ||
                  c == '.')
          << a;
    }
    absl::StatusOr<DomainName> again = NormalizeDomain(a);
    ASSERT_TRUE(again.ok()) << a << ": " << again.status();
    EXPECT_EQ(again->ascii, a);
    EXPECT_EQ(again->unicode, d->unicode);
    absl::StatusOr<DomainName> from_unicode = NormalizeDomain(d->unicode);
    ASSERT_TRUE(from_unicode.ok()) << d->unicode << ": " << from_unicode.status();
    EXPECT_EQ(from_unicode->ascii, a);
    EXPECT_EQ(from_unicode->unicode, d->unicode);
  }
  // The generator must reach the accepting paths, not only the rejections.
  EXPECT_GT(accepted, kIterations / 10);
  std::printf("%d of %d inputs accepted\n", accepted, kIterations);
}

}  // namespace
}  // namespace mtasts::server

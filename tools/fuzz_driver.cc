// Runs a libFuzzer target without libFuzzer, so that `bazel test //...`
// exercises every fuzzer with the ordinary toolchain:
//
//   fuzz_driver_test [SEED_DIR_OR_FILE]...
//
// It runs LLVMFuzzerTestOneInput on every seed file (directories are read
// one level deep, in name order), then on FUZZ_DRIVER_RUNS (default 5000)
// mutations of them: byte flips, insertions of tokens from the record
// grammars, deletions, duplications, splices. The pseudo-random sequence is
// fixed, so a failure reproduces run after run; FUZZ_DRIVER_VERBOSE=1 prints
// each input (escaped) before running it, to find the one that crashed.
// A target reports a bug by crashing (abort, sanitizer); the driver exits 0
// when every input ran, 2 when a seed cannot be read or FUZZ_DRIVER_RUNS is
// not a whole number.
//
// For real coverage-guided fuzzing build the same target with clang's
// -fsanitize=fuzzer instead: see tools/build_fuzzers.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr size_t kMaxInputBytes = 16384;
constexpr int kDefaultRuns = 5000;

// Fragments that take mutations deep into the TXT record parsers.
constexpr std::string_view kTokens[] = {
    "v=STSv1",
    "v=TLSRPTv1",
    "V=STSv1",
    "v=tlsrptv1",
    ";",
    "; ",
    " ;",
    "=",
    " = ",
    "id=",
    "rua=",
    "mailto:",
    "https://",
    "http://",
    "@",
    ",",
    " , ",
    "!",
    "%2C",
    "%",
    "%zz",
    " ",
    "\t",
    "\n",
    "\r",
    std::string_view("\0", 1),
    "\x7f",
    "\xff",
    "\xc3\xa9",
    "example.com",
    "[::1]",
    ":443",
    "?",
    "#",
    "-",
    "+",
    ".",
    "..",
    "_",
    "ext=val",
    "01234567890123456789012345678901",
    "20160831085700Z",
};

std::string Escape(const std::string& s) {
  std::string out;
  char buf[8];
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> ReadSeeds(int argc, char** argv) {
  std::vector<std::string> seeds;
  auto read_file = [&seeds](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "fuzz_driver: cannot read " << path << "\n";
      std::exit(2);
    }
    seeds.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  };
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) read_file(file);
    } else {
      read_file(path);
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  return seeds;
}

class Mutator {
 public:
  explicit Mutator(const std::vector<std::string>& seeds) : seeds_(seeds) {}

  std::string Next() {
    std::string s = seeds_[Below(seeds_.size())];
    const int steps = 1 + static_cast<int>(Below(4));
    for (int i = 0; i < steps; ++i) MutateOnce(s);
    if (s.size() > kMaxInputBytes) s.resize(kMaxInputBytes);
    return s;
  }

 private:
  size_t Below(size_t n) { return n == 0 ? 0 : rng_() % n; }

  void MutateOnce(std::string& s) {
    switch (Below(7)) {
      case 0:  // flip a byte to any value
        if (!s.empty()) s[Below(s.size())] = static_cast<char>(rng_());
        break;
      case 1: {  // insert a grammar token
        const std::string_view token = kTokens[Below(std::size(kTokens))];
        s.insert(Below(s.size() + 1), token.data(), token.size());
        break;
      }
      case 2:  // delete a range
        if (!s.empty()) {
          size_t at = Below(s.size());
          s.erase(at, 1 + Below(std::min<size_t>(16, s.size() - at)));
        }
        break;
      case 3:  // duplicate a range
        if (!s.empty()) {
          size_t at = Below(s.size());
          size_t len = 1 + Below(std::min<size_t>(32, s.size() - at));
          s.insert(Below(s.size() + 1), s.substr(at, len));
        }
        break;
      case 4: {  // splice with another seed
        const std::string& other = seeds_[Below(seeds_.size())];
        s = s.substr(0, Below(s.size() + 1)) +
            other.substr(Below(other.size() + 1));
        break;
      }
      case 5:  // repeat the whole input (many records, long records)
        if (s.size() < kMaxInputBytes / 2) s += (Below(2) ? "\n" : "") + s;
        break;
      default:  // flip one letter's case
        if (!s.empty()) {
          char& c = s[Below(s.size())];
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) c ^= 0x20;
        }
        break;
    }
  }

  const std::vector<std::string>& seeds_;
  std::mt19937_64 rng_{0x6d7461737473ULL};  // fixed: failures reproduce
};

// FUZZ_DRIVER_RUNS, or kDefaultRuns when unset. Exits 2 on anything but a
// whole number from 0 to kMaxRuns: atoi would read "5k" as 5 and "lots" as
// 0, silently running the seeds alone.
int RunsFromEnv() {
  constexpr long kMaxRuns = 100000000;
  const char* env = std::getenv("FUZZ_DRIVER_RUNS");
  if (env == nullptr) return kDefaultRuns;
  const std::string text(env);
  long runs = 0;
  bool ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9' || runs > kMaxRuns) {
      ok = false;
      break;
    }
    runs = runs * 10 + (c - '0');
  }
  if (!ok || runs > kMaxRuns) {
    std::cerr << "fuzz_driver: FUZZ_DRIVER_RUNS=\"" << Escape(text)
              << "\" is not a number of mutations (a whole number from 0 to "
              << kMaxRuns << "; default " << kDefaultRuns << ")\n";
    std::exit(2);
  }
  return static_cast<int>(runs);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = RunsFromEnv();
  const std::vector<std::string> seeds = ReadSeeds(argc, argv);
  const bool verbose = std::getenv("FUZZ_DRIVER_VERBOSE") != nullptr;

  auto run = [verbose](const std::string& input) {
    if (verbose) std::cerr << "input: " << Escape(input) << "\n";
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                           input.size());
  };
  for (const std::string& seed : seeds) run(seed);
  Mutator mutator(seeds);
  for (int i = 0; i < runs; ++i) run(mutator.Next());
  std::cout << "fuzz_driver: " << seeds.size() << " seeds and " << runs
            << " mutations ran without a crash\n";
  return 0;
}

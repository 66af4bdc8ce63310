#include "server/flag_file.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  const char* dir = getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(TempDir(), "/", name);
  FILE* f = fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr) << path;
  if (f == nullptr) return path;
  fwrite(contents.data(), 1, contents.size(), f);
  fclose(f);
  return path;
}

TEST(FlagFileTest, ReadsTheWholeFile) {
  const std::string path = WriteFile("whole.txt", "one\ntwo\n");
  auto text = ReadFlagFile("--config", path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "one\ntwo\n");
  const std::string empty = WriteFile("empty.txt", "");
  EXPECT_EQ(ReadFlagFile("--config", empty).value_or("not read"), "");
}

TEST(FlagFileTest, ADirectoryIsRefusedNotReadAsEmpty) {
  auto text = ReadFlagFile("--config", TempDir());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(text.status().message(),
            absl::StrCat("--config ", TempDir(), ": is a directory, not a file"));
}

TEST(FlagFileTest, AMissingFileIsNamedWithTheReason) {
  auto text = ReadFlagFile("--tls_key", "/nonexistent/key.pem");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(text.status().message(), "--tls_key /nonexistent/key.pem: No such file or directory");
  EXPECT_EQ(ReadFlagFile("--config", "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagFileTest, ReadingIsBounded) {
  const std::string path = WriteFile("big.txt", std::string(1000, 'x'));
  EXPECT_TRUE(ReadFlagFile("--config", path, 1000).ok());
  auto text = ReadFlagFile("--config", path, 999);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(text.status().message(), HasSubstr("larger than 999 bytes"));
  // A device that never ends stops at the bound.
  EXPECT_THAT(ReadFlagFile("--config", "/dev/zero").status().message(), HasSubstr("larger than"));
}

}  // namespace
}  // namespace mtasts::server

#include "server/process_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

TEST(ParseProcStat, ReadsFieldsAfterACommandNameWithSpacesAndParens) {
  // Fields 3..24 after "pid (comm)"; utime 14 = 250, stime 15 = 150,
  // threads 20 = 7, starttime 22 = 1000, vsize 23, rss 24 = 10 pages.
  const char stat[] =
      "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 "
      "123456789 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  ProcessStats stats;
  double start = 0;
  ASSERT_TRUE(ParseProcStat(stat, 100, 4096, &stats, &start).ok());
  EXPECT_DOUBLE_EQ(stats.cpu_seconds, 4.0);
  EXPECT_EQ(stats.threads, 7);
  EXPECT_EQ(stats.virtual_bytes, 123456789);
  EXPECT_EQ(stats.resident_bytes, 40960);
  EXPECT_DOUBLE_EQ(start, 10.0);
}

TEST(ParseProcStat, RefusesTruncatedOrForeignText) {
  ProcessStats stats;
  double start = 0;
  EXPECT_FALSE(ParseProcStat("", 100, 4096, &stats, &start).ok());
  EXPECT_FALSE(ParseProcStat("1234 (x) S 1 2 3", 100, 4096, &stats, &start).ok());
  EXPECT_FALSE(ParseProcStat("no parenthesis here at all", 100, 4096, &stats, &start).ok());
}

TEST(ReadProcessStats, SeesThreadsAndFilesThisProcessOpens) {
  auto before = ReadProcessStats();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_GT(before->resident_bytes, 0);
  EXPECT_GE(before->threads, 1);
  EXPECT_GT(before->max_fds, 0);
  EXPECT_GT(before->start_time_seconds, absl::ToUnixSeconds(absl::Now()) - 3600.0);
  EXPECT_LE(before->start_time_seconds, absl::ToUnixSeconds(absl::Now()) + 1.0);

  int fds[3];
  for (int& fd : fds) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  absl::Notification stop;
  std::thread extra([&] { stop.WaitForNotification(); });
  auto after = ReadProcessStats();
  stop.Notify();
  extra.join();
  for (int fd : fds) close(fd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->open_fds, before->open_fds + 3);
  EXPECT_EQ(after->threads, before->threads + 1);
  EXPECT_GE(after->cpu_seconds, before->cpu_seconds);
}

}  // namespace
}  // namespace mtasts::server

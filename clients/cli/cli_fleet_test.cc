// mtasts fleet against the fake checker: lists, output, errors, exit status
// and flow control.
#include <atomic>
#include <cstdint>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli/cli.h"
#include "clients/cli/cli_test_fixture.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::FleetEvent;
using ::mtasts::v1::FleetRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// --- fleet -----------------------------------------------------------------

constexpr char kList[] =
    "# customers\n"                    // 1
    "\n"                               // 2
    "good.example acme-1\n"            // 3
    "   weak.example\n"                // 4: tagged "4"
    "  # indented comment\n"           // 5
    "absent.example\tacme-3 # note\n"  // 6
    "xn--bcher-kva.example\r\n";       // 7: CRLF

TEST_F(CliTest, FleetFromFilePrintsLinePerEntryAndSummary) {
  CliResult r = Run({"fleet", WriteList(kList)});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");

  // On the wire each tag carries the library's sequence number (it matches
  // events to entries across backends); the output shows the list's tags.
  std::vector<FleetRequest> sent = fake_.fleet_requests();
  ASSERT_EQ(sent.size(), 4);
  EXPECT_EQ(sent[0].domain(), "good.example");
  EXPECT_EQ(sent[0].tag(), "0:acme-1");
  EXPECT_EQ(sent[1].domain(), "weak.example");
  EXPECT_EQ(sent[1].tag(), "1:4");
  EXPECT_EQ(sent[2].tag(), "2:acme-3");
  EXPECT_EQ(sent[3].domain(), "xn--bcher-kva.example");
  EXPECT_EQ(sent[3].tag(), "3:7");

  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 5);
  EXPECT_EQ(lines[0], "A  95  ENFORCED     good.example [acme-1]");
  EXPECT_EQ(lines[1], "D  45  TESTING      weak.example [4]");
  EXPECT_EQ(lines[2], "F  10  ABSENT       absent.example [acme-3]");
  EXPECT_EQ(lines[3],
            "B  80  ENFORCED     xn--bcher-kva.example (bücher.example) [7]");
  EXPECT_EQ(lines[4], "Fleet summary");
  EXPECT_THAT(r.out, HasSubstr("4 received, 4 reported, 0 errors"));
  EXPECT_THAT(r.out, HasSubstr("Mean score 57.5"));
  EXPECT_THAT(r.out, HasSubstr("A 1  B 1  D 1  F 1"));
  EXPECT_THAT(r.out, HasSubstr("ENFORCED 2  TESTING 1  ABSENT 1"));
  EXPECT_THAT(r.out, HasSubstr("90-100"));
  EXPECT_THAT(r.out, HasSubstr("good.example [acme-1]\n"));  // slowest
  // The groups, after the totals.
  EXPECT_THAT(r.out, HasSubstr("  MX hosts\n    4 domains: mx.shared.example: ok\n"));
}

TEST_F(CliTest, FleetFromStdin) {
  CliResult r = Run({"fleet", "-", "--skip-mx-probe", "--checks", "txt"},
                    "good.example\n# skip\nweak.example w\n");
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("good.example [1]\n"));
  EXPECT_THAT(r.out, HasSubstr("weak.example [w]\n"));
  EXPECT_THAT(r.out, HasSubstr("2 received, 2 reported"));
  std::vector<FleetRequest> sent = fake_.fleet_requests();
  ASSERT_EQ(sent.size(), 2);
  EXPECT_TRUE(sent[1].options().skip_mx_probe());
  EXPECT_THAT(sent[1].options().checks(), ElementsAre("txt"));
}

TEST_F(CliTest, FleetErrorEventsPrintALineAndKeepExitZero) {
  CliResult r = Run({"fleet", "-"}, "good.example\nbad..example t2\n");
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat("-   -  ERROR        bad..example [t2] "
                                     "INVALID_ARGUMENT: ",
                                     kInvalidMessage, "\n")));
  EXPECT_THAT(r.out, HasSubstr("2 received, 1 reported, 1 errors"));
}

TEST_F(CliTest, FleetJsonLines) {
  CliResult r = Run({"fleet", "-", "--json"},
                    "good.example\nbad..example\nweak.example\n");
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4);  // Three entries and the summary.
  std::vector<FleetEvent> events(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(lines[i], &events[i]).ok())
        << lines[i];
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      events[0].result().report(), MakeReport("good.example")));
  EXPECT_EQ(events[0].result().tag(), "1");
  EXPECT_EQ(events[1].error().code(), 3);
  EXPECT_EQ(events[2].result().report().score(), 45);
  EXPECT_EQ(events[3].summary().received(), 3);
  // The summary's groups are in the JSON too.
  EXPECT_THAT(lines[3], HasSubstr("\"groupings\""));
  ASSERT_EQ(events[3].summary().groupings_size(), 1);
  EXPECT_EQ(events[3].summary().groupings(0).kind(), mtasts::v1::FLEET_GROUP_KIND_MX_HOST);
  ASSERT_EQ(events[3].summary().groupings(0).groups_size(), 1);
  EXPECT_EQ(events[3].summary().groupings(0).groups(0).key(), "mx.shared.example");
  EXPECT_EQ(events[3].summary().groupings(0).groups(0).count(), 2);
  EXPECT_THAT(r.out, Not(HasSubstr("Fleet summary")));
}

TEST_F(CliTest, FleetFailUnder) {
  CliResult below =
      Run({"fleet", "-", "--fail-under", "50"}, "good.example\nweak.example\n");
  EXPECT_EQ(below.exit_code, kExitFailUnder);
  EXPECT_THAT(below.err, HasSubstr("1 domain(s) scored below --fail-under 50"));
  EXPECT_THAT(below.out, HasSubstr("Fleet summary"));

  // Error entries have no score and don't trigger it.
  EXPECT_EQ(
      Run({"fleet", "-", "--fail-under", "50"}, "good.example\nbad..example\n")
          .exit_code,
      kExitOk);
}

// The fake answers held*.example only once release.example has arrived: the
// CLI sends at most --window entries before it has an answer.
TEST_F(CliTest, FleetSendsAtMostWindowEntriesUnanswered) {
  const std::string list =
      WriteList("held1.example\nheld2.example\nrelease.example\n");
  CliResult wide = Run({"fleet", list, "--window", "3", "--json", "--timeout", "20s"});
  EXPECT_EQ(wide.exit_code, kExitOk) << wide.err;
  EXPECT_EQ(Lines(wide.out).size(), 4u);  // three results and the summary
  EXPECT_EQ(fake_.fleet_requests().size(), 3u);

  // Two held entries fill a window of 2: release.example is never sent and
  // the stream runs into its deadline.
  CliResult narrow = Run({"fleet", list, "--window", "2", "--json", "--timeout", "1s"});
  EXPECT_EQ(narrow.exit_code, kExitRpcError) << narrow.err;
  const std::vector<v1::FleetRequest> sent = fake_.fleet_requests();
  ASSERT_EQ(sent.size(), 5u);  // 3 from the first run, 2 from this one
  EXPECT_EQ(sent[3].domain(), "held1.example");
  EXPECT_EQ(sent[4].domain(), "held2.example");
}

TEST_F(CliTest, FleetMalformedLineIsSkippedWithWarning) {
  CliResult r = Run({"fleet", "-"}, "good.example\none two three\n");
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_THAT(r.err, HasSubstr("<stdin>:2: expected \"DOMAIN [TAG]\""));
  EXPECT_THAT(r.err, HasSubstr("1 malformed line(s) of <stdin> skipped"));
  EXPECT_EQ(fake_.fleet_requests().size(), 1);
}

// The fake fails every stream at boom.example: the library re-sends the
// unanswered entries on new streams until the only backend is given up.
TEST_F(CliTest, FleetStreamFailureExitsOne) {
  CliResult r =
      Run({"fleet", "-"}, "good.example\nboom.example\nweak.example\n");
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.out, HasSubstr("good.example [1]"));
  EXPECT_THAT(r.err, HasSubstr("every backend failed; 2 entries unanswered"));
  EXPECT_THAT(r.err, HasSubstr("INTERNAL: fake checker crashed"));
  EXPECT_THAT(r.out, Not(HasSubstr("Fleet summary")));
  // good.example once; boom.example on each of the 5 streams.
  int booms = 0;
  for (const FleetRequest& q : fake_.fleet_requests()) {
    if (q.domain() == "boom.example") ++booms;
  }
  EXPECT_EQ(booms, 5);
}

TEST_F(CliTest, FleetProgressOnTerminal) {
  CliResult r = Run({"fleet", "-"}, "good.example\nweak.example\n", true);
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("\rsent 2, done 2"));
  // Cleared at the end: the last thing written returns the cursor.
  EXPECT_THAT(r.err, testing::EndsWith("\r"));
}

TEST_F(CliTest, FleetMissingFileIsUsageError) {
  CliResult r = Run({"fleet", ::testing::TempDir() + "/no-such-list.txt"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("cannot open"));
  CliResult dir = Run({"fleet", ::testing::TempDir()});
  EXPECT_EQ(dir.exit_code, kExitUsage);
  EXPECT_THAT(dir.err, HasSubstr("is a directory"));
}

// An endless domain list, produced as it is read, counting the lines taken.
class EndlessList : public std::streambuf {
 public:
  int64_t lines_read() const { return lines_.load(); }

 protected:
  int_type underflow() override {
    int64_t n = lines_.fetch_add(1);
    line_ = n == 0 ? "stall.example\n" : absl::StrCat("d", n, ".example\n");
    setg(line_.data(), line_.data(), line_.data() + line_.size());
    return traits_type::to_int_type(line_[0]);
  }

 private:
  std::string line_;
  std::atomic<int64_t> lines_{0};
};

TEST_F(CliTest, FleetRespectsFlowControl) {
  EndlessList list_buf;
  std::istream list(&list_buf);
  CliResult result;
  std::thread client([&] {
    result = RunArgs({"fleet", "-", "--server", address_}, list, Terminal());
  });
  // The fake reads the first line (stall.example) and then stops reading.
  // The client must stop with it once the transport's window is full.
  // No ASSERT before join(): returning early would leave the thread running.
  EXPECT_TRUE(fake_.stalled_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // Wait for the count to settle: unchanged over 300 ms.
  int64_t before = -1;
  int64_t now = list_buf.lines_read();
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (now != before && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(300));
    before = now;
    now = list_buf.lines_read();
  }
  fake_.release_.Notify();
  client.join();
  EXPECT_EQ(before, now) << "the client kept reading a stalled stream";
  // The client library keeps at most its window (100 entries) unanswered on
  // a stream, far below the transport's 64 KiB of ~20-byte requests; an
  // unbounded reader would be far past this.
  EXPECT_LE(now, 110);
  RecordProperty("lines_read", std::to_string(now));
  EXPECT_EQ(result.exit_code, kExitRpcError);
  EXPECT_THAT(result.err, HasSubstr("RESOURCE_EXHAUSTED"));
}

}  // namespace
}  // namespace mtasts::cli

// The real server (engine, reactors, c-ares) against the scripted fake DNS
// server, through a real gRPC channel on loopback: what a caller sees.
#include <algorithm>
#include <cstdio>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { lab_ = TestLab::Start(LabOptions{}); }

  // A domain with everything this version checks in order; without the
  // _mta-sts TXT record when a test scripts that name itself.
  void PublishGoodDomain(const std::string& domain, bool with_sts_record = true) {
    lab_->dns().Mx(domain, {{10, "mx1." + domain}, {20, "mx2." + domain}});
    lab_->dns().A("mx1." + domain, {"192.0.2.1"});
    lab_->dns().A("mx2." + domain, {"192.0.2.2"});
    lab_->dns().Aaaa("mx1." + domain, {"2001:db8::1"});
    if (with_sts_record) lab_->dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=20261128T000000;"}});
    lab_->dns().Txt("_smtp._tls." + domain, {{"v=TLSRPTv1; rua=mailto:tlsrpt@" + domain}});
    lab_->PublishPolicy(domain, "version: STSv1\nmode: enforce\nmx: mx1." + domain + "\nmx: mx2." +
                                    domain + "\nmax_age: 604800\n");
  }

  std::unique_ptr<TestLab> lab_;
};

TEST_F(ServiceTest, GoodDomainScoresFullMarksOverTheChecksThatRan) {
  PublishGoodDomain("good.example");
  auto report = lab_->Check("good.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->domain(), "good.example");
  EXPECT_EQ(report->unicode_domain(), "good.example");
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(ResultOf(*report, "tls_rpt").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(ResultOf(*report, "txt").points_possible(), 15);
  EXPECT_EQ(ResultOf(*report, "txt").points_earned(), 15);
  EXPECT_EQ(ResultOf(*report, "tls_rpt").points_earned(), 10);
  for (const char* name : {"policy_fetch", "policy_content", "mx_match"}) {
    EXPECT_EQ(ResultOf(*report, name).status(), v1::CHECK_STATUS_PASS) << name;
    EXPECT_EQ(ResultOf(*report, name).points_earned(), ResultOf(*report, name).points_possible())
        << name;
  }
  EXPECT_THAT(CodeSet(ResultOf(*report, "policy_fetch")), Contains(v1::POLICY_FETCH_OK));
  EXPECT_THAT(CodeSet(ResultOf(*report, "policy_content")), Contains(v1::POLICY_VALID));
  EXPECT_THAT(CodeSet(ResultOf(*report, "mx_match")), Contains(v1::MX_MATCH_ALL_COVERED));
  EXPECT_EQ(report->score(), 100);
  EXPECT_EQ(report->grade(), v1::GRADE_A);
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ENFORCED);
  EXPECT_EQ(report->evidence().policy().mode(), v1::POLICY_MODE_ENFORCE);
  EXPECT_EQ(report->evidence().policy().http_status(), 200);
  EXPECT_EQ(report->evidence().policy().certificate().san_dns_names(0), "mta-sts.good.example");
  EXPECT_EQ(report->evidence().mx_hosts(0).matched_pattern(), "mx1.good.example");
  EXPECT_EQ(report->evidence().sts_id(), "20261128T000000");
  EXPECT_THAT(report->evidence().tls_rpt().rua(), Contains("mailto:tlsrpt@good.example"));
  ASSERT_EQ(report->evidence().mx_hosts_size(), 2);
  EXPECT_EQ(report->evidence().mx_hosts(0).name(), "mx1.good.example");
  EXPECT_EQ(report->evidence().mx_hosts(0).preference(), 10u);
  EXPECT_THAT(report->evidence().mx_hosts(0).addresses(),
              ::testing::UnorderedElementsAreArray({"192.0.2.1", "2001:db8::1"}));
  EXPECT_EQ(report->evidence().mx_kind(), v1::MX_KIND_HOSTS);
  // Nothing to change: no copy of the served policy, no needless new id.
  EXPECT_EQ(report->suggested_policy(), "");
  EXPECT_EQ(report->suggested_txt(), "");
  EXPECT_THAT(report->actions(), ::testing::IsEmpty());
  EXPECT_GT(report->evidence().dns_lookups_size(), 4);
}

TEST_F(ServiceTest, NxdomainAtMtaStsIsAbsentNotBroken) {
  PublishGoodDomain("absent.example");
  lab_->dns().Rcode("_mta-sts.absent.example", DnsRcode::kNxDomain);
  auto report = lab_->Check("absent.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ABSENT);
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_MISSING));
  // The policy is served, but without the TXT record senders never fetch it:
  // policy_fetch 15 and tls_rpt 10 of 85.
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::POLICY_WITHOUT_TXT));
  EXPECT_EQ(ResultOf(*report, "policy_content").points_earned(), 0);
  EXPECT_EQ(report->score(), 29);
}

TEST_F(ServiceTest, ServfailAtMtaStsIsALookupFailureNotAbsence) {
  PublishGoodDomain("servfail.example");
  lab_->dns().Rcode("_mta-sts.servfail.example", DnsRcode::kServFail);
  auto report = lab_->Check("servfail.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_LOOKUP_FAILED));
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), ::testing::Not(Contains(v1::TXT_MISSING)));
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_BROKEN);
}

TEST_F(ServiceTest, RefusedAndNodataAreNamed) {
  PublishGoodDomain("refused.example");
  lab_->dns().Rcode("_smtp._tls.refused.example", DnsRcode::kRefused);
  lab_->dns().NoData("_mta-sts.refused.example");
  auto report = lab_->Check("refused.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(CodeSet(ResultOf(*report, "tls_rpt")), Contains(v1::TLSRPT_LOOKUP_FAILED));
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_MISSING));
  bool saw_refused = false;
  for (const auto& l : report->evidence().dns_lookups()) {
    if (l.name() == "_smtp._tls.refused.example") saw_refused = l.outcome() == v1::DNS_OUTCOME_REFUSED;
  }
  EXPECT_TRUE(saw_refused);
}

TEST_F(ServiceTest, DnsTimeoutIsALookupFailure) {
  PublishGoodDomain("slow.example");
  lab_->dns().Drop("_mta-sts.slow.example");
  auto report = lab_->Check("slow.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_LOOKUP_FAILED));
  bool saw_timeout = false;
  for (const auto& l : report->evidence().dns_lookups()) {
    if (l.name() == "_mta-sts.slow.example") saw_timeout = l.outcome() == v1::DNS_OUTCOME_TIMEOUT;
  }
  EXPECT_TRUE(saw_timeout);
}

TEST_F(ServiceTest, TruncatedAnswerIsRetriedOverTcp) {
  PublishGoodDomain("tc.example");
  lab_->dns().Truncate("_mta-sts.tc.example");
  auto report = lab_->Check("tc.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
  bool used_tcp = false;
  for (const auto& l : report->evidence().dns_lookups()) {
    if (l.name() == "_mta-sts.tc.example") used_tcp = l.used_tcp();
  }
  EXPECT_TRUE(used_tcp);
  EXPECT_GE(lab_->dns().TcpQueries(), 1);
}

TEST_F(ServiceTest, MultiStringTxtIsJoinedWithoutSpaces) {
  PublishGoodDomain("split.example");
  lab_->dns().Txt("_mta-sts.split.example", {{"v=STSv1; ", "id=abc", "123"}});
  auto report = lab_->Check("split.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->evidence().sts_id(), "abc123");
  EXPECT_THAT(report->evidence().sts_records(), Contains("v=STSv1; id=abc123"));
}

TEST_F(ServiceTest, CnameAtMtaStsIsFollowedAndReported) {
  PublishGoodDomain("delegated.example", /*with_sts_record=*/false);
  lab_->dns().Cname("_mta-sts.delegated.example", "sts.provider.example");
  lab_->dns().Cname("sts.provider.example", "sts2.provider.example");
  lab_->dns().Txt("sts2.provider.example", {{"v=STSv1; id=prov1"}});
  auto report = lab_->Check("delegated.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->evidence().sts_id(), "prov1");
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_CNAME_FOLLOWED));
  EXPECT_THAT(report->evidence().sts_cname_chain(),
              ::testing::ElementsAre("sts.provider.example", "sts2.provider.example"));
}

TEST_F(ServiceTest, CnameLoopIsALookupFailure) {
  PublishGoodDomain("loop.example", /*with_sts_record=*/false);
  lab_->dns().Cname("_mta-sts.loop.example", "a.loop.example");
  lab_->dns().Cname("a.loop.example", "_mta-sts.loop.example");
  auto report = lab_->Check("loop.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(CodeSet(ResultOf(*report, "txt")), Contains(v1::TXT_LOOKUP_FAILED));
}

TEST_F(ServiceTest, NullMxAndAliasMxAreInTheEvidence) {
  lab_->dns().Mx("nullmx.example", {{0, ""}});
  auto report = lab_->Check("nullmx.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->evidence().mx_kind(), v1::MX_KIND_NULL);
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::MX_NULL));

  lab_->dns().Mx("alias.example", {{5, "mail.alias.example"}});
  lab_->dns().Cname("mail.alias.example", "real.hoster.example");
  lab_->dns().A("real.hoster.example", {"198.51.100.7"});
  report = lab_->Check("alias.example");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 1);
  EXPECT_THAT(report->evidence().mx_hosts(0).cname_chain(),
              ::testing::ElementsAre("real.hoster.example"));
  EXPECT_THAT(report->evidence().mx_hosts(0).addresses(), Contains("198.51.100.7"));
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::MX_TARGET_IS_CNAME));
}

TEST_F(ServiceTest, NoMxAndNonexistentDomainAreExplained) {
  lab_->dns().NoData("nomx.example", DnsType::kMx);
  auto report = lab_->Check("nomx.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->evidence().mx_kind(), v1::MX_KIND_NONE);
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::MX_NONE));

  report = lab_->Check("nowhere.example");  // the fake's default: NXDOMAIN
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::DOMAIN_NOT_FOUND));
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ABSENT);
}

TEST_F(ServiceTest, IdnDomainIsCheckedAsALabelAndReportedInBothForms) {
  PublishGoodDomain("xn--bcher-kva.example");
  auto report = lab_->Check("Bücher.Example.");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->domain(), "xn--bcher-kva.example");
  EXPECT_EQ(report->unicode_domain(), "bücher.example");
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
}

TEST_F(ServiceTest, RequestedChecksOnlyAndFastMode) {
  PublishGoodDomain("subset.example");
  v1::CheckOptions options;
  options.add_checks("txt");
  auto report = lab_->Check("subset.example", options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(ResultOf(*report, "tls_rpt").status(), v1::CHECK_STATUS_NOT_RUN);
  EXPECT_THAT(ResultOf(*report, "tls_rpt").summary(), HasSubstr("not among the checks requested"));
  EXPECT_EQ(lab_->dns().QueriesFor("_smtp._tls.subset.example"), 0);
  EXPECT_EQ(report->score(), 100);
}

TEST_F(ServiceTest, DeadlineMakesUnfinishedChecksInconclusive) {
  PublishGoodDomain("stuck.example");
  lab_->dns().Drop("_smtp._tls.stuck.example");
  v1::CheckOptions options;
  options.mutable_timeout()->set_nanos(400'000'000);
  auto report = lab_->Check("stuck.example", options);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& tls_rpt = ResultOf(*report, "tls_rpt");
  EXPECT_EQ(tls_rpt.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeSet(tls_rpt), Contains(v1::CHECK_TIMED_OUT));
  EXPECT_EQ(tls_rpt.points_possible(), 0);  // left out of the score
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(report->score(), 100);
}

TEST_F(ServiceTest, CallDeadlineBoundsTheRun) {
  PublishGoodDomain("deadline.example");
  lab_->dns().Drop("_mta-sts.deadline.example");
  // Only the caller's 600 ms deadline can end this run early (the lab's
  // check_timeout is 10 s, the dropped lookup's tries 3 x 200 ms). A report
  // sent after that deadline reaches the caller as DEADLINE_EXCEEDED, so an
  // OK partial report is the proof that the server answered inside it.
  auto report = lab_->Check("deadline.example", {}, absl::Milliseconds(600));
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& txt = ResultOf(*report, "txt");
  EXPECT_EQ(txt.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeSet(txt), Contains(v1::CHECK_TIMED_OUT));
}

struct BadInput {
  std::string domain;
  std::string message_part;
};

TEST_F(ServiceTest, BadInputIsInvalidArgumentAndTheServerKeepsServing) {
  const std::vector<BadInput> cases = {
      {"", "empty"},
      {"192.0.2.1", "IP"},
      {"[2001:db8::1]", "IP"},
      {"https://example.com/", "URL"},
      {"user@example.com", "e-mail"},
      {"exa mple.com", "whitespace"},
      {"example.com\n", "line feed"},
      {std::string("exam\0ple.com", 12), "control"},
      {std::string(250, 'a') + ".com", "253"},
      {"a..example", "empty label"},
      {"example.com:25", "port"},
  };
  for (const auto& c : cases) {
    auto report = lab_->Check(c.domain);
    EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument) << c.domain;
    EXPECT_THAT(std::string(report.status().message()), HasSubstr(c.message_part)) << c.domain;
  }
  v1::CheckOptions unknown;
  unknown.add_checks("spf");
  auto report = lab_->Check("example.com", unknown);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("spf"));

  PublishGoodDomain("after.example");
  EXPECT_TRUE(lab_->Check("after.example").ok());
}

// What `file` holds (the lab's call log).
std::string ReadAll(FILE* file) {
  fflush(file);
  rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}

// The generated parser refuses a proto3 string that is not UTF-8; before
// the raw handler, the call ended UNIMPLEMENTED with no message or log line.
TEST(ServiceRawBytesTest, DomainThatIsNotUtf8IsInvalidArgumentAndLogged) {
  FILE* log = tmpfile();
  ASSERT_NE(log, nullptr);
  {
    auto lab = TestLab::Start(LabOptions{.call_log = log});
    std::string response;
    grpc::Status status =
        lab->RawCheckDomain(WireField(1, "bad\xFF\xFE.example"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("not valid UTF-8"));
    EXPECT_THAT(status.error_message(), HasSubstr("0xFF"));
    // Bytes that are not a CheckDomainRequest at all.
    status = lab->RawCheckDomain(std::string("\x0a\x40short", 7), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("not a valid CheckDomainRequest"));
    // A good request through the same path gets its report.
    lab->dns().Txt("_mta-sts.raw.example", {{"v=STSv1; id=1;"}});
    v1::CheckDomainRequest good;
    good.set_domain("raw.example");
    good.mutable_options()->add_checks("txt");
    status = lab->RawCheckDomain(good.SerializeAsString(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::DomainReport report;
    ASSERT_TRUE(report.ParseFromString(response));
    EXPECT_EQ(ResultOf(report, "txt").status(), v1::CHECK_STATUS_PASS);
  }
  const std::string logged = ReadAll(log);
  fclose(log);
  EXPECT_THAT(logged, HasSubstr("\"rpc\":\"CheckDomain\""));
  // Logged, as valid UTF-8 (U+FFFD for each bad byte).
  EXPECT_THAT(logged, HasSubstr("\"domain\":\"bad\xEF\xBF\xBD\xEF\xBF\xBD.example\""));
  EXPECT_THAT(logged, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
}

// At the server-wide limit CheckDomain is refused with one wording, while a
// fleet entry is not refused: its stream waits for a slot and the entry is
// checked once the slow domain is done.
TEST(ServiceLimitTest, AtTheLimitCheckDomainIsRefusedAndAFleetEntryWaits) {
  auto lab = TestLab::Start(LabOptions{.max_inflight = 1});
  lab->dns().Drop("_mta-sts.busy.example");
  std::thread slow([&] {
    v1::CheckOptions options;
    options.mutable_timeout()->set_nanos(900'000'000);
    (void)lab->Check("busy.example", options);
  });
  lab->dns().WaitForQueries("_mta-sts.busy.example", 1, absl::Seconds(5));
  auto refused = lab->Check("other.example");
  grpc::ClientContext context;
  auto stream = lab->stub().StreamFleet(&context);
  v1::FleetRequest entry;
  entry.set_domain("other.example");
  entry.set_tag("t");
  ASSERT_TRUE(stream->Write(entry));
  stream->WritesDone();
  v1::FleetEvent event;
  int results = 0;
  while (stream->Read(&event)) {
    if (event.has_error()) ADD_FAILURE() << "fleet entry refused: " << event.error().message();
    if (event.has_result()) {
      ++results;
      EXPECT_EQ(event.result().tag(), "t");
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  slow.join();
  EXPECT_EQ(results, 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "server is at its limit of 1 domains in flight; retry later");
}

// A domain too long to have _mta-sts and _smtp._tls names: said so, and the
// state is ABSENT (no sender can find a policy), not BROKEN.
TEST_F(ServiceTest, DomainTooLongForTheRecordNamesIsAbsentNotBroken) {
  const std::string domain = absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".",
                                          std::string(63, 'c'), ".", std::string(52, 'd'),
                                          ".example");  // 252 octets
  ASSERT_EQ(domain.size(), 252u);
  v1::CheckOptions options;
  options.add_checks("txt");
  options.add_checks("tls_rpt");
  auto report = lab_->Check(domain, options);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& txt = ResultOf(*report, "txt");
  EXPECT_EQ(txt.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(txt), Contains(v1::TXT_NAME_TOO_LONG));
  EXPECT_THAT(CodeSet(txt), Not(Contains(v1::TXT_LOOKUP_FAILED)));
  const v1::CheckResult& tls_rpt = ResultOf(*report, "tls_rpt");
  EXPECT_THAT(CodeSet(tls_rpt), Contains(v1::TLSRPT_NAME_TOO_LONG));
  EXPECT_THAT(CodeSet(tls_rpt), Not(Contains(v1::TLSRPT_LOOKUP_FAILED)));
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ABSENT);
}

// The caller's own deadline cut the MX lookup: the run was cut short, which
// is not a domain-wide MX_LOOKUP_FAILED.
TEST_F(ServiceTest, CallDeadlineCuttingTheMxLookupSaysTheRunWasCutShort) {
  PublishGoodDomain("slowmx.example");
  lab_->dns().Drop("slowmx.example", DnsType::kMx);
  auto report = lab_->Check("slowmx.example", {}, absl::Milliseconds(500));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(DomainCodeSet(*report), Not(Contains(v1::MX_LOOKUP_FAILED)));
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::CHECK_TIMED_OUT));
  bool said = false;
  for (const v1::Finding& f : report->domain_findings()) {
    if (f.code() == v1::CHECK_TIMED_OUT) said = f.detail().find("cut short") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST_F(ServiceTest, ServerWideLimitRefusesWithResourceExhausted) {
  auto lab = TestLab::Start(LabOptions{.max_inflight = 1});
  lab->dns().Drop("_mta-sts.busy.example");
  std::thread slow([&] {
    v1::CheckOptions options;
    options.mutable_timeout()->set_nanos(800'000'000);
    (void)lab->Check("busy.example", options);
  });
  lab->dns().WaitForQueries("_mta-sts.busy.example", 1, absl::Seconds(5));
  auto refused = lab->Check("other.example");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  slow.join();
  EXPECT_TRUE(lab->Check("other.example").ok());  // capacity is back
}

TEST_F(ServiceTest, CancelledCallStopsItsDnsQueries) {
  PublishGoodDomain("cancel.example");
  lab_->dns().Drop("_mta-sts.cancel.example");
  grpc::ClientContext context;
  v1::CheckDomainRequest request;
  request.set_domain("cancel.example");
  v1::DomainReport response;
  absl::Notification done;
  grpc::Status status;
  lab_->stub().async()->CheckDomain(&context, &request, &response, [&](grpc::Status s) {
    status = s;
    done.Notify();
  });
  lab_->dns().WaitForQueries("_mta-sts.cancel.example", 1, absl::Seconds(5));
  context.TryCancel();
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  // The run calls back (and frees its slot) once cancelled.
  WaitUntil([&] { return lab_->server().service().InFlight() == 0; }, absl::Seconds(10),
            "the cancelled run to release its slot");
  // The resolver would retry a dropped query after its attempt timeout (the
  // lab uses 200 ms and 3 tries); after the cancel nothing more arrives, not
  // even while another lookup goes through all its retries.
  const int64_t seen = lab_->dns().QueriesFor("_mta-sts.cancel.example");
  EXPECT_LT(seen, 3) << "the lookup ran through its tries: the cancel did not stop it";
  lab_->WaitOutDnsRetries();
  EXPECT_EQ(lab_->dns().QueriesFor("_mta-sts.cancel.example"), seen);
  EXPECT_EQ(lab_->server().service().InFlight(), 0);
}

TEST(ServiceWithoutResolverTest, UnreachableResolverIsInconclusiveNotTheDomainsFault) {
  auto lab = TestLab::Start(LabOptions{});
  lab->dns().server().Stop();  // nothing listens there any more: refused
  auto report = lab->Check("example.com");
  ASSERT_TRUE(report.ok()) << report.status();
  for (const char* name : {"txt", "tls_rpt"}) {
    EXPECT_EQ(ResultOf(*report, name).status(), v1::CHECK_STATUS_INCONCLUSIVE) << name;
    EXPECT_THAT(CodeSet(ResultOf(*report, name)), Contains(v1::RESOLVER_UNREACHABLE)) << name;
  }
  EXPECT_THAT(DomainCodeSet(*report), Contains(v1::RESOLVER_UNREACHABLE));
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_UNDETERMINED);
  EXPECT_THAT(report->summary(), HasSubstr("inconclusive"));
}

TEST_F(ServiceTest, HealthIsServing) {
  EXPECT_EQ(lab_->HealthStatus(""), "SERVING");
  EXPECT_EQ(lab_->HealthStatus("mtasts.v1.MtaStsChecker"), "SERVING");
}

TEST_F(ServiceTest, ReflectionAloneIsEnoughToCallTheService) {
  PublishGoodDomain("reflect.example");
  ReflectionClient reflection(lab_->channel());
  auto services = reflection.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("mtasts.v1.MtaStsChecker"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
  auto methods = reflection.ListMethods("mtasts.v1.MtaStsChecker");
  ASSERT_TRUE(methods.ok()) << methods.status();
  EXPECT_THAT(*methods, ::testing::UnorderedElementsAreArray({"CheckDomain", "StreamFleet"}));
  auto json = reflection.CallJson("mtasts.v1.MtaStsChecker", "CheckDomain",
                                  R"({"domain": "reflect.example"})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"score\":100"));
  EXPECT_THAT(*json, HasSubstr("\"grade\":\"GRADE_A\""));
  EXPECT_THAT(*json, HasSubstr("\"check\":\"txt\""));
  auto bad = reflection.CallJson("mtasts.v1.MtaStsChecker", "CheckDomain", R"({"domain": ""})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServiceTest, GracefulShutdownLetsCallsInFlightFinish) {
  PublishGoodDomain("drain.example");
  lab_->dns().Delay("_mta-sts.drain.example", absl::Milliseconds(300));
  absl::StatusOr<v1::DomainReport> report;
  std::thread call([&] { report = lab_->Check("drain.example"); });
  lab_->dns().WaitForQueries("_mta-sts.drain.example", 1, absl::Seconds(5));
  lab_->server().Shutdown(absl::Seconds(5));
  call.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "txt").status(), v1::CHECK_STATUS_PASS);
}

TEST_F(ServiceTest, ShutdownCancelsCallsThatOutliveTheGrace) {
  PublishGoodDomain("hang.example");
  lab_->dns().Drop("_mta-sts.hang.example");
  absl::StatusOr<v1::DomainReport> report;
  std::thread call([&] { report = lab_->Check("hang.example"); });
  lab_->dns().WaitForQueries("_mta-sts.hang.example", 1, absl::Seconds(5));
  const absl::Time start = absl::Now();
  lab_->server().Shutdown(absl::Milliseconds(100));
  call.join();
  // Bounded by the grace, not by the run's 10 s check_timeout.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // gRPC's own words when a shutdown's deadline cancels the calls still open:
  // the caller learns the server went away, not that its domain failed.
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable) << report.status();
  EXPECT_EQ(report.status().message(), "Cancelling all calls");
}

}  // namespace
}  // namespace mtasts::testing

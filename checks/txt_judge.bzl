"""What the judges of a tag=value TXT record (checks/txt, checks/tls_rpt) use."""

# The judge: the lookup's outcome before the records are read
# (//checks:txt_lookup), the record grammar, the findings it writes.
TXT_JUDGE_DEPS = [
    "//checks/findings:finding",
    "//checks/findings:report_text",
    "//checks:txt_lookup",
    "//checks/common:tag_value_record",
    "//checks:verdict",
    "//net:dns_types",
    "//proto/mtasts/v1:mtasts_cc_proto",
    "@system//:abseil",
]

# Its test, besides the judge: the lookups scripted and the findings named
# (//checks:txt_judge_test_util).
TXT_JUDGE_TEST_DEPS = [
    "//checks:txt_judge_test_util",
    "//net:dns_types",
    "//proto/mtasts/v1:mtasts_cc_proto",
    "@system//:abseil",
    "@system//:gtest_main",
]

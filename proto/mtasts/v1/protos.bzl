"""The files of the mtasts.v1 API, for the rules that generate code from it."""

# Each is proto/mtasts/v1/<name>.proto.
MTASTS_V1_PROTOS = [
    "config",
    "findings",
    "report",
    "service",
]

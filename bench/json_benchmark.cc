// CPU of the CLI's JSON line per fleet event: protobuf's printer
// (MessageToJsonString, what `mtasts fleet --json` used before) against the
// direct writer (clients/cli/json.h), same event, same process, so the ratio
// is what counts. The event is a real one from the fleet benchmark (all seven
// checks, 12.7 KB of JSON).
//
//   bazel run -c opt //bench:json_benchmark
#include <fstream>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "clients/cli/json.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/json_util.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts {
namespace {

const v1::FleetEvent& Event() {
  static const v1::FleetEvent event = [] {
    std::ifstream in("clients/cli/testdata/fleet_events_all_checks.jsonl");
    std::string line;
    std::getline(in, line);
    v1::FleetEvent e;
    if (!google::protobuf::util::JsonStringToMessage(line, &e).ok() || !e.has_result()) {
      abort();  // Run through `bazel run` (the file is in its runfiles).
    }
    return e;
  }();
  return event;
}

void BM_ProtobufPrinter(benchmark::State& state) {
  const v1::FleetEvent& event = Event();
  for (auto _ : state) {
    auto json = cli::ProtobufJson(event);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_ProtobufPrinter);

void BM_DirectWriter(benchmark::State& state) {
  const v1::FleetEvent& event = Event();
  std::string json;
  for (auto _ : state) {
    json.clear();
    benchmark::DoNotOptimize(cli::AppendDirectJson(event, &json));
  }
}
BENCHMARK(BM_DirectWriter);

}  // namespace
}  // namespace mtasts

namespace mtasts {
namespace {

// What receiving the same event costs the CLI's reader thread: parsing its
// bytes into a heap message and freeing it, against a protobuf arena.
void BM_ParseHeap(benchmark::State& state) {
  const std::string bytes = Event().SerializeAsString();
  for (auto _ : state) {
    v1::FleetEvent e;
    benchmark::DoNotOptimize(e.ParseFromString(bytes));
  }
}
BENCHMARK(BM_ParseHeap);

void BM_ParseArena(benchmark::State& state) {
  const std::string bytes = Event().SerializeAsString();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* e = google::protobuf::Arena::CreateMessage<v1::FleetEvent>(&arena);
    benchmark::DoNotOptimize(e->ParseFromString(bytes));
  }
}
BENCHMARK(BM_ParseArena);

}  // namespace
}  // namespace mtasts

#include "net/run_sync.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/synchronization/notification.h"

namespace mtasts::net {
namespace {

constexpr absl::Duration kWedged = absl::Minutes(1);

void WaitOrAbort(absl::Notification& done, absl::Duration limit, const char* what) {
  if (done.WaitForNotificationWithTimeout(limit)) return;
  std::fprintf(stderr, "%s: the reactor did not run it within %s\n", what,
               absl::FormatDuration(limit).c_str());
  std::abort();
}

}  // namespace

void RunSync(Reactor* reactor, absl::AnyInvocable<void()> fn) {
  absl::Notification done;
  reactor->Post([&] {
    fn();
    done.Notify();
  });
  WaitOrAbort(done, kWedged, "RunSync");
}

void WaitForTimersDue(Reactor* reactor, absl::Duration delay) {
  absl::Notification done;
  RunSync(reactor, [&] { reactor->RunAfter(delay, [&] { done.Notify(); }); });
  WaitOrAbort(done, delay + kWedged, "WaitForTimersDue");
}

}  // namespace mtasts::net

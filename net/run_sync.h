// Test helpers for code on a Reactor: run work on its thread and wait for
// it, and wait until the reactor's timers due within some time have run.
#ifndef MTASTS_NET_RUN_SYNC_H_
#define MTASTS_NET_RUN_SYNC_H_

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "net/reactor.h"

namespace mtasts::net {

// Runs `fn` on the reactor thread and returns once it ran. Aborts the test
// binary when it has not run within a minute (a wedged reactor), rather
// than return while `fn` may still run later.
void RunSync(Reactor* reactor, absl::AnyInvocable<void()> fn);

// Returns once every reactor timer due within `delay` from now has run (and
// the callbacks those timers ran): timers run in due order, so a timer armed
// now for `delay` runs after all of them. For tests whose claim is about
// time ("no callback before or after the timeout").
void WaitForTimersDue(Reactor* reactor, absl::Duration delay);

}  // namespace mtasts::net

#endif  // MTASTS_NET_RUN_SYNC_H_

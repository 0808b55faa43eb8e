// terminal_notifier: the one "these calls became terminal" path wakes both
// the requests waiting on the calls and the callback sender.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/terminal.h"
#include "daemon/watch.h"

namespace fnq::test {
namespace {

TEST(TerminalNotifier, WakesTheWaitersOfThoseCallsAndTheCallbackSender) {
  CallWatch watch;
  int callback_wakes = 0;
  OnTerminal notify = terminal_notifier(watch, [&] { ++callback_wakes; });
  CallWatch::Subscription mine(watch, {"a"});
  CallWatch::Subscription other(watch, {"b"});
  notify({"a", "c"}, CallbackDue::maybe);
  EXPECT_EQ(mine.reports(), 1u);
  EXPECT_EQ(other.reports(), 0u);
  EXPECT_EQ(callback_wakes, 1);
}

TEST(TerminalNotifier, CallsKnownToHaveNoCallbackWakeTheirWaitersOnly) {
  CallWatch watch;
  int callback_wakes = 0;
  OnTerminal notify = terminal_notifier(watch, [&] { ++callback_wakes; });
  CallWatch::Subscription mine(watch, {"a"});
  notify({"a"}, CallbackDue::none);
  EXPECT_EQ(mine.reports(), 1u);
  EXPECT_EQ(callback_wakes, 0);
}

TEST(TerminalNotifier, NoCallsWakeNobody) {
  CallWatch watch;
  int callback_wakes = 0;
  OnTerminal notify = terminal_notifier(watch, [&] { ++callback_wakes; });
  notify({}, CallbackDue::maybe);
  EXPECT_EQ(callback_wakes, 0);
}

}  // namespace
}  // namespace fnq::test

// CallWatch's wake for parked long polls: called once, after as many
// reports as were asked for, at once when they came already, or on shutdown.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/watch.h"

namespace fnq::test {
namespace {

TEST(CallWatchWake, CalledOnceAfterTheReportsAskedFor) {
  CallWatch watch;
  CallWatch::Subscription sub(watch, {"a", "b", "c"});
  int wakes = 0;
  sub.wake_after(2, [&] { ++wakes; });
  watch.notify({"x"});
  EXPECT_EQ(wakes, 0);
  watch.notify({"a"});
  EXPECT_EQ(wakes, 0);
  watch.notify({"b", "c"});
  EXPECT_EQ(wakes, 1);
  watch.notify({"c"});
  watch.shutdown();
  EXPECT_EQ(wakes, 1);  // once only
  EXPECT_EQ(sub.reports(), 4u);
}

TEST(CallWatchWake, CalledAtOnceWhenTheReportsCameBefore) {
  CallWatch watch;
  CallWatch::Subscription sub(watch, {"a"});
  watch.notify({"a"});  // between subscribing and arming: not missed
  int wakes = 0;
  sub.wake_after(1, [&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
}

TEST(CallWatchWake, CalledOnShutdownEvenWhenArmedAfter) {
  CallWatch watch;
  CallWatch::Subscription early(watch, {"a"});
  CallWatch::Subscription late(watch, {"b"});
  int early_wakes = 0, late_wakes = 0;
  early.wake_after(1, [&] { ++early_wakes; });
  watch.shutdown();
  EXPECT_EQ(early_wakes, 1);
  late.wake_after(1, [&] { ++late_wakes; });
  EXPECT_EQ(late_wakes, 1);
}

TEST(CallWatchWake, AWokenSubscriptionStillCountsItsWaiterUntilItGoes) {
  CallWatch watch;
  {
    CallWatch::Subscription sub(watch, {"a"});
    sub.wake_after(1, [] {});
    watch.notify({"a"});
    EXPECT_EQ(watch.waiters(), 1u);
    EXPECT_EQ(watch.watched_ids(), std::vector<std::string>{"a"});
  }
  EXPECT_EQ(watch.waiters(), 0u);
  EXPECT_TRUE(watch.watched_ids().empty());
}

}  // namespace
}  // namespace fnq::test

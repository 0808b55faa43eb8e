#pragma once
// "These calls became terminal": the one thing done wherever calls end, so
// that no path forgets a part of it. Called for outcomes recorded by the
// scheduler, cancels, calls cancelled by a forced function delete, calls
// skipped at submit because a dependency had already failed, and calls
// failed by recovery at start. It wakes the requests waiting on those calls
// (CallWatch) and the callback sender, which delivers their callbacks.
// (Retention only deletes calls that were terminal already, so it has
// nothing to report.)
#include <functional>
#include <string>
#include <vector>

namespace fnq {

class CallWatch;
class CallbackSender;

// Whether a callback may be due among the calls. Only a path that knows none
// of them has a callback_url says `none` (the scheduler, for the outcomes it
// records); the callback sender is then left asleep.
enum class CallbackDue { maybe, none };

using OnTerminal = std::function<void(const std::vector<std::string>&, CallbackDue)>;

// wake_callbacks: tells the callback sender a callback may be due now.
OnTerminal terminal_notifier(CallWatch& watch, std::function<void()> wake_callbacks);
OnTerminal terminal_notifier(CallWatch& watch, CallbackSender& callbacks);

}  // namespace fnq

#include "daemon/terminal.h"

#include "daemon/callbacks.h"
#include "daemon/watch.h"

namespace fnq {

OnTerminal terminal_notifier(CallWatch& watch, std::function<void()> wake_callbacks) {
  return [&watch, wake = std::move(wake_callbacks)](const std::vector<std::string>& ids,
                                                    CallbackDue due) {
    if (ids.empty()) {
      return;
    }
    watch.notify(ids);
    if (due == CallbackDue::maybe) {
      wake();
    }
  };
}

OnTerminal terminal_notifier(CallWatch& watch, CallbackSender& callbacks) {
  return terminal_notifier(watch, [&callbacks] { callbacks.wake(); });
}

}  // namespace fnq

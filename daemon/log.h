#pragma once
// One line per event on stderr: "2026-11-24T05:30:00.123Z fnqd: <message>".
#include <string>

namespace fnq {

void log_line(const std::string& message);

}  // namespace fnq

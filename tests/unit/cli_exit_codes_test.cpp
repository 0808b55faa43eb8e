#include <gtest/gtest.h>

#include "cli/exit_codes.h"

namespace fnq::cli {
namespace {

Call make_call(CallState state, std::optional<int> exit_code = std::nullopt,
               std::optional<int> signal = std::nullopt) {
  Call c;
  c.id = "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f";
  c.function = "resize";
  c.state = state;
  c.exit_code = exit_code;
  c.signal = signal;
  return c;
}

TEST(CliExitCodes, EveryRowOfTheTable) {
  EXPECT_EQ(exit_code_for_call(make_call(CallState::succeeded, 0)), 0);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed, 3)), 3);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed, 255)), 255);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed, std::nullopt, 9)), 137);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed, std::nullopt, 15)), 143);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::timed_out, std::nullopt, 15)), 124);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::cancelled)), 125);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::skipped)), 125);
}

TEST(CliExitCodes, FailedWithoutCodeOrSignalIsOne) {
  // e.g. "daemon stopped while running; no retries left"
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed)), 1);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::failed, 0)), 1);
}

TEST(CliExitCodes, UnfinishedCallIsTempfail) {
  EXPECT_EQ(exit_code_for_call(make_call(CallState::waiting)), 75);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::queued)), 75);
  EXPECT_EQ(exit_code_for_call(make_call(CallState::running)), 75);
}

TEST(CliExitCodes, AllSucceededIsZero) {
  std::vector<Call> calls{make_call(CallState::succeeded, 0), make_call(CallState::succeeded, 0)};
  EXPECT_EQ(exit_code_for_calls(calls, true), 0);
  EXPECT_EQ(exit_code_for_calls({}, true), 0);
}

TEST(CliExitCodes, FirstUnsuccessfulInTheOrderGivenWins) {
  std::vector<Call> calls{make_call(CallState::succeeded, 0), make_call(CallState::skipped),
                          make_call(CallState::failed, 3), make_call(CallState::timed_out)};
  EXPECT_EQ(exit_code_for_calls(calls, true), 125);
  std::swap(calls[1], calls[2]);
  EXPECT_EQ(exit_code_for_calls(calls, true), 3);
  calls[1] = make_call(CallState::failed, std::nullopt, 9);
  EXPECT_EQ(exit_code_for_calls(calls, true), 137);
  calls[1] = make_call(CallState::succeeded, 0);
  calls[2] = make_call(CallState::succeeded, 0);
  EXPECT_EQ(exit_code_for_calls(calls, true), 124);
}

TEST(CliExitCodes, NotDoneIsSeventyFiveEvenAfterAFailure) {
  std::vector<Call> calls{make_call(CallState::failed, 3), make_call(CallState::running)};
  EXPECT_EQ(exit_code_for_calls(calls, false), 75);
  std::vector<Call> all_done{make_call(CallState::succeeded, 0)};
  EXPECT_EQ(exit_code_for_calls(all_done, false), 75);
}

TEST(CliExitCodes, ErrorsByKind) {
  auto code = [](ErrorKind kind, Subject subject, std::string message = "x") {
    return exit_code_for_error(make_error(kind, std::move(message)), subject);
  };
  EXPECT_EQ(code(ErrorKind::invalid_input, Subject::other), 65);
  EXPECT_EQ(code(ErrorKind::too_large, Subject::other), 65);
  EXPECT_EQ(code(ErrorKind::not_found, Subject::call), 66);
  EXPECT_EQ(code(ErrorKind::not_found, Subject::function), 65);
  EXPECT_EQ(code(ErrorKind::unauthorized, Subject::call), 77);
  EXPECT_EQ(code(ErrorKind::unavailable, Subject::other), 69);
  EXPECT_EQ(code(ErrorKind::shutting_down, Subject::other), 69);
  EXPECT_EQ(code(ErrorKind::conflict, Subject::function), 1);
  EXPECT_EQ(code(ErrorKind::disk_full, Subject::other), 1);
  EXPECT_EQ(code(ErrorKind::internal, Subject::other), 1);
}

TEST(CliExitCodes, AmbiguousPrefixIsAnUnknownCall) {
  auto e = make_error(ErrorKind::conflict,
                      "ambiguous call id prefix '019a7f2e' matches 019a7f2e-1..., 019a7f2e-2...");
  EXPECT_EQ(exit_code_for_error(e, Subject::call), 66);
  EXPECT_EQ(exit_code_for_error(e, Subject::submission), 66);
  auto other = make_error(ErrorKind::conflict, "call is running");
  EXPECT_EQ(exit_code_for_error(other, Subject::call), 1);
}

TEST(CliExitCodes, SubmissionNotFoundTellsFunctionFromCall) {
  EXPECT_EQ(exit_code_for_error(make_error(ErrorKind::not_found, "unknown function 'resiz'"),
                                Subject::submission),
            65);
  EXPECT_EQ(exit_code_for_error(make_error(ErrorKind::not_found, "unknown call 019a7f2e"),
                                Subject::submission),
            66);
}

}  // namespace
}  // namespace fnq::cli

#include <gtest/gtest.h>

#include <sstream>

#include "cli/failure.h"
#include "cli/output.h"

namespace fnq::cli {
namespace {

TEST(CliTable, AlignsColumnsWithTwoSpacesAndNoTrailingPadding) {
  Table t({"ID", "FUNCTION", "STATE"}, false);
  t.add_row({{"1", ""}, {"resize", ""}, {"succeeded", ""}});
  t.add_row({{"22", ""}, {"a", ""}, {"failed", ""}});
  EXPECT_EQ(t.render(),
            "ID  FUNCTION  STATE\n"
            "1   resize    succeeded\n"
            "22  a         failed\n");
}

TEST(CliTable, WithoutHeader) {
  Table t({}, false);
  t.add_row({{"abc", ""}, {"x", ""}});
  t.add_row({{"a", ""}, {"yy", ""}});
  EXPECT_EQ(t.render(), "abc  x\na    yy\n");
  EXPECT_EQ(Table({}, false).render(), "");
}

TEST(CliTable, WidthCountsCodePointsNotBytes) {
  Table t({}, false);
  t.add_row({{"\xc3\xa9t\xc3\xa9", ""}, {"x", ""}});
  t.add_row({{"abcd", ""}, {"y", ""}});
  EXPECT_EQ(t.render(), "\xc3\xa9t\xc3\xa9   x\nabcd  y\n");
}

TEST(CliTable, ColourDoesNotShiftAlignment) {
  Table t({"STATE", "EXIT"}, true);
  t.add_row({{"failed", "31"}, {"3", ""}});
  t.add_row({{"queued", ""}, {"-", ""}});
  EXPECT_EQ(t.render(),
            "STATE   EXIT\n"
            "\033[31mfailed\033[0m  3\n"
            "queued  -\n");
  Table plain({"STATE"}, false);
  plain.add_row({{"failed", "31"}});
  EXPECT_EQ(plain.render(), "STATE\nfailed\n");
}

TEST(CliFormat, Elapsed) {
  EXPECT_EQ(format_elapsed(0), "0ms");
  EXPECT_EQ(format_elapsed(12), "12ms");
  EXPECT_EQ(format_elapsed(999), "999ms");
  EXPECT_EQ(format_elapsed(1000), "1s");
  EXPECT_EQ(format_elapsed(1540), "1.5s");
  EXPECT_EQ(format_elapsed(59'999), "59.9s");
  EXPECT_EQ(format_elapsed(125'000), "2m05s");
  EXPECT_EQ(format_elapsed(7'500'000), "2h05m");
}

TEST(CliFormat, ShellJoinQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_join({"convert", "-", "-resize", "50%", "png:-"}), "convert - -resize 50% png:-");
  EXPECT_EQ(shell_join({"sh", "-c", "echo 'hi' $X"}), "sh -c 'echo '\\''hi'\\'' $X'");
  EXPECT_EQ(shell_join({""}), "''");
}

TEST(CliFormat, ExitAndDurationColumns) {
  Call c;
  c.state = CallState::queued;
  EXPECT_EQ(call_exit_text(c), "-");
  EXPECT_EQ(call_duration_text(c, 5000), "-");
  c.state = CallState::running;
  c.started_at = 1000;
  EXPECT_EQ(call_duration_text(c, 1012), "12ms");
  c.state = CallState::failed;
  c.finished_at = 3500;
  c.exit_code = 3;
  EXPECT_EQ(call_exit_text(c), "3");
  EXPECT_EQ(call_duration_text(c, 99'999), "2.5s");
  c.exit_code.reset();
  c.signal = 9;
  EXPECT_EQ(call_exit_text(c), "sig9");
}

TEST(CliFormat, StateColours) {
  EXPECT_EQ(state_color(CallState::succeeded), "32");
  EXPECT_EQ(state_color(CallState::failed), "31");
  EXPECT_EQ(state_color(CallState::skipped), "33");
  EXPECT_EQ(state_color(CallState::queued), "");
}

TEST(CliProgress, DrawsInPlaceAndClears) {
  std::ostringstream err;
  {
    ProgressLine p(err, true);
    p.show(12, 40, 1);
    p.show(40, 40, 0);
  }
  EXPECT_EQ(err.str(), "\r\033[K12/40 done, 1 failed\r\033[K40/40 done\r\033[K");
}

TEST(CliProgress, SilentWhenDisabled) {
  std::ostringstream err;
  {
    ProgressLine p(err, false);
    p.show(1, 2, 0);
    p.clear();
  }
  EXPECT_EQ(err.str(), "");
}

TEST(CliJson, WriteJsonIsPrettyAndTolerant) {
  std::ostringstream out;
  write_json(out, json{{"a", 1}});
  EXPECT_EQ(out.str(), "{\n  \"a\": 1\n}\n");
  std::ostringstream bad;
  write_json(bad, json("\xff"));  // replaced, not thrown
  EXPECT_FALSE(bad.str().empty());
}

TEST(CliFailure, OneLineFormat) {
  EXPECT_EQ(format_failure(Failure{69, "cannot reach fnqd at http://127.0.0.1:7850",
                                   "Connection refused.", "is fnqd running?"}),
            "fnq: error: cannot reach fnqd at http://127.0.0.1:7850: connection refused (is fnqd "
            "running?)");
  EXPECT_EQ(format_failure(Failure{64, "no command given", "", ""}),
            "fnq: error: no command given");
  EXPECT_EQ(format_failure(Failure{1, "x", "HTTP 500", ""}), "fnq: error: x: HTTP 500");
  EXPECT_EQ(format_failure(Failure{66, "y", "matches a, b, ...", ""}),
            "fnq: error: y: matches a, b, ...");
}

TEST(CliFailure, ApiErrorsGetCodesAndHints) {
  auto refused = api_failure(make_error(ErrorKind::unavailable,
                                        "cannot reach fnqd at http://h:1: connection refused "
                                        "(is fnqd running?)"),
                             "cannot get call 019a7f2e", Subject::call);
  EXPECT_EQ(refused.exit_code, 69);
  EXPECT_EQ(format_failure(refused),
            "fnq: error: cannot reach fnqd at http://h:1: connection refused (is fnqd running?)");
  auto token = api_failure(make_error(ErrorKind::unauthorized, "missing or wrong token"),
                           "cannot list calls", Subject::other);
  EXPECT_EQ(token.exit_code, 77);
  EXPECT_EQ(format_failure(token),
            "fnq: error: fnqd refused the token: missing or wrong token (check --token-file, "
            "FNQ_TOKEN_FILE, FNQ_TOKEN or STATE_DIR/token)");
  auto unknown = api_failure(make_error(ErrorKind::not_found, "unknown call '019a7f2e'"),
                             "cannot get call 019a7f2e", Subject::call);
  EXPECT_EQ(unknown.exit_code, 66);
  EXPECT_EQ(format_failure(unknown),
            "fnq: error: cannot get call 019a7f2e: unknown call '019a7f2e' ('fnq list' shows the "
            "calls fnqd knows)");
  auto fn = api_failure(make_error(ErrorKind::not_found, "unknown function 'resiz'"),
                        "cannot submit a call of 'resiz'", Subject::submission);
  EXPECT_EQ(fn.exit_code, 65);
  EXPECT_EQ(fn.hint, "'fnq fn ls' lists the functions");
}

TEST(CliFailure, DiscoveryFailures) {
  auto missing = discovery_failure(make_error(
      ErrorKind::unavailable, "cannot find fnqd: /x/fnqd.json does not exist (is fnqd running?)"));
  EXPECT_EQ(missing.exit_code, 69);
  auto token = discovery_failure(make_error(ErrorKind::unauthorized, "cannot read token file /t"));
  EXPECT_EQ(token.exit_code, 77);
  auto url = discovery_failure(make_error(ErrorKind::invalid_input, "bad fnqd URL 'https://h'"));
  EXPECT_EQ(url.exit_code, 64);
  EXPECT_EQ(url.hint, "check --url, FNQ_URL or STATE_DIR/fnqd.json");
}

TEST(CliFailure, OutcomeKeepsFirstCodeAndPrintsAll) {
  Outcome o;
  o.notes.push_back("function 'x' created");
  o.add(Failure{66, "a", "", ""});
  o.add(Failure{1, "b", "", ""});
  EXPECT_EQ(o.exit_code, 66);
  std::ostringstream err;
  print_outcome(err, o);
  EXPECT_EQ(err.str(), "fnq: function 'x' created\nfnq: error: a\nfnq: error: b\n");
}

}  // namespace
}  // namespace fnq::cli

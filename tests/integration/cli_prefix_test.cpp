// Call ID prefixes (SPEC §1, §5): a unique prefix of 8+ characters names its
// call in every command; an ambiguous one is an error listing the matches
// (issue: the fnq command line).
#include <cctype>
#include <map>

#include "integration/cli_support.h"

namespace fnq::test {
namespace {

// The shortest prefix of `id`, 8 characters at least, that no other ID has.
std::string unique_prefix(const std::string& id, const std::vector<std::string>& ids) {
  for (std::size_t n = 8; n < id.size(); ++n) {
    std::string prefix = id.substr(0, n);
    bool shared = std::any_of(ids.begin(), ids.end(), [&](const std::string& other) {
      return other != id && other.compare(0, n, prefix) == 0;
    });
    if (!shared && prefix.back() != '-') {
      return prefix;
    }
  }
  return id;
}

class CliPrefix : public CliTest {
 protected:
  // Calls whose IDs share their first 8 characters. UUIDv7 IDs start with
  // the creation time in milliseconds, whose top 32 bits change every ~65s,
  // so of three IDs created in one request at least two share them.
  std::vector<std::string> calls_sharing_8_characters(const std::string& function) {
    RunResult r = fnq({"submit", function, "--lines"}, "1\n2\n3\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::vector<std::string>> by_prefix;
    for (const auto& id : lines_of(r.out)) {
      by_prefix[id.substr(0, 8)].push_back(id);
    }
    for (const auto& [prefix, ids] : by_prefix) {
      if (ids.size() >= 2) {
        return ids;
      }
    }
    ADD_FAILURE() << "no two of these IDs share 8 characters:\n" << r.out;
    return {};
  }
};

TEST_F(CliPrefix, UniquePrefixWorksInStatusAwaitAndOutput) {
  add_function("upper", {"tr", "a-z", "A-Z"});
  std::string id = fnq_ok({"submit", "upper", "-d", "one"});
  fnq_ok({"submit", "upper", "-d", "two"});
  fnq_ok({"submit", "upper", "-d", "three"});
  std::string prefix = unique_prefix(id, all_ids());
  ASSERT_LT(prefix.size(), id.size());
  ASSERT_GE(prefix.size(), 8u);

  EXPECT_EQ(expect_exit(0, {"await", prefix}).out, "ONE");
  EXPECT_EQ(lines_of(fnq_ok({"status", prefix})).at(0).substr(0, id.size()), id);
  EXPECT_EQ(expect_exit(0, {"output", prefix}).out, "ONE");
  std::string upper = prefix;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(expect_exit(0, {"output", upper}).out, "ONE");  // IDs are read in any case
  json status = json_of({"status", "--json", prefix});
  EXPECT_EQ(status["calls"][0]["id"], id);  // the answer gives the ID in full
}

TEST_F(CliPrefix, AmbiguousPrefixIsAnErrorListingTheMatches) {
  add_function("cat", {"cat"});
  auto sharing = calls_sharing_8_characters("cat");
  ASSERT_GE(sharing.size(), 2u);
  std::string prefix = sharing[0].substr(0, 8);
  for (const std::string command : {"status", "await", "output"}) {
    RunResult r = expect_exit(66, {command, prefix});
    expect_one_error(r, command + " " + prefix);
    EXPECT_NE(r.err.find("ambiguous"), std::string::npos) << r.err;
    for (const auto& id : sharing) {
      EXPECT_NE(r.err.find(id), std::string::npos) << command << ": " << id << " not listed\n"
                                                   << r.err;
    }
  }
  // Given in full, the same calls are found.
  // The await runs first: `fnq output` does not wait, and the operands of == run in any order.
  std::string awaited = expect_exit(0, {"await", sharing[0], sharing[1]}).out;
  EXPECT_EQ(awaited, fnq_ok({"output", sharing[0]}) + "\n" + fnq_ok({"output", sharing[1]}) + "\n");
}

TEST_F(CliPrefix, PrefixShorterThan8IsAUsageError) {
  add_function("cat", {"cat"});
  std::string id = fnq_ok({"submit", "cat", "-d", ""});
  RunResult r = expect_exit(64, {"status", id.substr(0, 7)});
  expect_one_error(r, "status with a 7-character prefix");
  EXPECT_NE(r.err.find("8 or more"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fnq::test

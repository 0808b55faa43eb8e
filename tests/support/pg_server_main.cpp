// fnq_test_pg start|stop DIR: the ctest fixture that runs one PostgreSQL
// server for every test that needs one. start writes DIR/conninfo (or
// DIR/skip with the reason the tests will give when they skip).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/pg_server.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fnq_test_pg start|stop DIR\n");
    return 64;
  }
  std::string action = argv[1];
  std::string dir = argv[2];
  std::filesystem::create_directories(dir);
  std::string server_dir_file = dir + "/server_dir";
  if (action == "stop" || action == "start") {
    std::ifstream in(server_dir_file);
    std::string old;
    if (std::getline(in, old) && !old.empty()) {
      fnq::test::PgServer::adopt(old).stop("immediate");
    }
    std::filesystem::remove(dir + "/conninfo");
    std::filesystem::remove(dir + "/skip");
    std::filesystem::remove(server_dir_file);
    if (action == "stop") {
      return 0;
    }
  }
  std::string why;
  auto server = fnq::test::PgServer::start(&why);
  if (!server) {
    std::ofstream(dir + "/skip") << why << "\n";
    std::printf("no PostgreSQL for the tests: %s\n", why.c_str());
    // Only missing binaries make the tests skip; any other failure fails.
    return fnq::test::pg_bin_dir().empty() ? 0 : 1;
  }
  std::ofstream(server_dir_file) << server->dir() << "\n";
  std::ofstream(dir + "/conninfo") << server->conninfo() << "\n";
  std::printf("PostgreSQL test server in %s\n", server->dir().c_str());
  return 0;
}

// Choosing the store from --db, and the cluster flags: --host defaults to a
// stable name per state dir, --lease parses as a duration.
#include <gtest/gtest.h>

#include <vector>

#include "daemon/cluster.h"
#include "daemon/config.h"

namespace fnq {
namespace {

Result<ParsedArgs> parse(const char* state_dir, std::vector<const char*> args) {
  args.insert(args.begin(), "fnqd");
  args.push_back("--state-dir");
  args.push_back(state_dir);
  return parse_daemon_args(static_cast<int>(args.size()), args.data());
}

TEST(DaemonCluster, ADbValueIsPostgresqlWhenItIsAUriOrConninfo) {
  for (const char* db :
       {"postgresql://fnq@db/fnq", "postgres://db/fnq", "host=db1 dbname=fnq", "dbname=fnq"}) {
    EXPECT_TRUE(is_postgresql_db(db)) << db;
  }
  for (const char* db : {"/var/lib/fnq/fnq.db", "fnq.db", "./a=b/fnq.db", "", "=x"}) {
    EXPECT_FALSE(is_postgresql_db(db)) << db;
  }
}

TEST(DaemonCluster, HostDefaultsToAStableNamePerStateDir) {
  auto a = parse("/srv/fnq-a", {});
  auto again = parse("/srv/fnq-a", {});
  auto b = parse("/srv/fnq-b", {});
  ASSERT_TRUE(a && again && b);
  EXPECT_EQ(a->config.host_name, again->config.host_name);
  EXPECT_NE(a->config.host_name, b->config.host_name);
  auto named = parse("/srv/fnq-a", {"--host", "worker-1"});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->config.host_name, "worker-1");
}

TEST(DaemonCluster, LeaseIsADurationOfAtLeastOneSecond) {
  auto dflt = parse("/srv/fnq", {});
  ASSERT_TRUE(dflt);
  EXPECT_EQ(dflt->config.lease, Millis(30'000));
  auto five = parse("/srv/fnq", {"--lease", "5s"});
  ASSERT_TRUE(five);
  EXPECT_EQ(five->config.lease, Millis(5000));
  auto tiny = parse("/srv/fnq", {"--lease", "500ms"});
  ASSERT_FALSE(tiny);
  EXPECT_NE(tiny.error().message.find("--lease"), std::string::npos);
}

TEST(DaemonCluster, APostgresqlDbOpensPostgresqlOrSaysItIsNotCompiledIn) {
  DaemonConfig config;
  config.db_path = "host=/nonexistent-fnq-socket-dir port=1 dbname=fnq connect_timeout=2";
  config.host_name = "h";
  auto opened = open_store(config);
  ASSERT_FALSE(opened);
  if (postgresql_compiled_in()) {
    EXPECT_EQ(opened.error().kind, ErrorKind::unavailable) << opened.error().message;
    EXPECT_NE(opened.error().message.find("cannot connect to PostgreSQL"), std::string::npos)
        << opened.error().message;
  } else {
    EXPECT_NE(opened.error().message.find("PostgreSQL support is not compiled in"),
              std::string::npos)
        << opened.error().message;
  }
}

}  // namespace
}  // namespace fnq

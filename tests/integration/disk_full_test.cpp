// fnqd on a tiny filesystem (a real tmpfs as its state directory): submits
// are answered 507 once the disk is full, succeed again as soon as space is
// freed, without a restart; and a stop on the nearly full disk leaves room
// for the next start.
#include "integration/fixture.h"
#include "support/tmpfs.h"

namespace fnq::test {
namespace {

constexpr std::uint64_t k_disk = 3 * 1024 * 1024;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!m_disk.mounted()) {
      GTEST_SKIP() << m_disk.why_not();
    }
  }

  void TearDown() override {
    if (HasFailure() && m_fnqd) {
      std::fprintf(stderr, "---- fnqd log ----\n%s------------------\n", m_fnqd->log().c_str());
    }
    m_fnqd.reset();  // before the disk is unmounted
  }

  bool start() {
    m_fnqd = std::make_unique<FnqdProcess>(m_disk.path(), std::vector<std::string>{});
    return m_fnqd->start();
  }

  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>(m_fnqd->url());
    c->set_tcp_nodelay(true);
    c->set_read_timeout(std::chrono::seconds(60));
    c->set_bearer_token_auth(m_fnqd->token().c_str());
    // No Accept-Encoding: plain submits are then the event loop's own
    // (async_function_on_loop); submit_via_httplib sends one.
    c->set_decompress(false);
    return c;
  }

  // A call that waits an hour, so it stays in the database as it is.
  httplib::Result submit(const std::string& body) {
    return client()->Post("/async-function/hold", {{"X-Fnq-Delay", "1h"}}, body,
                          "application/octet-stream");
  }

  // The same submit, served by httplib's route on a worker.
  httplib::Result submit_via_httplib(const std::string& body) {
    return client()->Post("/async-function/hold",
                          {{"X-Fnq-Delay", "1h"}, {"Accept-Encoding", "identity"}}, body,
                          "application/octet-stream");
  }

  struct Refusal {
    int status = 0;  // 0: no answer, or none refused
    std::string body;
  };

  // Submits until one is refused; the ids of those accepted.
  std::vector<std::string> submit_until_refused(Refusal* refused) {
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
      auto res = submit(std::string(64 * 1024, static_cast<char>('a' + i % 26)));
      if (!res || res->status != 202) {
        *refused = res ? Refusal{res->status, res->body} : Refusal{};
        break;
      }
      ids.push_back(res->get_header_value("X-Call-Id"));
    }
    return ids;
  }

  TempDir m_dir;
  TmpfsMount m_disk{m_dir.path() + "/state", k_disk};
  std::unique_ptr<FnqdProcess> m_fnqd;
};

TEST_F(DiskFullTest, SubmitsGet507UntilSpaceIsFreedThenSucceedWithoutARestart) {
  // The filler holds a third of the disk; the calls take the rest.
  m_disk.fill("filler", k_disk / 3);
  ASSERT_TRUE(start());
  auto put = client()->Put("/v1/functions/hold", R"({"command": ["cat"]})", "application/json");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;

  Refusal refused;
  std::vector<std::string> accepted = submit_until_refused(&refused);
  EXPECT_EQ(refused.status, 507) << "no 507 once the disk was full";
  EXPECT_EQ(json::parse(refused.body, nullptr, false).value("error", ""),
            "database is full: no space left on device")
      << refused.body;
  ASSERT_GE(accepted.size(), 5u);
  // Both ways a submit is served give the same clear error.
  auto again = submit_via_httplib(std::string(64 * 1024, 'z'));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 507) << again->body;
  EXPECT_EQ(again->body, refused.body);
  int pid = m_fnqd->pid();

  ASSERT_EQ(std::remove((m_disk.path() + "/filler").c_str()), 0);
  auto res = submit("after the filler went");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_EQ(m_fnqd->pid(), pid);
  for (const std::string& id : accepted) {
    auto call = client()->Get("/v1/calls/" + id);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->status, 200) << id;
  }
}

TEST_F(DiskFullTest, AStopOnANearlyFullDiskLeavesRoomForTheNextStart) {
  ASSERT_TRUE(start());
  auto put = client()->Put("/v1/functions/hold", R"({"command": ["cat"]})", "application/json");
  ASSERT_TRUE(put);
  // Fill the disk with calls, then free a little: enough to run, not enough
  // to merge the write-ahead log into the database.
  m_disk.fill("filler", 512 * 1024);
  Refusal refused;
  std::vector<std::string> accepted = submit_until_refused(&refused);
  EXPECT_EQ(refused.status, 507);
  ASSERT_EQ(std::remove((m_disk.path() + "/filler").c_str()), 0);
  m_disk.fill("filler", 256 * 1024);
  std::string last = submit("x")->get_header_value("X-Call-Id");
  ASSERT_FALSE(last.empty());
  accepted.push_back(last);

  EXPECT_EQ(m_fnqd->stop(), 0);
  std::string log = m_fnqd->log();
  EXPECT_NE(log.find("kept the write-ahead log " + m_disk.path() + "/fnq.db-wal"),
            std::string::npos)
      << log;
  ASSERT_TRUE(start()) << "the next start was refused";
  for (const std::string& id : accepted) {
    auto call = client()->Get("/v1/calls/" + id);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->status, 200) << id;
  }
  EXPECT_EQ(m_fnqd->stop(), 0);
}

}  // namespace
}  // namespace fnq::test

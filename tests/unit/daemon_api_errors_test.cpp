// How an error becomes an answer: its kind's status and message, except a
// bug's text (a library's exception), which only fnqd's log gets.
#include <gtest/gtest.h>

#include "daemon/api/context.h"
#include "daemon/api/http_server.h"

namespace fnq::test {
namespace {

json body_of(const httplib::Response& res) { return json::parse(res.body, nullptr, false); }

TEST(ApiErrors, AnInternalErrorsTextGoesOnlyToTheLog) {
  httplib::Response res;
  std::string logged = write_error(
      res, make_error(ErrorKind::internal,
                      "store task failed: [json.exception.type_error.316] invalid UTF-8 byte"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(body_of(res), (json{{"error", "internal error"}}));
  EXPECT_NE(logged.find("json.exception.type_error.316"), std::string::npos) << logged;
}

TEST(ApiErrors, OtherErrorsKeepTheirMessageAndStatus) {
  httplib::Response res;
  std::string logged = write_error(res, make_error(ErrorKind::invalid_input, "delay: bad"));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(body_of(res), (json{{"error", "delay: bad"}}));
  EXPECT_EQ(logged, "delay: bad");
  httplib::Response disk;
  write_error(disk, make_error(ErrorKind::disk_full, "the disk is full"));
  EXPECT_EQ(disk.status, 507);
  httplib::Response io;
  EXPECT_NE(write_error(io, make_error(ErrorKind::io, "disk I/O error")).find("disk I/O error"),
            std::string::npos);
  EXPECT_EQ(io.status, 500);
  EXPECT_EQ(body_of(io), (json{{"error", "internal error"}}));
  httplib::Response plain;
  EXPECT_EQ(write_error(plain, make_error(ErrorKind::internal, "internal error")),
            "internal error");
  EXPECT_EQ(body_of(plain), (json{{"error", "internal error"}}));
}

}  // namespace
}  // namespace fnq::test

// The header block as sent: raw values, and framing that could smuggle a
// second request refused (daemon/api/request_head.h); the JSON body guard
// (daemon/api/json_guard.h).
#include <gtest/gtest.h>

#include <string>

#include "daemon/api/json_guard.h"
#include "daemon/api/request_head.h"

namespace fnq {
namespace {

RequestHead head_of(const std::string& header_lines) {
  return parse_request_head("POST /x HTTP/1.1\r\n" + header_lines + "\r\n");
}

int refusal_status(const std::string& header_lines) {
  auto head = head_of(header_lines);
  return head.refusal ? head.refusal->status : 0;
}

TEST(RequestHead, ValuesAreKeptExactlyAsSent) {
  auto head = head_of(
      "X-Callback-Url: http://h/cb?next=%2Fa%26b%3Dc\r\nIdempotency-Key: k%41\r\n"
      "X-Nl: a%0Ab \t\r\nEmpty:\r\n");
  ASSERT_FALSE(head.refusal) << head.refusal->message;
  EXPECT_EQ(head.headers.find("x-callback-url")->second, "http://h/cb?next=%2Fa%26b%3Dc");
  EXPECT_EQ(head.headers.find("Idempotency-Key")->second, "k%41");
  EXPECT_EQ(head.headers.find("X-Nl")->second, "a%0Ab");
  EXPECT_EQ(head.headers.find("Empty")->second, "");
}

TEST(RequestHead, InstallKeepsPseudoHeadersAndDropsEmptyValues) {
  httplib::Request req;
  req.headers = {{"REMOTE_ADDR", "127.0.0.1"}, {"Idempotency-Key", "kA"}};
  install_headers(head_of("Idempotency-Key: k%41\r\nEmpty:\r\nExpect: 100-Continue\r\n"), req);
  EXPECT_EQ(req.get_header_value("REMOTE_ADDR"), "127.0.0.1");
  EXPECT_EQ(req.get_header_value("Idempotency-Key"), "k%41");
  EXPECT_EQ(req.get_header_value_count("Idempotency-Key"), 1u);
  EXPECT_FALSE(req.has_header("Empty"));
  EXPECT_EQ(req.get_header_value("Expect"), "100-continue");
}

TEST(RequestHead, ARefusedRequestIsNotInvitedToSendItsBody) {
  httplib::Request req;
  install_headers(head_of("Content-Length: 5\r\nContent-Length: 6\r\nExpect: 100-continue\r\n"),
                  req);
  EXPECT_FALSE(req.has_header("Expect"));
}

TEST(RequestHead, MalformedLinesAre400) {
  EXPECT_EQ(refusal_status("NoColonHere\r\n"), 400);
  EXPECT_EQ(refusal_status("X-A: 1\r\n folded\r\n"), 400);
  EXPECT_EQ(refusal_status("Bad Name: 1\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length : 5\r\n"), 400);
  EXPECT_EQ(refusal_status(": novalue\r\n"), 400);
  EXPECT_EQ(refusal_status("X-A: 1\nContent-Length: 5\r\n"), 400);  // bare LF
  EXPECT_EQ(refusal_status(std::string("X-A: a\0b\r\n", 10)), 400);
  EXPECT_EQ(refusal_status("X-A: a\rb\r\n"), 400);
  auto head = head_of("NoColonHere\r\n");
  EXPECT_NE(head.refusal->message.find("without a colon"), std::string::npos);
}

TEST(RequestHead, ContentLengthMustBeOneNumber) {
  EXPECT_EQ(refusal_status("Content-Length: 5\r\n"), 0);
  EXPECT_EQ(refusal_status("Content-Length: 5\r\nContent-Length: 5\r\n"), 0);
  EXPECT_EQ(refusal_status("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length: 5, 6\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length: +5\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length: 0x5\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length: 99999999999999999999999\r\n"), 400);
}

TEST(RequestHead, TransferEncodingIsChunkedAloneOr501) {
  EXPECT_EQ(refusal_status("Transfer-Encoding: chunked\r\n"), 0);
  EXPECT_EQ(refusal_status("Transfer-Encoding: Chunked\r\n"), 0);
  EXPECT_EQ(refusal_status("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400);
  EXPECT_EQ(refusal_status("Content-Length: 5\r\nTransfer-Encoding: gzip\r\n"), 400);
  EXPECT_EQ(refusal_status("Transfer-Encoding: gzip\r\n"), 501);
  EXPECT_EQ(refusal_status("Transfer-Encoding: gzip, chunked\r\n"), 501);
  EXPECT_EQ(refusal_status("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 501);
}

TEST(RequestHead, ExpectIs100ContinueOr417) {
  EXPECT_EQ(refusal_status("Expect: 100-continue\r\n"), 0);
  EXPECT_EQ(refusal_status("Expect: 100-CONTINUE\r\n"), 0);
  EXPECT_EQ(refusal_status("Expect: 200-ok\r\n"), 417);
}

TEST(JsonGuard, DeepNestingIsRefusedWithoutParsing) {
  EXPECT_FALSE(check_json_shape(std::string(64, '[') + std::string(64, ']')));
  auto deep = check_json_shape(std::string(65, '[') + std::string(65, ']'));
  ASSERT_TRUE(deep);
  EXPECT_NE(deep->find("nested deeper than 64"), std::string::npos);
  EXPECT_TRUE(check_json_shape(std::string(16u << 20, '[')));
  // Brackets inside strings do not nest.
  EXPECT_FALSE(check_json_shape("{\"a\":\"" + std::string(1000, '[') + "\\\"[[[\"}"));
}

std::string repeated(const std::string& open, const std::string& element, const std::string& close,
                     std::size_t size) {
  std::string s = open;
  while (s.size() + element.size() + close.size() < size) {
    s += element;
  }
  s.pop_back();  // the last comma
  return s + close;
}

TEST(JsonGuard, DenseBodiesAreRefusedAndBatchesOfCallsPass) {
  const std::size_t size = 2u << 20;
  EXPECT_FALSE(check_json_shape(repeated("{\"calls\":[", "{\"function\":\"f\"},", "]}", size)));
  EXPECT_FALSE(check_json_shape(repeated("[", "0,", "]", size)));
  EXPECT_FALSE(check_json_shape("{\"input\":\"" + std::string(size, 'x') + "\"}"));
  auto dense = check_json_shape(repeated("[", "{},", "]", size));
  ASSERT_TRUE(dense);
  EXPECT_NE(dense->find("too dense"), std::string::npos);
  EXPECT_TRUE(check_json_shape(repeated("[", "[],", "]", size)));
  EXPECT_TRUE(check_json_shape(repeated("[", "\"\",", "]", size)));
}

}  // namespace
}  // namespace fnq

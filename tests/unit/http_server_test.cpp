// The HTTP endpoint in-process, on loopback (no root, no traced process): routes, 503 before the
// first report, 404 elsewhere, and clients that hang up in the middle of a large body while the
// server is blocked sending it. (httplib checks that the peer is alive before each write, so a
// SIGPIPE needs the reset to land between that check and the send: rare, and the reason the
// server's threads block SIGPIPE rather than count on it.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "userspace/http/server.h"

namespace goretain {
namespace {

// A report whose /metrics, every call site its own series, is several MB.
std::shared_ptr<const Report> LargeReport() {
  auto r = std::make_shared<Report>();
  r->targets.push_back(ReportTarget{42, "/bin/app", "go1.22.1", "abc"});
  for (int i = 0; i < 4000; i++) {
    CallsiteRow c;
    c.site = {"example.com/service/internal/handlers.(*Server).Handle" + std::to_string(i),
              "/home/build/src/example.com/service/internal/handlers/h" + std::to_string(i) + ".go",
              i};
    c.type = "map[string]example.com/service/internal/model.Record";
    c.alloc_bytes = 48 * (i + 1);
    c.exe = "/bin/app";
    r->callsites.push_back(std::move(c));
  }
  return r;
}

int Connect(int port, int rcvbuf) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

// The status code of GET path (the first line of the reply).
int Status(int port, const std::string& path) {
  const int fd = Connect(port, 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[32] = {};
  const ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
  close(fd);
  return n > 12 ? std::stoi(std::string(buf + 9, 3)) : 0;
}

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, live_, EndpointOptions{0, "test"});
    ASSERT_TRUE(e) << e.error().message;
    endpoint_ = std::move(e).value();
    port_ = std::stoi(endpoint_->url().substr(endpoint_->url().rfind(':') + 1));
  }
  LiveReport live_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  int port_ = 0;
};

TEST_F(HttpServer, RoutesAnswerOnceThereIsAReport) {
  EXPECT_EQ(Status(port_, "/metrics"), 503);
  EXPECT_EQ(Status(port_, "/debug/pprof/heap"), 503);
  EXPECT_EQ(Status(port_, "/"), 200);
  live_.Publish(LargeReport());
  EXPECT_EQ(Status(port_, "/metrics"), 200);
  EXPECT_EQ(Status(port_, "/debug/pprof/heap"), 200);
  EXPECT_EQ(Status(port_, "/debug/pprof/allocs"), 200);
  EXPECT_EQ(Status(port_, "/debug/pprof/goroutine"), 404);
  EXPECT_EQ(Status(port_, "/nope"), 404);
}

TEST_F(HttpServer, ClientHangingUpMidBodyCostsAWriteNotTheProcess) {
  live_.Publish(LargeReport());
  for (int i = 0; i < 50; i++) {
    // A small receive window: the server blocks in send with most of the body still to go.
    const int fd = Connect(port_, 4096);
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), ssize_t(request.size()));
    char buf[2048];  // the headers and the start of the body
    ASSERT_EQ(recv(fd, buf, sizeof(buf), MSG_WAITALL), ssize_t(sizeof(buf)));
    shutdown(fd, SHUT_WR);  // FIN: the server's side is in CLOSE_WAIT...
    close(fd);              // ...then unread data makes this a reset: its send fails with EPIPE
  }
  usleep(200 * 1000);
  EXPECT_EQ(Status(port_, "/metrics"), 200);  // and the server still serves
}

}  // namespace
}  // namespace goretain

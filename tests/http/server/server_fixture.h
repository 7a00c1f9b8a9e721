// SPDX-License-Identifier: Apache-2.0
// Starts a Server on 127.0.0.1 port 0 with test routes, one per test, and stops it after.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "http/server/metrics.h"
#include "http/server/router.h"
#include "http/server/server.h"

namespace cocoon::http::server::test {

class ServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  // Options with short timeouts suitable for tests; tests override what they check.
  static ServerOptions testOptions() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 2;
    return options;
  }

  // Routes the tests share: POST /echo (body back), GET /kbs/v0/resource/* (the path
  // back), GET /throw (handler throws).
  static Router testRouter() {
    Router router;
    EXPECT_TRUE(
        router.add("POST", "/echo", [](const Request& r) { return Response::text(200, r.body); }));
    EXPECT_TRUE(router.addPrefix("GET", "/kbs/v0/resource/", [](const Request& r) {
      return Response::text(200, r.path + "?" + r.query);
    }));
    EXPECT_TRUE(router.add("GET", "/throw",
                           [](const Request&) -> Response { throw std::runtime_error("boom"); }));
    return router;
  }

  void start(ServerOptions options = testOptions(), Router router = testRouter()) {
    server_ = std::make_unique<Server>(std::move(options), std::move(router), metrics_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().toString();
    port_ = server_->boundPort();
    ASSERT_NE(port_, 0);
  }

  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

}  // namespace cocoon::http::server::test

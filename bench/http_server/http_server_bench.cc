// SPDX-License-Identifier: Apache-2.0
// Keep-alive request round trips per second through cocoon's HTTP server (routing, limits,
// metrics, access log off), next to its peer: a bare synchronous Beast loop that only
// parses and answers, one thread per connection. Prints cocoon/peer throughput ratios.
#include <utility>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "http/server/server.h"

namespace cocoon::http::server {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

// A KBS-sized exchange: a small JSON request body echoed back.
const std::string kBody = R"({"version":"0.4.0","tee":"tpm","extra-params":{}})";

// The peer: accept, then per connection read a request and answer it, until EOF.
class BeastLoopServer {
 public:
  BeastLoopServer() : acceptor_(io_, {asio::ip::make_address_v4("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code ec;
        tcp::socket socket(io_);
        acceptor_.accept(socket, ec);
        if (ec || stopping_) {
          return;
        }
        connections_.emplace_back([s = std::move(socket)]() mutable { serve(s); });
      }
    });
  }
  ~BeastLoopServer() {
    stopping_ = true;
    tcp::socket wake(io_);
    boost::system::error_code ec;
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
    for (auto& t : connections_) {
      t.join();
    }
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  static void serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(socket, buffer, req, ec);
      if (ec) {
        return;
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = std::move(req.body());
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec) {
        return;
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

// Each benchmark thread owns one keep-alive connection and does POST /echo round trips.
void roundTrips(benchmark::State& state, std::uint16_t port) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address_v4("127.0.0.1"), port});
  boost::beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
  req.set(bhttp::field::host, "bench");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = kBody;
  req.prepare_payload();
  for (auto _ : state) {
    bhttp::write(socket, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    if (res.body().size() != kBody.size()) {
      state.SkipWithError("unexpected response");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

std::uint16_t cocoonPort() {
  static MetricsRegistry metrics;
  static std::unique_ptr<Server> server = [] {
    (void)initLogging({LogLevel::kWarn, LogFormat::kText});  // no access log in the loop
    Router router;
    (void)router.add("POST", "/echo", [](const Request& r) { return Response::json(200, r.body); });
    ServerOptions options;
    options.threads = std::getenv("BENCH_THREADS")
                          ? static_cast<unsigned>(std::atoi(std::getenv("BENCH_THREADS")))
                          : 2;
    auto s = std::make_unique<Server>(options, std::move(router), metrics);
    if (!s->start()) {
      std::abort();
    }
    return s;
  }();
  return server->boundPort();
}

std::uint16_t peerPort() {
  static BeastLoopServer server;
  return server.port();
}

void BM_Cocoon(benchmark::State& state) {
  roundTrips(state, cocoonPort());
}
void BM_BeastLoopPeer(benchmark::State& state) {
  roundTrips(state, peerPort());
}
BENCHMARK(BM_Cocoon)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_BeastLoopPeer)->Threads(1)->Threads(4)->UseRealTime();

// Prints "threads=N cocoon/peer = R" for every thread count both ran.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const double rate = static_cast<double>(run.iterations) / run.real_accumulated_time;
      (run.benchmark_name().starts_with("BM_Cocoon") ? cocoon_ : peer_)[run.threads] = rate;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const auto& [threads, rate] : cocoon_) {
      if (auto it = peer_.find(threads); it != peer_.end() && it->second > 0) {
        std::printf("threads=%lld cocoon/peer = %.2f\n", static_cast<long long>(threads),
                    rate / it->second);
      }
    }
  }

 private:
  std::map<std::int64_t, double> cocoon_;
  std::map<std::int64_t, double> peer_;
};

}  // namespace
}  // namespace cocoon::http::server

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  cocoon::http::server::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

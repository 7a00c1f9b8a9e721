// SPDX-License-Identifier: Apache-2.0
// ttrpc_grpc_bench: cocoon's ttrpc vs gRPC C++ (Debian's grpc++) on the same Echo service
// over a unix socket in the same run: round-trip latency (p50/p99) of a small message one
// call at a time, and throughput (MB/s) with 64 KiB payloads each way, with the ratios.
#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "bench/ttrpc/echo_client.h"
#include "bench/ttrpc/grpc_echo.grpc.pb.h"
#include "tests/ttrpc/echo.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"

namespace {

namespace asio = boost::asio;
namespace ttrpc = cocoon::ttrpc;
using cocoon::ttrpc::test::EchoRequest;
using cocoon::ttrpc::test::EchoResponse;
using Clock = std::chrono::steady_clock;

using cocoon::bench::kEchoService;
using cocoon::bench::Row;
using cocoon::bench::summarize;

double microsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

class GrpcEcho final : public cocoon::ttrpc::test::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* req, EchoResponse* resp) override {
    resp->set_text(req->text());
    return grpc::Status::OK;
  }
};

// `concurrency` threads making blocking calls on one gRPC channel (one HTTP/2 connection).
cocoon::Result<Row> runGrpc(const std::string& socket, const EchoRequest& req, int total,
                            int concurrency) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(8 << 20);
  auto channel =
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
  auto stub = cocoon::ttrpc::test::Echo::NewStub(channel);
  const auto n = static_cast<std::size_t>(concurrency);
  std::vector<std::vector<double>> latencies(n);
  std::vector<int> failures(n, 0);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (std::size_t w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < total / concurrency; ++i) {
        grpc::ClientContext context;
        EchoResponse resp;
        const auto call_start = Clock::now();
        const grpc::Status status = stub->Echo(&context, req, &resp);
        latencies[w].push_back(microsSince(call_start));
        if (!status.ok() || resp.text().size() != req.text().size()) {
          ++failures[w];
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (std::size_t w = 0; w < n; ++w) {
    if (failures[w] > 0) {
      return cocoon::fail(cocoon::Code::kInternal, "{} gRPC calls failed", failures[w]);
    }
    all.insert(all.end(), latencies[w].begin(), latencies[w].end());
  }
  return summarize(std::move(all), seconds, req.text().size());
}

void printRow(const char* name, const char* what, int concurrency, const cocoon::Result<Row>& r) {
  if (!r) {
    fmt::print("{:<6} {:<10} {:>4}  failed: {}\n", name, what, concurrency, r.error().toString());
    return;
  }
  fmt::print("{:<6} {:<10} {:>4} {:>10.0f} {:>9.1f} {:>9.1f} {:>9.1f}\n", name, what, concurrency,
             r->calls_per_s, r->mb_per_s, r->p50_us, r->p99_us);
}

void printRatio(const char* what, int concurrency, const cocoon::Result<Row>& ours,
                const cocoon::Result<Row>& grpc) {
  if (ours && grpc) {
    fmt::print(
        "{:<6} {:<10} {:>4} {:>10.2f} {:>9.2f} {:>9.2f} {:>9.2f}   (ttrpc/gRPC; p50/p99: "
        "gRPC/ttrpc; above 1: ttrpc faster)\n",
        "ratio", what, concurrency, ours->calls_per_s / grpc->calls_per_s,
        ours->mb_per_s / grpc->mb_per_s, grpc->p50_us / ours->p50_us, grpc->p99_us / ours->p99_us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 20000;
  if (calls <= 0 || (argc > 1 && std::string(argv[1]) == "--help")) {
    std::fprintf(stderr, "usage: ttrpc_grpc_bench [CALLS]  (default 20000 small, CALLS/10 big)\n");
    return 2;
  }
  char dir_template[] = "/tmp/ttrpc-grpc-bench-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir = dir_template;
  const std::string ttrpc_socket = (dir / "ttrpc.sock").string();
  const std::string grpc_socket = (dir / "grpc.sock").string();

  // One server thread each: ttrpc's Server{threads=1}; gRPC's sync server polls on its own
  // completion queue threads (its default), so gRPC is not held back by our choice.
  ttrpc::Server server(ttrpc::ServerOptions{.threads = 1});
  if (!server.registerTyped<EchoRequest, EchoResponse>(kEchoService, "Echo", cocoon::bench::echo) ||
      !server.listen({ttrpc::Address::Kind::kUnix, ttrpc_socket}) || !server.start()) {
    std::fprintf(stderr, "cannot start the ttrpc server\n");
    return 1;
  }
  GrpcEcho service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + grpc_socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(8 << 20);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (!grpc_server) {
    std::fprintf(stderr, "cannot start the gRPC server\n");
    return 1;
  }

  EchoRequest small;
  small.set_text("ping");
  EchoRequest big;
  big.set_text(std::string(64 * 1024, 'x'));
  fmt::print("Echo over unix sockets, ttrpc (cocoon) vs gRPC C++ {}, one connection each\n",
             grpc::Version());
  fmt::print("{:<6} {:<10} {:>4} {:>10} {:>9} {:>9} {:>9}\n", "", "payload", "conc", "calls/s",
             "MB/s", "p50 us", "p99 us");
  struct Case {
    const char* what;
    const EchoRequest* req;
    int calls;
    int concurrency;
  };
  const Case cases[] = {{"4 B", &small, calls, 1},
                        {"64 KiB", &big, std::max(calls / 10, 100), 1},
                        {"64 KiB", &big, std::max(calls / 10, 100), 8}};
  for (const Case& c : cases) {
    // Warm both connections' paths (allocators, HTTP/2 windows) before measuring.
    (void)cocoon::bench::runOurClient(ttrpc_socket, *c.req, 200, 1);
    (void)runGrpc(grpc_socket, *c.req, 200, 1);
    const auto ours = cocoon::bench::runOurClient(ttrpc_socket, *c.req, c.calls, c.concurrency);
    const auto theirs = runGrpc(grpc_socket, *c.req, c.calls, c.concurrency);
    printRow("ttrpc", c.what, c.concurrency, ours);
    printRow("gRPC", c.what, c.concurrency, theirs);
    printRatio(c.what, c.concurrency, ours, theirs);
  }
  grpc_server->Shutdown();
  server.stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}

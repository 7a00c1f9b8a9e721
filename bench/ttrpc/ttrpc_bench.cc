// SPDX-License-Identifier: Apache-2.0
// ttrpc_bench: Echo round trips over a unix socket for every pairing of cocoon's C++ ttrpc
// and containerd's Go ttrpc (client x server), at several numbers of calls in flight on
// one connection; prints calls/s, p50/p99 latency and the C++/Go ratios.
#include <unistd.h>

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

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
#include "http/peer_process.h"
#include "tests/ttrpc/echo.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"

namespace {

namespace asio = boost::asio;
namespace ttrpc = cocoon::ttrpc;
using cocoon::ttrpc::test::EchoRequest;
using cocoon::ttrpc::test::EchoResponse;
using Clock = std::chrono::steady_clock;

using cocoon::bench::echo;
using cocoon::bench::kEchoService;
using cocoon::bench::Row;

cocoon::Result<Row> runOurClient(const std::string& socket, int total, int concurrency) {
  EchoRequest req;
  req.set_text("ping");
  return cocoon::bench::runOurClient(socket, req, total, concurrency);
}

// The Go client (peer "bench" mode): prints calls=, seconds=, p50_us=, p99_us=.
cocoon::Result<Row> runGoClient(const std::string& peer, const std::string& socket, int total,
                                int concurrency) {
  COCOON_ASSIGN_OR_RETURN(std::string out,
                          cocoon::test::runTool({peer, "bench", socket, std::to_string(total),
                                                 std::to_string(concurrency)}));
  long calls = 0;
  double seconds = 0;
  Row row;
  if (std::sscanf(out.c_str(), "calls=%ld seconds=%lf p50_us=%lf p99_us=%lf", &calls, &seconds,
                  &row.p50_us, &row.p99_us) != 4 ||
      seconds <= 0) {
    return cocoon::fail(cocoon::Code::kInternal, "unexpected Go peer output: {}", out);
  }
  row.calls_per_s = static_cast<double>(calls) / seconds;
  return row;
}

struct Options {
  int calls = 20000;
  std::vector<int> concurrency = {1, 16, 64};
  unsigned server_threads = 1;
};

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--calls" && value != nullptr) {
      o.calls = std::atoi(value);
      ++i;
    } else if (arg == "--server-threads" && value != nullptr) {
      o.server_threads = static_cast<unsigned>(std::atoi(value));
      ++i;
    } else if (arg == "--concurrency" && value != nullptr) {
      o.concurrency.clear();
      std::string list = value;
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = std::min(list.find(',', at), list.size());
        o.concurrency.push_back(std::atoi(list.substr(at, comma - at).c_str()));
        at = comma + 1;
      }
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: ttrpc_bench [--calls N] [--concurrency 1,16,64] "
                   "[--server-threads T]\n");
      std::exit(arg == "--help" ? 0 : 2);
    }
  }
  return o;
}

void printRow(const char* pairing, int concurrency, const cocoon::Result<Row>& row) {
  if (!row) {
    fmt::print("{:<14} {:>5}  failed: {}\n", pairing, concurrency, row.error().toString());
    return;
  }
  fmt::print("{:<14} {:>5} {:>12.0f} {:>10.1f} {:>10.1f}\n", pairing, concurrency, row->calls_per_s,
             row->p50_us, row->p99_us);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseArgs(argc, argv);
  const std::string go_peer = TTRPC_GO_PEER;
  char dir_template[] = "/tmp/ttrpc-bench-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir = dir_template;
  const std::string ours = (dir / "cpp.sock").string();
  const std::string theirs = (dir / "go.sock").string();

  ttrpc::Server server(ttrpc::ServerOptions{.threads = options.server_threads});
  if (!server.registerTyped<EchoRequest, EchoResponse>(kEchoService, "Echo", echo) ||
      !server.listen({ttrpc::Address::Kind::kUnix, ours}) || !server.start()) {
    std::fprintf(stderr, "cannot start the C++ server\n");
    return 1;
  }
  std::unique_ptr<cocoon::test::PeerProcess> go_server;
  if (!go_peer.empty()) {
    auto peer = cocoon::test::PeerProcess::start({go_peer, "serve", theirs});
    if (peer && (*peer)->waitForLine("^listening ", std::chrono::seconds(20))) {
      go_server = std::move(*peer);
    }
  }
  if (!go_server) {
    std::fprintf(stderr, "Go ttrpc peer unavailable: C++ rows only\n");
  }

  fmt::print(
      "unary Echo round trips over a unix socket, {} calls per row, one connection, "
      "C++ server threads: {}, Go GOMAXPROCS: {} cores\n",
      options.calls, options.server_threads, std::thread::hardware_concurrency());
  fmt::print("{:<14} {:>5} {:>12} {:>10} {:>10}\n", "client>server", "conc", "calls/s", "p50 us",
             "p99 us");
  for (int concurrency : options.concurrency) {
    const auto cc = runOurClient(ours, options.calls, concurrency);
    printRow("C++ > C++", concurrency, cc);
    if (!go_server) {
      continue;
    }
    const auto gg = runGoClient(go_peer, theirs, options.calls, concurrency);
    const auto cg = runOurClient(theirs, options.calls, concurrency);
    const auto gc = runGoClient(go_peer, ours, options.calls, concurrency);
    printRow("Go > Go", concurrency, gg);
    printRow("C++ > Go", concurrency, cg);
    printRow("Go > C++", concurrency, gc);
    if (cc && gg) {
      fmt::print(
          "{:<14} {:>5} {:>12.2f} {:>10.2f} {:>10.2f}   (C++>C++ / Go>Go; p50/p99: Go/C++)\n",
          "ratio", concurrency, cc->calls_per_s / gg->calls_per_s, gg->p50_us / cc->p50_us,
          gg->p99_us / cc->p99_us);
    }
  }
  server.stop();
  go_server.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}

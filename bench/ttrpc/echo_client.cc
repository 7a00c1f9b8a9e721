// SPDX-License-Identifier: Apache-2.0
// The ttrpc benches' shared Echo handler, client loop and summary.
#include "bench/ttrpc/echo_client.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "ttrpc/client.h"

namespace cocoon::bench {
namespace {

namespace asio = boost::asio;
using ttrpc::test::EchoRequest;
using ttrpc::test::EchoResponse;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> worker(ttrpc::Client& client, const EchoRequest& req, int calls,
                             std::vector<double>& latencies_us, int& failures) {
  for (int i = 0; i < calls; ++i) {
    const auto start = Clock::now();
    auto resp = co_await client.callTyped<EchoResponse>(kEchoService, "Echo", req);
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!resp || resp->text().size() != req.text().size()) {
      ++failures;
    }
  }
}

}  // namespace

Row summarize(std::vector<double> latencies_us, double seconds, std::size_t payload) {
  std::sort(latencies_us.begin(), latencies_us.end());
  Row row;
  const auto calls = static_cast<double>(latencies_us.size());
  row.calls_per_s = calls / seconds;
  row.mb_per_s = calls * 2.0 * static_cast<double>(payload) / seconds / 1e6;
  row.p50_us = latencies_us[latencies_us.size() / 2];
  row.p99_us = latencies_us[latencies_us.size() * 99 / 100];
  return row;
}

asio::awaitable<Result<EchoResponse>> echo(const EchoRequest& req, const ttrpc::Request&) {
  EchoResponse resp;
  resp.set_text(req.text());
  co_return resp;
}

Result<Row> runOurClient(const std::string& socket, const EchoRequest& req, int total,
                         int concurrency) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread thread([&io] { io.run(); });
  auto client = ttrpc::Client::connect(io.get_executor(), {ttrpc::Address::Kind::kUnix, socket});
  if (!client) {
    work.reset();
    thread.join();
    return fail(client.error());
  }
  const auto n = static_cast<std::size_t>(concurrency);
  std::vector<std::vector<double>> latencies(n);
  std::vector<int> failures(n, 0);
  std::vector<std::future<void>> done;
  const auto start = Clock::now();
  for (std::size_t w = 0; w < n; ++w) {
    latencies[w].reserve(static_cast<std::size_t>(total / concurrency));
    done.push_back(
        asio::co_spawn(io, worker(**client, req, total / concurrency, latencies[w], failures[w]),
                       asio::use_future));
  }
  for (auto& d : done) {
    d.get();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  client->reset();
  work.reset();
  io.stop();
  thread.join();
  std::vector<double> all;
  int failed = 0;
  for (std::size_t w = 0; w < n; ++w) {
    all.insert(all.end(), latencies[w].begin(), latencies[w].end());
    failed += failures[w];
  }
  if (failed > 0) {
    return fail(Code::kInternal, "{} of {} calls failed", failed, all.size());
  }
  return summarize(std::move(all), seconds, req.text().size());
}

}  // namespace cocoon::bench

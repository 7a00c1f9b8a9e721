// SPDX-License-Identifier: Apache-2.0
// What the ttrpc benches share: the Echo handler every server runs, our ttrpc client loop
// (calls in flight on one connection) and the summary row of a run.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "tests/ttrpc/echo.pb.h"
#include "ttrpc/message.h"

namespace cocoon::bench {

inline constexpr char kEchoService[] = "cocoon.test.Echo";

struct Row {
  double calls_per_s = 0;
  double mb_per_s = 0;  // request + response text bytes per second
  double p50_us = 0;
  double p99_us = 0;
};

// calls/s, MB/s (each call moving `payload` bytes each way) and latency percentiles.
Row summarize(std::vector<double> latencies_us, double seconds, std::size_t payload);

// The same work as the Go and gRPC peers: parse the request, copy its text into the answer.
boost::asio::awaitable<Result<ttrpc::test::EchoResponse>> echo(const ttrpc::test::EchoRequest& req,
                                                               const ttrpc::Request&);

// Our client: `concurrency` coroutines on one connection to the unix socket `socket`, its
// I/O on one thread, `total` calls of `req` in all. Errors: connect errors; kInternal when
// a call fails or answers a different length.
Result<Row> runOurClient(const std::string& socket, const ttrpc::test::EchoRequest& req, int total,
                         int concurrency);

}  // namespace cocoon::bench

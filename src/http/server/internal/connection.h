// SPDX-License-Identifier: Apache-2.0
// The state a Server shares with its connections, and the coroutine that serves one
// accepted connection (TLS handshake, requests until close, limits and timeouts).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/server/metrics.h"
#include "http/server/router.h"
#include "http/server/server.h"

namespace cocoon::http::server::internal {

// What stop() needs to reach one connection. Shared (shared_ptr) between the server's
// registry and closures posted to the connection's strand, which may run after the
// connection has ended; `socket` and `idle` are only touched on that strand.
struct ConnectionHandle {
  boost::asio::any_io_executor executor;
  boost::asio::ip::tcp::socket* socket = nullptr;  // null once the connection ended
  bool idle = false;                               // waiting for the next request
};

// Everything connections read or update. Owned by the Server; outlives every connection.
class ServerState {
 public:
  ServerState(ServerOptions options, Router router, MetricsRegistry& metrics);

  const ServerOptions options;
  const Router router;
  MetricsRegistry& metrics;
  std::optional<boost::asio::ssl::context> tls;  // set before start when TLS is on

  Gauge& in_flight;
  Gauge& open_gauge;
  Counter& rejected;
  Counter& bytes_in;
  Counter& bytes_out;

  // Connections accepted and not yet ended (the limit check and stop()'s drain).
  std::atomic<std::size_t> open{0};

  // Registers a connection; false when the server is already stopping.
  bool enter(const std::shared_ptr<ConnectionHandle>& handle);
  // Unregisters it and counts it closed.
  void leave(const std::shared_ptr<ConnectionHandle>& handle);
  // Marks the server stopping and returns the live connections.
  std::vector<std::shared_ptr<ConnectionHandle>> beginStop();
  // Waits until every connection has ended or `deadline` passes; true when drained.
  bool waitDrained(std::chrono::steady_clock::time_point deadline);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  std::vector<std::shared_ptr<ConnectionHandle>> connections();

  // "5f3a9c01-0000002a": a per-process random prefix and a counter.
  std::string nextRequestId();
  // Records metrics for one answered request. REQUIRES: `route` is one of the router's
  // labels and 100 <= status <= 599.
  void recordRequest(std::string_view method, std::string_view route, unsigned status,
                     double seconds);

 private:
  // The series of one route, found once and kept: a registry lookup builds label strings
  // and takes its lock, twice per request. Created on first use, so /metrics lists only
  // series that happened.
  struct RouteSeries {
    std::atomic<Histogram*> duration{nullptr};
    std::array<std::atomic<Counter*>, 8 * 5> requests{};  // method label x status class
  };
  std::unordered_map<std::string_view, RouteSeries> route_series_;  // fixed after construction

  std::mutex mutex_;
  std::condition_variable drained_;
  std::atomic<bool> stopping_{false};
  std::set<std::shared_ptr<ConnectionHandle>> connections_;
  std::string id_prefix_;
  std::atomic<std::uint64_t> next_id_{0};
};

// Serves one accepted connection until it closes. REQUIRES: `state.open` already counts
// it; the coroutine runs on the socket's (strand) executor.
boost::asio::awaitable<void> runConnection(ServerState& state, boost::asio::ip::tcp::socket socket);

}  // namespace cocoon::http::server::internal

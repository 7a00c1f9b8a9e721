// SPDX-License-Identifier: Apache-2.0
// Server: the HTTP/1.1 (optionally TLS) server in front of cocoon-kbs. It faces the
// internet: it enforces size and time limits before handing a request to a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/server/metrics.h"
#include "http/server/router.h"

namespace cocoon::http::server {

struct ServerOptions {
  // "host:port" with an IPv4 literal, "[v6]:port", or "localhost:port". Port 0 lets the
  // kernel pick one (see Server::boundPort()).
  std::string listen = "127.0.0.1:0";
  // PEM certificate chain (leaf first) and private key. Both empty: plain HTTP. TLS 1.2 is
  // the minimum version.
  std::string tls_cert_path;
  std::string tls_key_path;
  // Worker threads running connections and handlers.
  unsigned threads = 2;
  // Request line plus header fields; larger -> 431 and the connection is closed.
  std::size_t max_header_bytes = 16 * 1024;
  // Body, checked against Content-Length before reading it and while reading chunks;
  // larger -> 413 and the connection is closed.
  std::size_t max_body_bytes = 1024 * 1024;
  // The whole request (header and body) must arrive within this time, counted from the
  // connection's accept (first request) or from the first byte of a later request; the
  // TLS handshake and writing a response are bounded by it too. On expiry the connection
  // is closed without an answer.
  std::chrono::milliseconds read_timeout{10'000};
  // How long a keep-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{30'000};
  // Connections beyond this are closed right after accept and counted.
  std::size_t max_connections = 1024;
  // Route GET /metrics. Turn off when the port faces the internet and metrics are scraped
  // elsewhere (e.g. rendered by the service on an admin port).
  bool serve_metrics = true;
};

// An HTTP/1.1 server: keep-alive, Connection: close honoured, no pipelining, no HEAD.
// Built-in routes (added unless the router already has them): GET /health ->
// {"status":"ok"}, GET /metrics -> the MetricsRegistry in Prometheus text format 0.0.4
// (unless serve_metrics is off).
// One access-log line per request (component "http"): method, route, status, duration,
// bytes, remote and request id; never bodies, Authorization or cookies.
//
// Metrics it maintains in the registry: http_requests_total{method,route,status},
// http_request_duration_seconds{route}, http_requests_in_flight, http_connections_open,
// http_connections_rejected_total, http_received_bytes_total, http_sent_bytes_total.
//
// start() and stop() must be called from one thread that is not a worker thread.
class Server {
 public:
  // REQUIRES: `metrics` outlives the Server.
  Server(ServerOptions options, Router router, MetricsRegistry& metrics);
  // Stops (as stop() with a 5 s deadline) if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the worker threads; returns once connections are accepted.
  // Errors: kInvalidArgument for a malformed listen address, options out of range
  // (threads or a limit of 0) or a TLS certificate/key that does not load or match;
  // kUnavailable naming the address when it cannot be bound (e.g. in use);
  // kFailedPrecondition when already started.
  Status start();

  // The port listened on (the kernel's pick for port 0); 0 before start().
  std::uint16_t boundPort() const;

  // Graceful stop: closes the listener and idle connections, lets requests in progress
  // finish (their responses carry Connection: close) until `deadline`, then closes every
  // connection and joins the workers. A handler cannot be interrupted: stop() returns only
  // after running handlers have returned. Idempotent.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cocoon::http::server

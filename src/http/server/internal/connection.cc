// SPDX-License-Identifier: Apache-2.0
// One connection: TLS handshake, then requests read under the limits, routed, answered
// and logged until the peer, a timeout, an error or stop() ends it.
#include "http/server/internal/connection.h"

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <array>
#include <chrono>
#include <random>
#include <type_traits>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/log.h"
#include "http/server/internal/parse.h"

namespace cocoon::http::server::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// A metrics label must come from a small fixed set, or a client could create series at will.
std::string_view methodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "POST",    "PUT", "DELETE",
                                                             "PATCH", "OPTIONS", "HEAD"};
  for (const auto known : kKnown) {
    if (method == known) {
      return known;
    }
  }
  return "other";
}

std::string formatRemote(const asio::ip::tcp::socket& socket) {
  error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

// RFC 9110 §5.1 token characters; a handler bug must not let CR/LF split our response.
bool validFieldName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool validFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// What one request produced, for the response, the log line and the metrics.
struct Outcome {
  std::string method = "-";
  std::string_view route = "unmatched";
  Response response;
  bool close = false;
};

// Runs the handler with the last-resort catch (STYLE.md §4.2).
Outcome dispatch(const ServerState& state, const Request& request) {
  Outcome out;
  out.method = request.method;
  try {
    Router::Match match = state.router.route(request);
    out.route = match.route;
    out.response = match.handler != nullptr ? (*match.handler)(request) : std::move(match.response);
  } catch (const std::exception& e) {
    COCOON_LOG(kError, "http", "handler for {} {} failed (request {}): {}",
               methodLabel(request.method), out.route, request.request_id, e.what());
    out.response = state.router.errorResponder()(500, "internal error");
  } catch (...) {
    COCOON_LOG(kError, "http", "handler for {} {} threw a non-exception (request {})",
               methodLabel(request.method), out.route, request.request_id);
    out.response = defaultErrorResponse(500, "internal error");
  }
  if (out.response.status < 100 || out.response.status > 599) {
    COCOON_LOG(kError, "http", "handler for {} returned status {}", out.route, out.response.status);
    out.response = defaultErrorResponse(500, "internal error");
  }
  return out;
}

beast_http::response<beast_http::string_body> toWire(Response&& response, unsigned version,
                                                     bool keep_alive, const std::string& id) {
  beast_http::response<beast_http::string_body> res;
  res.version(version);
  res.result(response.status);
  for (auto& [name, value] : response.headers.entries()) {
    if (!validFieldName(name) || !validFieldValue(value)) {
      COCOON_LOG(kError, "http", "dropping invalid response header (request {})", id);
      continue;
    }
    // Framing is ours alone.
    if (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Transfer-Encoding") ||
        equalsIgnoreCase(name, "Connection")) {
      continue;
    }
    res.insert(name, value);
  }
  res.set("X-Request-Id", id);
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// RAII for the connection's registration and its place in the open count.
class Registration {
 public:
  Registration(ServerState& state, std::shared_ptr<ConnectionHandle> handle)
      : state_(state), handle_(std::move(handle)), entered_(state_.enter(handle_)) {}
  ~Registration() {
    handle_->socket = nullptr;
    state_.leave(handle_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  bool entered() const { return entered_; }

 private:
  ServerState& state_;
  std::shared_ptr<ConnectionHandle> handle_;
  bool entered_;
};

// Gauge increment for the lifetime of one request.
class InFlight {
 public:
  explicit InFlight(Gauge& gauge) : gauge_(gauge) { gauge_.add(1); }
  ~InFlight() { gauge_.add(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Gauge& gauge_;
};

// Closing with unread request bytes in the kernel buffer makes it send RST, which can
// destroy the error response before the client reads it. So after refusing a request,
// half-close and discard what the client still sends, bounded in time and bytes.
asio::awaitable<void> lingeringClose(beast::tcp_stream& tcp, std::chrono::milliseconds timeout) {
  constexpr std::size_t kMaxDiscard = 1024 * 1024;
  error_code ec;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  tcp.expires_after(std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(1)));
  std::array<char, 4096> scratch{};
  for (std::size_t total = 0; !ec && total < kMaxDiscard;) {
    total += co_await tcp.async_read_some(asio::buffer(scratch),
                                          asio::redirect_error(asio::use_awaitable, ec));
  }
}

template <class Stream>
asio::awaitable<void> serveRequests(ServerState& state, Stream& stream, ConnectionHandle& handle,
                                    const std::string& remote) {
  const ServerOptions& opt = state.options;
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  error_code ec;
  for (bool first = true;; first = false) {
    // Between requests the connection is idle: stop() may close it, and the idle timeout
    // applies until a byte arrives; the first request's clock started at accept.
    handle.idle = true;
    if (state.stopping()) {
      co_return;
    }
    if (!first) {
      tcp.expires_after(opt.idle_timeout);
    }
    if (buffer.size() == 0) {
      const std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      buffer.commit(n);
    }
    handle.idle = false;
    if (!first) {
      tcp.expires_after(opt.read_timeout);
    }

    const auto started = Clock::now();
    RequestParser parser;
    applyLimits(parser, opt.max_header_bytes, opt.max_body_bytes);
    Outcome out;
    std::size_t bytes_in = co_await beast_http::async_read_header(
        stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    std::optional<InFlight> in_flight;
    RequestError refused;
    if (!ec) {
      in_flight.emplace(state.in_flight);
      out.method = toStdString(parser.get().method_string());
      if (auto head = checkHead(parser.get()); !head) {
        refused = head.error();
      }
    } else {
      refused = classifyReadError(ec);
      if (refused.status == 0) {
        state.bytes_in.inc(bytes_in);
        co_return;
      }
    }
    if (refused.status == 0 && !parser.is_done()) {
      // RFC 9110 §10.1.1: a client that sent Expect: 100-continue waits for this before
      // sending the body; only send it once the header passed every check.
      if (parser.get().version() >= 11 &&
          equalsIgnoreCase(toStdString(parser.get()[beast_http::field::expect]), "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        state.bytes_out.inc(
            co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                       asio::redirect_error(asio::use_awaitable, ec)));
        if (ec) {
          co_return;
        }
      }
      bytes_in += co_await beast_http::async_read(stream, buffer, parser,
                                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        refused = classifyReadError(ec);
        if (refused.status == 0) {
          state.bytes_in.inc(bytes_in);
          co_return;
        }
      }
    }
    state.bytes_in.inc(bytes_in);

    unsigned version = 11;
    std::string id = state.nextRequestId();
    if (refused.status != 0) {
      // After a framing error the rest of the stream cannot be trusted: answer and close.
      COCOON_LOG_RATE_LIMITED(kDebug, "http", "refusing request from {}: {}", remote,
                              refused.detail);
      out.response = state.router.errorResponder()(refused.status, refused.detail);
      out.close = true;
    } else {
      version = parser.get().version();
      out.close = !parser.get().keep_alive();
      Request request = toRequest(parser.release());
      request.remote = remote;
      request.request_id = id;
      Outcome handled = dispatch(state, request);
      handled.close = out.close;
      out = std::move(handled);
    }
    const bool keep_alive = !out.close && !state.stopping();
    const unsigned status = out.response.status;
    auto wire = toWire(std::move(out.response), version, keep_alive, id);
    tcp.expires_after(opt.read_timeout);
    const std::size_t bytes_out = co_await beast_http::async_write(
        stream, wire, asio::redirect_error(asio::use_awaitable, ec));
    state.bytes_out.inc(bytes_out);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    state.recordRequest(out.method, out.route, status, seconds);
    in_flight.reset();
    COCOON_LOG(kInfo, "http", "{} {} {} {:.3f}ms in={} out={} remote={} id={}",
               out.method.substr(0, 16), out.route, status, seconds * 1000.0, bytes_in, bytes_out,
               remote, id);
    if (!ec && refused.status != 0) {
      co_await lingeringClose(tcp, opt.read_timeout);
    }
    if (ec || !keep_alive) {
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<void> serveConnection(ServerState& state, Stream& stream,
                                      const std::shared_ptr<ConnectionHandle>& handle,
                                      const std::string& remote) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  handle->socket = &tcp.socket();
  Registration registration(state, handle);
  if (!registration.entered()) {
    co_return;
  }
  tcp.expires_after(state.options.read_timeout);
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      COCOON_LOG_RATE_LIMITED(kDebug, "http", "TLS handshake with {} failed: {}", remote,
                              ec.message());
      co_return;
    }
  }
  // No TLS close_notify exchange at the end: HTTP framing already delimits every
  // response, and waiting for the peer's close_notify would let it hold the connection.
  co_await serveRequests(state, stream, *handle, remote);
}

}  // namespace

ServerState::ServerState(ServerOptions opts, Router routes, MetricsRegistry& registry)
    : options(std::move(opts)),
      router(std::move(routes)),
      metrics(registry),
      in_flight(registry.gauge("http_requests_in_flight", "HTTP requests being served.")),
      open_gauge(registry.gauge("http_connections_open", "Open HTTP connections.")),
      rejected(registry.counter("http_connections_rejected_total",
                                "Connections closed at accept because the limit was reached.")),
      bytes_in(registry.counter("http_received_bytes_total", "Bytes of HTTP requests read.")),
      bytes_out(registry.counter("http_sent_bytes_total", "Bytes of HTTP responses written.")) {
  std::random_device random;
  id_prefix_ = fmt::format("{:08x}", random());
}

bool ServerState::enter(const std::shared_ptr<ConnectionHandle>& handle) {
  std::lock_guard lock(mutex_);
  if (stopping_.load(std::memory_order_relaxed)) {
    return false;
  }
  connections_.insert(handle);
  return true;
}

void ServerState::leave(const std::shared_ptr<ConnectionHandle>& handle) {
  std::lock_guard lock(mutex_);
  connections_.erase(handle);
  open.fetch_sub(1);
  open_gauge.add(-1);
  drained_.notify_all();
}

std::vector<std::shared_ptr<ConnectionHandle>> ServerState::beginStop() {
  std::lock_guard lock(mutex_);
  stopping_.store(true, std::memory_order_release);
  return {connections_.begin(), connections_.end()};
}

std::vector<std::shared_ptr<ConnectionHandle>> ServerState::connections() {
  std::lock_guard lock(mutex_);
  return {connections_.begin(), connections_.end()};
}

bool ServerState::waitDrained(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return drained_.wait_until(lock, deadline, [this] { return open.load() == 0; });
}

std::string ServerState::nextRequestId() {
  return fmt::format("{}-{:08x}", id_prefix_, next_id_.fetch_add(1) + 1);
}

void ServerState::recordRequest(std::string_view method, std::string_view route, unsigned status,
                                double seconds) {
  const std::string status_class = fmt::format("{}xx", status / 100);
  metrics
      .counter("http_requests_total", "HTTP requests answered.",
               {{"method", std::string(methodLabel(method))},
                {"route", std::string(route)},
                {"status", status_class}})
      .inc();
  metrics
      .histogram("http_request_duration_seconds", "Time from request start to response written.",
                 defaultLatencyBuckets(), {{"route", std::string(route)}})
      .observe(seconds);
}

asio::awaitable<void> runConnection(ServerState& state, asio::ip::tcp::socket socket) {
  auto handle = std::make_shared<ConnectionHandle>();
  handle->executor = socket.get_executor();
  const std::string remote = formatRemote(socket);
  // The stream outlives serveConnection(), so the connection is counted closed before
  // its socket closes and a peer that saw the close sees the counts updated.
  if (!state.tls) {
    beast::tcp_stream stream(std::move(socket));
    co_await serveConnection(state, stream, handle, remote);
  } else {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *state.tls);
    co_await serveConnection(state, stream, handle, remote);
  }
}

}  // namespace cocoon::http::server::internal

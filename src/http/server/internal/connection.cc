// SPDX-License-Identifier: Apache-2.0
// One connection: TLS handshake, then requests read under the limits, routed, answered
// and logged until the peer, a timeout, an error or stop() ends it. Per request the
// plain-TCP path costs one read and one write on the socket and no timer operation.
#include "http/server/internal/connection.h"

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "common/log.h"
#include "http/server/internal/parse.h"

namespace cocoon::http::server::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// A metrics label must come from a small fixed set, or a client could create series at will.
constexpr std::array<std::string_view, 8> kMethodLabels = {"GET",   "POST",    "PUT",  "DELETE",
                                                           "PATCH", "OPTIONS", "HEAD", "other"};

std::size_t methodIndex(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kMethodLabels.size(); ++i) {
    if (method == kMethodLabels[i]) {
      return i;
    }
  }
  return kMethodLabels.size() - 1;
}

std::string_view methodLabel(std::string_view method) {
  return kMethodLabels[methodIndex(method)];
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

// The connection's time limit. Moving the deadline later costs a store: the timer is armed
// at most `horizon` (the shorter of the read and idle timeouts) ahead, and on firing re-arms
// to the current deadline, so a keep-alive connection wakes once per horizon instead of
// arming and cancelling a timer per read and write. Only a deadline earlier than the
// armed time re-arms at once. On expiry it cancels the socket's operations. Shared with
// the timer's handler, which may run after the connection ended; runs on the connection's
// strand only.
class Deadline : public std::enable_shared_from_this<Deadline> {
 public:
  Deadline(const asio::any_io_executor& executor, asio::ip::tcp::socket& socket,
           Clock::duration horizon)
      : timer_(executor), socket_(&socket), horizon_(horizon) {}

  void set(Clock::time_point at) {
    deadline_ = at;
    if (at < armed_at_) {
      arm(Clock::now());
    }
  }
  bool expired() const { return expired_; }
  // The connection ended: the handler must no longer touch the socket.
  void end() {
    socket_ = nullptr;
    timer_.cancel();
  }

 private:
  void arm(Clock::time_point now) {
    armed_at_ = std::min(deadline_, now + horizon_);
    timer_.expires_at(armed_at_);
    timer_.async_wait([self = shared_from_this(), generation = ++generation_](error_code) {
      self->fired(generation);
    });
  }
  void fired(std::uint64_t generation) {
    if (generation != generation_ || socket_ == nullptr) {
      return;  // re-armed since, or the connection is gone
    }
    const auto now = Clock::now();
    if (now < deadline_) {
      arm(now);
      return;
    }
    expired_ = true;
    error_code ignored;
    socket_->cancel(ignored);
  }

  asio::steady_timer timer_;
  asio::ip::tcp::socket* socket_;
  Clock::duration horizon_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_ = Clock::time_point::max();
  std::uint64_t generation_ = 0;
  bool expired_ = false;
};

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

asio::ip::tcp::socket& lowestLayer(asio::ip::tcp::socket& socket) {
  return socket;
}
asio::ip::tcp::socket& lowestLayer(TlsStream& stream) {
  return stream.next_layer();
}

// Writes a response head and body. Plain TCP gathers both into one sendmsg; TLS gets one
// buffer, since Asio's SSL stream writes a buffer sequence one buffer (one record) at a time.
asio::awaitable<std::size_t> writeResponse(asio::ip::tcp::socket& socket, std::string& head,
                                           const std::string& body, error_code& ec) {
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
  co_return co_await asio::async_write(socket, buffers,
                                       asio::redirect_error(asio::use_awaitable, ec));
}
asio::awaitable<std::size_t> writeResponse(TlsStream& stream, std::string& head,
                                           const std::string& body, error_code& ec) {
  head.append(body);
  co_return co_await asio::async_write(stream, asio::buffer(head),
                                       asio::redirect_error(asio::use_awaitable, ec));
}

// Closing with unread request bytes in the kernel buffer makes it send RST, which can
// destroy the error response before the client reads it. So after refusing a request,
// half-close and discard what the client still sends, bounded in time and bytes.
asio::awaitable<void> lingeringClose(asio::ip::tcp::socket& socket, Deadline& deadline,
                                     std::chrono::milliseconds timeout) {
  constexpr std::size_t kMaxDiscard = 1024 * 1024;
  error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  deadline.set(Clock::now() +
               std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(1)));
  std::array<char, 4096> scratch{};
  for (std::size_t total = 0; !ec && total < kMaxDiscard;) {
    total += co_await socket.async_read_some(asio::buffer(scratch),
                                             asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Read size per call; a typical KBS request (header and JSON body) fits in one.
constexpr std::size_t kReadChunk = 16 * 1024;

// What reading one request produced.
struct ReadOutcome {
  bool closed = false;    // peer gone, timed out or stopped: close without an answer
  RequestError refused;   // status != 0: answer it and close
  std::size_t bytes = 0;  // request bytes consumed
};

// Reads one request into `parser` under the limits, feeding Beast's parser straight from
// `buffer` (bytes after the request stay there for the next one). Sends 100 Continue
// when the client asked for it and the header passed every check.
template <class Stream>
asio::awaitable<ReadOutcome> readRequest(ServerState& state, Stream& stream,
                                         beast::flat_buffer& buffer, RequestParser& parser,
                                         std::optional<InFlight>& in_flight, Outcome& out) {
  const ServerOptions& opt = state.options;
  // A chunk-size line is the only thing besides the header that Beast buffers whole.
  const std::size_t max_buffered = opt.max_header_bytes + kReadChunk;
  ReadOutcome read;
  bool head_checked = false;
  error_code ec;
  for (;;) {
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      read.bytes += used;
      if (ec == beast_http::error::need_more) {
        ec = {};
      } else if (ec) {
        read.refused = classifyReadError(ec);
        if (read.refused.status == 0) {
          read.refused = {400, "malformed request"};
        }
        co_return read;
      }
      if (parser.is_header_done() && !head_checked) {
        head_checked = true;
        in_flight.emplace(state.in_flight);
        out.method = toStdString(parser.get().method_string());
        if (auto head = checkHead(parser.get()); !head) {
          read.refused = head.error();
          co_return read;
        }
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue waits for this before
        // sending the body; only send it once the header passed every check.
        if (!parser.is_done() && parser.get().version() >= 11 &&
            equalsIgnoreCase(toStdString(parser.get()[beast_http::field::expect]),
                             "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          state.bytes_out.inc(
              co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                         asio::redirect_error(asio::use_awaitable, ec)));
          if (ec) {
            read.closed = true;
            co_return read;
          }
        }
      }
      if (parser.is_done()) {
        co_return read;
      }
      if (used > 0 && buffer.size() > 0) {
        continue;
      }
      if (buffer.size() >= max_buffered) {
        read.refused = {400, "malformed request"};
        co_return read;
      }
    }
    const std::size_t n = co_await stream.async_read_some(
        buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      read.closed = true;
      co_return read;
    }
    buffer.commit(n);
  }
}

template <class Stream>
asio::awaitable<void> serveRequests(ServerState& state, Stream& stream, ConnectionHandle& handle,
                                    Deadline& deadline, const std::string& remote) {
  const ServerOptions& opt = state.options;
  asio::ip::tcp::socket& socket = lowestLayer(stream);
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
      deadline.set(Clock::now() + opt.idle_timeout);
    }
    if (buffer.size() == 0) {
      const std::size_t n = co_await stream.async_read_some(
          buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      buffer.commit(n);
    }
    handle.idle = false;
    const auto started = Clock::now();
    if (!first) {
      deadline.set(started + opt.read_timeout);
    }

    RequestParser parser;
    applyLimits(parser, opt.max_header_bytes, opt.max_body_bytes);
    Outcome out;
    std::optional<InFlight> in_flight;
    const ReadOutcome read = co_await readRequest(state, stream, buffer, parser, in_flight, out);
    state.bytes_in.inc(read.bytes);
    if (read.closed || deadline.expired()) {
      co_return;
    }

    unsigned version = 11;
    std::string id = state.nextRequestId();
    const RequestError& refused = read.refused;
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
    std::size_t dropped = 0;
    std::string head = serializeHead(out.response, version, keep_alive, id, &dropped);
    if (dropped > 0) {
      COCOON_LOG(kError, "http", "dropped {} invalid response header(s) (request {})", dropped, id);
    }
    deadline.set(Clock::now() + opt.read_timeout);
    const std::size_t bytes_out = co_await writeResponse(stream, head, out.response.body, ec);
    state.bytes_out.inc(bytes_out);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    state.recordRequest(out.method, out.route, status, seconds);
    in_flight.reset();
    COCOON_LOG(kInfo, "http", "{} {} {} {:.3f}ms in={} out={} remote={} id={}",
               out.method.substr(0, 16), out.route, status, seconds * 1000.0, read.bytes, bytes_out,
               remote, id);
    if (!ec && refused.status != 0) {
      co_await lingeringClose(socket, deadline, opt.read_timeout);
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
  asio::ip::tcp::socket& socket = lowestLayer(stream);
  handle->socket = &socket;
  Registration registration(state, handle);
  if (!registration.entered()) {
    co_return;
  }
  const Clock::duration horizon = std::min(state.options.read_timeout, state.options.idle_timeout);
  auto deadline = std::make_shared<Deadline>(handle->executor, socket, horizon);
  // Ends the deadline however this coroutine ends, so its handler never sees a dead socket.
  const std::unique_ptr<Deadline, void (*)(Deadline*)> end_deadline(deadline.get(),
                                                                    [](Deadline* d) { d->end(); });
  deadline->set(Clock::now() + state.options.read_timeout);
  if constexpr (std::is_same_v<Stream, TlsStream>) {
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
  co_await serveRequests(state, stream, *handle, *deadline, remote);
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
  for (const std::string_view label : router.routeLabels()) {
    route_series_.try_emplace(label);
  }
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
  const std::size_t method_index = methodIndex(method);
  const std::size_t status_class = status / 100;
  auto it = route_series_.find(route);
  if (it == route_series_.end() || status_class < 1 || status_class > 5) {
    COCOON_LOG(kError, "http", "no metrics series for route {} status {}", route, status);
    return;
  }
  RouteSeries& series = it->second;
  // Racing first uses get the same objects from the registry; either store is right.
  std::atomic<Counter*>& slot = series.requests[method_index * 5 + (status_class - 1)];
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &metrics.counter("http_requests_total", "HTTP requests answered.",
                               {{"method", std::string(kMethodLabels[method_index])},
                                {"route", std::string(route)},
                                {"status", fmt::format("{}xx", status_class)}});
    slot.store(counter, std::memory_order_release);
  }
  counter->inc();
  Histogram* duration = series.duration.load(std::memory_order_acquire);
  if (duration == nullptr) {
    duration = &metrics.histogram("http_request_duration_seconds",
                                  "Time from request start to response written.",
                                  defaultLatencyBuckets(), {{"route", std::string(route)}});
    series.duration.store(duration, std::memory_order_release);
  }
  duration->observe(seconds);
}

asio::awaitable<void> runConnection(ServerState& state, asio::ip::tcp::socket socket) {
  auto handle = std::make_shared<ConnectionHandle>();
  handle->executor = socket.get_executor();
  const std::string remote = formatRemote(socket);
  // The stream outlives serveConnection(), so the connection is counted closed before
  // its socket closes and a peer that saw the close sees the counts updated.
  if (!state.tls) {
    co_await serveConnection(state, socket, handle, remote);
  } else {
    TlsStream stream(std::move(socket), *state.tls);
    co_await serveConnection(state, stream, handle, remote);
  }
}

}  // namespace cocoon::http::server::internal

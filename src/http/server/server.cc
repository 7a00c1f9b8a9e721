// SPDX-License-Identifier: Apache-2.0
// Server lifecycle: listening socket, TLS context, accept loop, worker threads, stop.
#include "http/server/server.h"

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <charconv>
#include <thread>
#include <vector>

#include <pthread.h>

#include <openssl/ssl.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "http/server/internal/connection.h"

namespace cocoon::http::server {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

Result<tcp::endpoint> parseListen(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "listen address '{}' is not host:port", listen);
  }
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  std::uint16_t port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return fail(Code::kInvalidArgument, "listen address '{}': port must be 0..65535", listen);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") {
    return tcp::endpoint(asio::ip::address_v4::loopback(), port);
  }
  error_code parse_ec;
  const auto address = asio::ip::make_address(std::string(host), parse_ec);
  if (parse_ec) {
    return fail(Code::kInvalidArgument,
                "listen address '{}': host must be an IP literal or localhost", listen);
  }
  return tcp::endpoint(address, port);
}

Result<asio::ssl::context> makeTlsContext(const ServerOptions& options) {
  try {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // Client-initiated renegotiation costs us a handshake per request at the peer's will.
    SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    error_code ec;
    ctx.use_certificate_chain_file(options.tls_cert_path, ec);
    if (ec) {
      return fail(Code::kInvalidArgument, "loading TLS certificate chain {}: {}",
                  options.tls_cert_path, ec.message());
    }
    ctx.use_private_key_file(options.tls_key_path, asio::ssl::context::pem, ec);
    if (ec) {
      return fail(Code::kInvalidArgument, "loading TLS private key {}: {}", options.tls_key_path,
                  ec.message());
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return fail(Code::kInvalidArgument, "TLS private key {} does not match certificate {}",
                  options.tls_key_path, options.tls_cert_path);
    }
    return ctx;
  } catch (const std::exception& e) {
    return fail(Code::kInternal, "creating the TLS context: {}", e.what());
  }
}

Status checkOptions(const ServerOptions& o) {
  if (o.threads == 0 || o.max_header_bytes == 0 || o.max_connections == 0 ||
      o.read_timeout.count() <= 0 || o.idle_timeout.count() <= 0) {
    return fail(Code::kInvalidArgument,
                "server options: threads, max_header_bytes, max_connections and timeouts must "
                "be positive");
  }
  if (o.tls_cert_path.empty() != o.tls_key_path.empty()) {
    return fail(Code::kInvalidArgument, "TLS needs both tls_cert_path and tls_key_path");
  }
  return okStatus();
}

void addBuiltins(Router& router, MetricsRegistry& metrics, bool serve_metrics) {
  // kAlreadyExists means the service routed these itself, which is allowed.
  (void)router.add("GET", "/health",
                   [](const Request&) { return Response::json(200, R"({"status":"ok"})"); });
  if (!serve_metrics) {
    return;
  }
  (void)router.add("GET", "/metrics", [&metrics](const Request&) {
    Response r{200, {}, metrics.render()};
    r.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return r;
  });
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Router router, MetricsRegistry& metrics)
      : state(std::move(options), std::move(router), metrics),
        io(static_cast<int>(state.options.threads)),
        acceptor(asio::make_strand(io)) {}

  asio::awaitable<void> acceptLoop();

  // Declared first: connections that the io_context destroys still reach it.
  internal::ServerState state;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

asio::awaitable<void> Server::Impl::acceptLoop() {
  for (;;) {
    error_code ec;
    // Each connection gets its own strand, so its stream and timer never run concurrently.
    tcp::socket socket =
        co_await acceptor.async_accept(asio::any_io_executor(asio::make_strand(io)),
                                       asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open() || state.stopping()) {
        co_return;
      }
      // e.g. EMFILE: keep serving the connections we have.
      COCOON_LOG_RATE_LIMITED(kWarn, "http", "accept failed: {}", ec.message());
      continue;
    }
    if (state.open.load() >= state.options.max_connections) {
      state.rejected.inc();
      COCOON_LOG_RATE_LIMITED(kWarn, "http",
                              "connection limit {} reached ({} open); closing a new connection",
                              state.options.max_connections, state.open.load());
      socket.close(ec);
      continue;
    }
    // Responses go out in one write; Nagle would only hold back a split tail.
    socket.set_option(tcp::no_delay(true), ec);
    state.open.fetch_add(1);
    state.open_gauge.add(1);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, internal::runConnection(state, std::move(socket)),
                   [](const std::exception_ptr& error) {
                     if (!error) {
                       return;
                     }
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       COCOON_LOG(kError, "http", "connection ended by an exception: {}", e.what());
                     } catch (...) {
                       COCOON_LOG(kError, "http", "connection ended by a non-exception throw");
                     }
                   });
  }
}

Server::Server(ServerOptions options, Router router, MetricsRegistry& metrics) {
  addBuiltins(router, metrics, options.serve_metrics);
  impl_ = std::make_unique<Impl>(std::move(options), std::move(router), metrics);
}

Server::~Server() {
  stop();
}

Status Server::start() {
  if (impl_->started) {
    return fail(Code::kFailedPrecondition, "server already started");
  }
  const ServerOptions& options = impl_->state.options;
  COCOON_TRY(checkOptions(options));
  COCOON_ASSIGN_OR_RETURN(const tcp::endpoint endpoint, parseListen(options.listen));
  if (!options.tls_cert_path.empty()) {
    COCOON_ASSIGN_OR_RETURN(auto ctx, makeTlsContext(options));
    impl_->state.tls.emplace(std::move(ctx));
  }
  tcp::acceptor& acceptor = impl_->acceptor;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return fail(Code::kUnavailable, "cannot listen on {}: {}", options.listen, ec.message());
  }
  impl_->port = acceptor.local_endpoint(ec).port();
  impl_->started = true;
  asio::co_spawn(acceptor.get_executor(), impl_->acceptLoop(), asio::detached);
  for (unsigned i = 0; i < options.threads; ++i) {
    impl_->threads.emplace_back([this] {
      // A name lets top -H and perf --sort comm tell the server's CPU from its callers'.
      pthread_setname_np(pthread_self(), "http-worker");
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& e) {
          COCOON_LOG(kError, "http", "worker thread caught: {}", e.what());
        }
      }
    });
  }
  COCOON_LOG(kInfo, "http", "listening on {} port {}{}", options.listen, impl_->port,
             impl_->state.tls ? " (TLS)" : "");
  return okStatus();
}

std::uint16_t Server::boundPort() const {
  return impl_->port;
}

void Server::stop(std::chrono::milliseconds deadline) {
  if (!impl_->started || impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  const auto until = std::chrono::steady_clock::now() + deadline;
  auto& acceptor = impl_->acceptor;
  asio::post(acceptor.get_executor(), [&acceptor] {
    error_code ignored;
    acceptor.close(ignored);
  });
  // Idle connections go now; busy ones finish their request and see stopping().
  for (const auto& handle : impl_->state.beginStop()) {
    asio::post(handle->executor, [handle] {
      if (handle->socket != nullptr && handle->idle) {
        error_code ignored;
        handle->socket->cancel(ignored);
      }
    });
  }
  if (!impl_->state.waitDrained(until)) {
    COCOON_LOG(kWarn, "http", "stop deadline passed; closing {} connections",
               impl_->state.open.load());
    for (const auto& handle : impl_->state.connections()) {
      asio::post(handle->executor, [handle] {
        if (handle->socket != nullptr) {
          error_code ignored;
          handle->socket->cancel(ignored);
        }
      });
    }
  }
  impl_->io.stop();
  for (auto& thread : impl_->threads) {
    thread.join();
  }
  impl_->threads.clear();
  error_code ignored;
  acceptor.close(ignored);
  COCOON_LOG(kInfo, "http", "stopped listening on port {}", impl_->port);
}

}  // namespace cocoon::http::server

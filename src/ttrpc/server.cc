// SPDX-License-Identifier: Apache-2.0
// Server: accept loops, per-connection dispatch with deadlines, graceful stop.
#include "ttrpc/server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "ttrpc/internal/channel.h"

namespace cocoon::ttrpc {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using internal::Channel;

asio::awaitable<Result<std::string>> invokeHandler(const Handler& handler, Request request) {
  try {
    co_return co_await handler(request);
  } catch (const std::exception& e) {
    COCOON_LOG(kError, "ttrpc", "handler {}/{} threw: {}", request.service, request.method,
               e.what());
  } catch (...) {
    COCOON_LOG(kError, "ttrpc", "handler {}/{} threw a non-exception", request.service,
               request.method);
  }
  co_return fail(Code::kInternal, "handler {}/{} failed", request.service, request.method);
}

void logSpawnError(const std::exception_ptr& error, std::string_view what) {
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    COCOON_LOG(kError, "ttrpc", "{} ended by an exception: {}", what, e.what());
  } catch (...) {
    COCOON_LOG(kError, "ttrpc", "{} ended by a non-exception throw", what);
  }
}

}  // namespace

namespace {

class Connection;

// The server's state; Server::Impl is this under the name the header declares (a private
// nested type that Connection could not name).
struct ServerCore {
  explicit ServerCore(ServerOptions o) : options(o), work(asio::make_work_guard(io)) {}

  const Handler* find(const std::string& service, const std::string& method, Error* missing) const;
  void spawnConnection(std::shared_ptr<Channel> channel);
  asio::awaitable<void> acceptLoop(internal::Acceptor& acceptor);

  ServerOptions options;
  std::map<std::string, std::map<std::string, Handler, std::less<>>, std::less<>> services;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::unique_ptr<internal::Acceptor>> acceptors;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;

  mutable std::mutex mu;
  std::condition_variable changed;
  std::map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
  int accept_loops = 0;                                          // guarded by mu
};

// One connection. Everything except handler bodies runs on the channel's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& server, std::shared_ptr<Channel> channel)
      : server_(server), channel_(std::move(channel)) {}

  asio::any_io_executor executor() { return channel_->executor(); }
  asio::awaitable<void> run();
  // Stop taking calls; close once the calls in flight are answered.
  void drain();
  void forceClose() { channel_->close(); }

 private:
  void handleFrame(const DecodedFrame& frame);
  void complete(std::uint32_t id, const Result<std::string>& result);
  void respond(std::uint32_t id, const Result<std::string>& result);
  void closeWhenWritten();

  ServerCore& server_;
  std::shared_ptr<Channel> channel_;
  // Calls in flight, each with its deadline timer (not armed without a deadline).
  std::map<std::uint32_t, std::unique_ptr<asio::steady_timer>> active_;
  bool draining_ = false;
};

asio::awaitable<void> Connection::run() {
  for (;;) {
    co_await channel_->waitQueueBelow(server_.options.max_queued_bytes);
    auto frame = co_await channel_->readFrame();
    if (!frame) {
      break;
    }
    handleFrame(*frame);
  }
  channel_->close();
  for (auto& [id, timer] : active_) {
    timer->cancel();
  }
  active_.clear();
  std::lock_guard lock(server_.mu);
  server_.connections.erase(this);
  server_.changed.notify_all();
}

void Connection::handleFrame(const DecodedFrame& frame) {
  const std::uint32_t id = frame.header.stream_id;
  if (frame.oversized) {
    COCOON_LOG_RATE_LIMITED(kWarn, "ttrpc", "stream {}: frame of {} bytes exceeds {}", id,
                            frame.header.length, server_.options.max_message_size);
    respond(id,
            fail(Code::kResourceExhausted, "message length {} exceeds maximum message size of {}",
                 frame.header.length, server_.options.max_message_size));
    return;
  }
  if (frame.header.type != MessageType::kRequest) {
    COCOON_LOG(kDebug, "ttrpc", "stream {}: ignoring frame type {}", id,
               static_cast<int>(frame.header.type));
    return;
  }
  auto request = decodeRequest(frame.payload);
  if (!request) {
    COCOON_LOG_RATE_LIMITED(kWarn, "ttrpc", "stream {}: {}", id, request.error().message);
    respond(id, fail(std::move(request).error()));
    return;
  }
  if (id % 2 != 1) {
    respond(id, fail(Code::kInvalidArgument,
                     "stream id {} is even; client-initiated streams are odd", id));
    return;
  }
  if (active_.contains(id)) {
    // Answering would be taken as the reply to the call already running on this stream.
    COCOON_LOG_RATE_LIMITED(kWarn, "ttrpc", "stream {} reused while its call is running", id);
    return;
  }
  if (draining_ || server_.stopping.load()) {
    respond(id, fail(Code::kUnavailable, "server is shutting down"));
    return;
  }
  if (active_.size() >= server_.options.max_calls_per_connection) {
    respond(id, fail(Code::kResourceExhausted, "too many calls in flight ({} allowed)",
                     server_.options.max_calls_per_connection));
    return;
  }
  Error missing;
  const Handler* handler = server_.find(request->service, request->method, &missing);
  if (handler == nullptr) {
    respond(id, fail(std::move(missing)));
    return;
  }
  auto timer = std::make_unique<asio::steady_timer>(executor());
  if (request->timeout_nano > 0) {
    const auto timeout = std::chrono::nanoseconds(request->timeout_nano);
    const auto now = std::chrono::steady_clock::now();
    // Saturate: a huge timeout means no practical deadline, not an overflow.
    request->deadline = timeout < std::chrono::steady_clock::time_point::max() - now
                            ? now + timeout
                            : std::chrono::steady_clock::time_point::max();
    timer->expires_at(request->deadline);
    timer->async_wait([self = shared_from_this(), id](const error_code& ec) {
      if (!ec) {
        self->complete(id, fail(Code::kDeadlineExceeded, "deadline exceeded"));
      }
    });
  }
  active_.emplace(id, std::move(timer));
  // Each call runs on its own strand so a slow handler never holds up the connection.
  asio::co_spawn(
      asio::make_strand(server_.io), invokeHandler(*handler, std::move(*request)),
      [self = shared_from_this(), id](const std::exception_ptr& error, Result<std::string> result) {
        logSpawnError(error, "handler");
        if (error) {
          result = fail(Code::kInternal, "handler failed");
        }
        asio::post(self->executor(),
                   [self, id, result = std::move(result)] { self->complete(id, result); });
      });
}

void Connection::complete(std::uint32_t id, const Result<std::string>& result) {
  auto it = active_.find(id);
  if (it == active_.end()) {
    return;  // already answered (deadline) or the connection ended
  }
  it->second->cancel();
  active_.erase(it);
  respond(id, result);
  if (draining_ && active_.empty()) {
    closeWhenWritten();
  }
}

void Connection::respond(std::uint32_t id, const Result<std::string>& result) {
  std::string payload = encodeResponse(result);
  if (payload.size() > server_.options.max_message_size) {
    payload = encodeResponse(fail(Code::kResourceExhausted,
                                  "response of {} bytes exceeds maximum message size of {}",
                                  payload.size(), server_.options.max_message_size));
  }
  Bytes frame;
  frame.reserve(kFrameHeaderSize + payload.size());
  appendFrame(frame, id, MessageType::kResponse, 0, asBytes(payload));
  channel_->send(std::move(frame));
}

void Connection::drain() {
  draining_ = true;
  if (active_.empty()) {
    closeWhenWritten();
  }
}

void Connection::closeWhenWritten() {
  if (!channel_->writing()) {
    channel_->close();
    return;
  }
  channel_->onDrained([channel = channel_.get()] { channel->close(); });
}

const Handler* ServerCore::find(const std::string& service, const std::string& method,
                                Error* missing) const {
  const auto s = services.find(service);
  if (s == services.end()) {
    *missing = makeError(Code::kUnimplemented, "service {}", service);
    return nullptr;
  }
  const auto m = s->second.find(method);
  if (m == s->second.end()) {
    *missing = makeError(Code::kUnimplemented, "method {}", method);
    return nullptr;
  }
  return &m->second;
}

void ServerCore::spawnConnection(std::shared_ptr<Channel> channel) {
  auto connection = std::make_shared<Connection>(*this, std::move(channel));
  {
    std::lock_guard lock(mu);
    connections.emplace(connection.get(), connection);
  }
  auto executor = connection->executor();
  asio::co_spawn(
      executor, [connection] { return connection->run(); },
      [](const std::exception_ptr& error) { logSpawnError(error, "connection"); });
}

asio::awaitable<void> ServerCore::acceptLoop(internal::Acceptor& acceptor) {
  // stop() waits for every accept loop to end, so no accepted socket is left in limbo.
  struct Exit {
    ServerCore& server;
    ~Exit() {
      std::lock_guard lock(server.mu);
      --server.accept_loops;
      server.changed.notify_all();
    }
  } exit{*this};
  for (;;) {
    error_code ec;
    // Each connection gets its own strand: its reads, writes and timers never race.
    internal::Socket socket =
        co_await acceptor.async_accept(asio::any_io_executor(asio::make_strand(io)),
                                       asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open() || stopping.load()) {
        co_return;
      }
      COCOON_LOG_RATE_LIMITED(kWarn, "ttrpc", "accept failed: {}", ec.message());
      continue;
    }
    if (stopping.load()) {
      // Accepted as stop() began: stop() may already have drained the connections it saw.
      socket.close(ec);
      co_return;
    }
    spawnConnection(std::make_shared<Channel>(std::move(socket), options.max_message_size));
  }
}

}  // namespace

struct Server::Impl : ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(options)) {}

Server::~Server() {
  stop();
}

Status Server::registerMethod(const std::string& service, const std::string& method,
                              Handler handler) {
  if (impl_->started) {
    return fail(Code::kFailedPrecondition, "cannot register {}/{} after start", service, method);
  }
  if (service.empty() || method.empty() || !handler) {
    return fail(Code::kInvalidArgument, "registering '{}'/'{}': empty name or null handler",
                service, method);
  }
  auto& methods = impl_->services[service];
  if (!methods.emplace(method, std::move(handler)).second) {
    return fail(Code::kAlreadyExists, "{}/{} is already registered", service, method);
  }
  return okStatus();
}

Status Server::listen(const Address& address) {
  if (impl_->stopped) {
    return fail(Code::kFailedPrecondition, "server stopped");
  }
  if (address.kind == Address::Kind::kSerial) {
    COCOON_ASSIGN_OR_RETURN(
        internal::Descriptor device,
        internal::openSerial(asio::any_io_executor(asio::make_strand(impl_->io)), address.path));
    impl_->spawnConnection(
        std::make_shared<Channel>(std::move(device), impl_->options.max_message_size));
    COCOON_LOG(kInfo, "ttrpc", "serving {}", address.toString());
    return okStatus();
  }
  COCOON_ASSIGN_OR_RETURN(
      internal::Acceptor acceptor,
      internal::listenTransport(asio::any_io_executor(asio::make_strand(impl_->io)), address));
  impl_->acceptors.push_back(std::make_unique<internal::Acceptor>(std::move(acceptor)));
  internal::Acceptor& ref = *impl_->acceptors.back();
  {
    std::lock_guard lock(impl_->mu);
    ++impl_->accept_loops;
  }
  asio::co_spawn(ref.get_executor(), impl_->acceptLoop(ref),
                 [](const std::exception_ptr& error) { logSpawnError(error, "accept loop"); });
  COCOON_LOG(kInfo, "ttrpc", "listening on {}", address.toString());
  return okStatus();
}

Status Server::start() {
  if (impl_->started || impl_->stopped) {
    return fail(Code::kFailedPrecondition, "server already started");
  }
  if (impl_->options.threads == 0) {
    return fail(Code::kInvalidArgument, "server needs at least one thread");
  }
  impl_->started = true;
  for (unsigned i = 0; i < impl_->options.threads; ++i) {
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& e) {
          COCOON_LOG(kError, "ttrpc", "server thread caught: {}", e.what());
        }
      }
    });
  }
  return okStatus();
}

std::size_t Server::connectionCount() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections.size();
}

void Server::stop(std::chrono::milliseconds deadline) {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->stopping.store(true);
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (auto& acceptor : impl_->acceptors) {
    asio::post(acceptor->get_executor(), [&acceptor = *acceptor] {
      error_code ignored;
      acceptor.close(ignored);
    });
  }
  auto each = [this](auto action) {
    std::lock_guard lock(impl_->mu);
    for (auto& [ptr, weak] : impl_->connections) {
      if (auto connection = weak.lock()) {
        asio::post(connection->executor(), [connection, action] { action(*connection); });
      }
    }
  };
  if (impl_->started) {
    {
      // The listeners close first, so the drain below sees every accepted connection.
      std::unique_lock lock(impl_->mu);
      // Closing takes one turn of a server thread; allow it even with a zero deadline.
      impl_->changed.wait_until(
          lock, std::max(until, std::chrono::steady_clock::now() + std::chrono::seconds(1)),
          [this] { return impl_->accept_loops == 0; });
    }
    each([](Connection& c) { c.drain(); });
    std::unique_lock lock(impl_->mu);
    if (!impl_->changed.wait_until(lock, until, [this] { return impl_->connections.empty(); })) {
      COCOON_LOG(kWarn, "ttrpc", "stop deadline passed; closing {} connections",
                 impl_->connections.size());
      lock.unlock();
      each([](Connection& c) { c.forceClose(); });
      lock.lock();
      impl_->changed.wait_for(lock, std::chrono::seconds(1),
                              [this] { return impl_->connections.empty(); });
    }
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& thread : impl_->threads) {
    thread.join();
  }
  impl_->threads.clear();
  // No thread runs the io_context now: close what is left directly, so that no peer keeps
  // an open connection that nobody serves until the Server is destroyed.
  for (auto& acceptor : impl_->acceptors) {
    error_code ignored;
    acceptor->close(ignored);
  }
  std::lock_guard lock(impl_->mu);
  for (auto& [ptr, weak] : impl_->connections) {
    if (auto connection = weak.lock()) {
      connection->forceClose();
    }
  }
}

}  // namespace cocoon::ttrpc

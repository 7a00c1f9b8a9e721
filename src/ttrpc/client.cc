// SPDX-License-Identifier: Apache-2.0
// Client: stream-id allocation, pending-call table, response matching, deadlines.
#include "ttrpc/client.h"

#include <limits>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "common/log.h"
#include "ttrpc/internal/channel.h"

namespace cocoon::ttrpc {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// A call waiting for its answer: the answer is stored and the timer cancelled to wake it.
struct Pending {
  asio::steady_timer* wake;
  std::optional<Result<std::string>> result;
};

}  // namespace

// Everything runs on the channel's strand.
struct Client::Impl {
  explicit Impl(std::shared_ptr<internal::Channel> c, std::uint32_t max)
      : channel(std::move(c)), max_message_size(max) {}

  asio::awaitable<void> readLoop();
  asio::awaitable<Result<std::string>> doCall(Request request,
                                              std::optional<std::chrono::nanoseconds> timeout);
  void finish(std::uint32_t id, Result<std::string> result);
  void failAll(const Error& error);
  template <class Token>
  static auto spawnCall(const std::shared_ptr<Impl>& impl, std::string service, std::string method,
                        std::string payload, CallOptions options, Token token);

  std::shared_ptr<internal::Channel> channel;
  std::uint32_t max_message_size;
  std::uint32_t next_id = 1;
  std::map<std::uint32_t, Pending*> pending;
  std::optional<Error> closed;
};

asio::awaitable<void> Client::Impl::readLoop() {
  for (;;) {
    auto frame = co_await channel->readFrame();
    if (!frame) {
      failAll(frame.error());
      co_return;
    }
    const std::uint32_t id = frame->header.stream_id;
    if (frame->oversized) {
      finish(id,
             fail(Code::kResourceExhausted, "response length {} exceeds maximum message size of {}",
                  frame->header.length, max_message_size));
      continue;
    }
    if (frame->header.type != MessageType::kResponse) {
      COCOON_LOG(kDebug, "ttrpc", "stream {}: ignoring frame type {}", id,
                 static_cast<int>(frame->header.type));
      continue;
    }
    finish(id, decodeResponse(frame->payload));
  }
}

void Client::Impl::finish(std::uint32_t id, Result<std::string> result) {
  const auto it = pending.find(id);
  if (it == pending.end()) {
    // Its caller gave up (deadline) or the server answered a stream we never opened.
    COCOON_LOG(kDebug, "ttrpc", "dropping a response for stream {} with no pending call", id);
    return;
  }
  it->second->result = std::move(result);
  it->second->wake->cancel();
  pending.erase(it);
}

void Client::Impl::failAll(const Error& error) {
  if (!closed) {
    closed = makeError(Code::kUnavailable, "ttrpc connection closed: {}", error.message);
  }
  channel->close();
  for (auto& [id, call] : pending) {
    call->result = fail(*closed);
    call->wake->cancel();
  }
  pending.clear();
}

asio::awaitable<Result<std::string>> Client::Impl::doCall(
    Request request, std::optional<std::chrono::nanoseconds> timeout) {
  if (closed) {
    co_return fail(*closed);
  }
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                : std::chrono::steady_clock::time_point::max();
  if (timeout) {
    // Go's ttrpc sends the time left; at least 1 ns, since 0 would mean "no deadline".
    request.timeout_nano = std::max<std::int64_t>(1, timeout->count());
  }
  const std::string body = encodeRequest(request);
  if (body.size() > max_message_size) {
    co_return fail(Code::kResourceExhausted,
                   "{}/{}: request of {} bytes exceeds maximum message size of {}", request.service,
                   request.method, body.size(), max_message_size);
  }
  if (next_id > std::numeric_limits<std::uint32_t>::max() - 2) {
    co_return fail(Code::kUnavailable, "stream ids exhausted on this connection; reconnect");
  }
  const std::uint32_t id = next_id;
  next_id += 2;
  asio::steady_timer wake(channel->executor());
  wake.expires_at(deadline);
  Pending call{&wake, std::nullopt};
  pending.emplace(id, &call);
  Bytes frame;
  frame.reserve(kFrameHeaderSize + body.size());
  appendFrame(frame, id, MessageType::kRequest, 0, asBytes(body));
  channel->send(std::move(frame));
  error_code ec;
  co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (call.result) {
    co_return std::move(*call.result);
  }
  pending.erase(id);
  co_return fail(Code::kDeadlineExceeded, "{}/{}: no answer within {} ms", request.service,
                 request.method,
                 std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count());
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Client>> Client::connect(const asio::any_io_executor& executor,
                                                const Address& address,
                                                std::uint32_t max_message_size) {
  COCOON_ASSIGN_OR_RETURN(
      auto transport,
      internal::connectTransport(asio::any_io_executor(asio::make_strand(executor)), address));
  auto channel = std::make_shared<internal::Channel>(std::move(transport), max_message_size);
  auto impl = std::make_shared<Impl>(std::move(channel), max_message_size);
  asio::co_spawn(
      impl->channel->executor(), [impl] { return impl->readLoop(); },
      [](const std::exception_ptr& error) {
        if (error) {
          COCOON_LOG(kError, "ttrpc", "client read loop ended by an exception");
        }
      });
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::~Client() {
  close();
}

void Client::close() {
  asio::post(impl_->channel->executor(),
             [impl = impl_] { impl->failAll(Error(Code::kUnavailable, "closed by the client")); });
}

template <class Token>
auto Client::Impl::spawnCall(const std::shared_ptr<Impl>& impl, std::string service,
                             std::string method, std::string payload, CallOptions options,
                             Token token) {
  Request request;
  request.service = std::move(service);
  request.method = std::move(method);
  request.payload = std::move(payload);
  request.metadata = std::move(options.metadata);
  // doCall runs on the connection's strand; the caller resumes on its own executor.
  return asio::co_spawn(
      impl->channel->executor(),
      [impl, request = std::move(request), timeout = options.timeout]() mutable {
        return impl->doCall(std::move(request), timeout);
      },
      std::move(token));
}

asio::awaitable<Result<std::string>> Client::call(std::string service, std::string method,
                                                  std::string payload, CallOptions options) {
  co_return co_await Impl::spawnCall(impl_, std::move(service), std::move(method),
                                     std::move(payload), std::move(options), asio::use_awaitable);
}

Result<std::string> Client::callBlocking(std::string service, std::string method,
                                         std::string payload, CallOptions options) {
  return Impl::spawnCall(impl_, std::move(service), std::move(method), std::move(payload),
                         std::move(options), asio::use_future)
      .get();
}

}  // namespace cocoon::ttrpc

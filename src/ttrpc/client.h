// SPDX-License-Identifier: Apache-2.0
// Client: a ttrpc client (unary calls) over a unix socket, AF_VSOCK or a character
// device, with many calls in flight on one connection.
// Trust: responses come from the peer; they are size-capped and decoded, never trusted.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "ttrpc/address.h"
#include "ttrpc/message.h"

namespace cocoon::ttrpc {

struct CallOptions {
  // No answer within this time: the call fails DEADLINE_EXCEEDED. Also sent as
  // timeout_nano so the server can give up too. nullopt: wait as long as the connection
  // lives.
  std::optional<std::chrono::nanoseconds> timeout{};
  // ({} so that designated initializers may leave it out under g++ -Wextra.)
  Metadata metadata{};
};

// One connection to a ttrpc server. Calls get odd, increasing stream ids and may overlap;
// answers are matched by stream id in whatever order they come. When the connection
// ends (peer closed, read or write error, close()), every pending call and every later
// call fails UNAVAILABLE.
//
// Thread-safe: call() and callBlocking() may be used from any thread at the same time.
// The Client object must outlive the calls awaiting on it; destroying it closes the
// connection.
class Client {
 public:
  // Connects to `address`; the connection's I/O runs on `executor`, which the caller
  // runs (e.g. an io_context on a thread of its own).
  // REQUIRES: the executor's context outlives the Client.
  // Errors: kUnavailable naming the address when it cannot be reached; kInvalidArgument
  // for vsock on a kernel without AF_VSOCK or a unix path longer than 107 bytes.
  static Result<std::unique_ptr<Client>> connect(const boost::asio::any_io_executor& executor,
                                                 const Address& address,
                                                 std::uint32_t max_message_size = 4u << 20);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Calls service.method with a serialized request message; returns the serialized
  // response message.
  // Errors: the server's status (code and message as sent); kDeadlineExceeded when
  // options.timeout passes first (a late answer is dropped); kResourceExhausted when the
  // request exceeds the message size limit (nothing is sent) or the server refused it as
  // too large; kUnavailable when the connection is or becomes closed; kInternal when the
  // answer does not decode.
  boost::asio::awaitable<Result<std::string>> call(std::string service, std::string method,
                                                   std::string payload, CallOptions options = {});

  // Typed helper for protobuf messages: serializes `request` at once (it need not outlive
  // the call), parses the answer as Resp.
  // Errors: as call(); kInternal when the answer does not parse as Resp.
  template <class Resp, class Req>
  boost::asio::awaitable<Result<Resp>> callTyped(std::string service, std::string method,
                                                 const Req& request, CallOptions options = {});

  // call(), blocking the calling thread until it completes.
  // REQUIRES: the executor is run by another thread (a deadlock otherwise).
  Result<std::string> callBlocking(std::string service, std::string method, std::string payload,
                                   CallOptions options = {});

  // Closes the connection; pending calls fail UNAVAILABLE. Idempotent.
  void close();

 private:
  struct Impl;
  explicit Client(std::shared_ptr<Impl> impl);
  // Shared with the read loop and the calls in flight, which keep it alive until they end.
  std::shared_ptr<Impl> impl_;
};

namespace internal {
// Parses a call's answer as Resp (the second half of Client::callTyped).
template <class Resp>
boost::asio::awaitable<Result<Resp>> parseAnswer(boost::asio::awaitable<Result<std::string>> call,
                                                 std::string name) {
  Result<std::string> answer = co_await std::move(call);
  if (!answer) {
    co_return fail(std::move(answer).error());
  }
  Resp resp;
  if (!resp.ParseFromString(*answer)) {
    co_return fail(Code::kInternal, "{}: undecodable {} response ({} bytes)", name,
                   resp.GetTypeName(), answer->size());
  }
  co_return resp;
}
}  // namespace internal

template <class Resp, class Req>
boost::asio::awaitable<Result<Resp>> Client::callTyped(std::string service, std::string method,
                                                       const Req& request, CallOptions options) {
  // Not a coroutine itself: `request` is serialized now, so it need not outlive the call.
  std::string name = service + "/" + method;
  return internal::parseAnswer<Resp>(
      call(std::move(service), std::move(method), request.SerializeAsString(), std::move(options)),
      std::move(name));
}

}  // namespace cocoon::ttrpc

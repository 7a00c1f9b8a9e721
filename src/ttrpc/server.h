// SPDX-License-Identifier: Apache-2.0
// Server: a ttrpc server (unary calls, ttrpc 1.0 wire protocol) on unix sockets, AF_VSOCK
// and character devices, with services registered explicitly by name.
// Trust: everything a connection sends is hostile; frames are capped at 4 MiB before any
// allocation and undecodable requests are answered, not trusted.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "ttrpc/address.h"
#include "ttrpc/message.h"

namespace cocoon::ttrpc {

// A unary method: gets the decoded request (payload = the serialized request message,
// metadata, deadline) and returns the serialized response message or an Error, whose code
// and message become the ttrpc status. The Request outlives the coroutine. A handler may
// run on any server thread, concurrently with other calls of the same connection; an
// exception escaping it is answered INTERNAL.
using Handler = std::function<boost::asio::awaitable<Result<std::string>>(const Request&)>;

struct ServerOptions {
  // Threads running connections and handlers.
  unsigned threads = 1;
  // Largest frame payload accepted; longer frames are answered RESOURCE_EXHAUSTED on their
  // stream and their bytes skipped (containerd/ttrpc channel.go). Also caps responses.
  std::uint32_t max_message_size = 4u << 20;
  // Calls one connection may have in flight; more are answered RESOURCE_EXHAUSTED.
  std::size_t max_calls_per_connection = 1024;
  // A connection stops reading requests while this many response bytes wait to be
  // written, so a peer that sends without reading cannot grow our memory.
  std::size_t max_queued_bytes = 8u << 20;
};

// Wire behaviour (compatible with containerd/ttrpc 1.x servers):
//   unknown service or method        -> UNIMPLEMENTED "service X" / "method Y"
//   Request that does not decode     -> INVALID_ARGUMENT
//   even stream id                   -> INVALID_ARGUMENT (client streams are odd)
//   frame longer than the cap        -> RESOURCE_EXHAUSTED, payload skipped, conn. kept
//   timeout_nano elapsed             -> DEADLINE_EXCEEDED (the handler's late answer is
//                                       dropped)
//   frame types other than Request   -> ignored (forward compatibility)
//   request arriving during stop()   -> UNAVAILABLE
//   more calls in flight than allowed -> RESOURCE_EXHAUSTED
// Calls on one connection run concurrently; responses are written as they complete.
//
// Thread-safety: registerMethod/listen/start/stop are called from one thread that is not a
// server thread; handlers run on server threads.
class Server {
 public:
  explicit Server(ServerOptions options = {});
  // Stops (as stop() with a 5 s deadline) if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds `service`.`method` (e.g. "grpc.AgentService", "CreateContainer").
  // Errors: kAlreadyExists for a pair registered before; kInvalidArgument for an empty
  // name or a null handler; kFailedPrecondition once start() has run.
  Status registerMethod(const std::string& service, const std::string& method, Handler handler);

  // Typed helper for protobuf messages: Req is parsed from the payload (a failure is
  // answered INVALID_ARGUMENT naming the message type) and the Resp is serialized.
  // `handler` is callable as awaitable<Result<Resp>>(const Req&, const Request&) and is
  // kept (and must stay valid) for the server's lifetime. Errors as registerMethod.
  template <class Req, class Resp, class F>
  Status registerTyped(const std::string& service, const std::string& method, F handler);

  // Starts serving `address` once start() runs (or at once if it has): unix and vsock
  // addresses are listened on, a serial address is opened and served as one connection.
  // Errors: kUnavailable when the address cannot be bound or the device opened;
  // kInvalidArgument for a vsock address when the kernel has no AF_VSOCK or a unix path
  // longer than 107 bytes;
  // kFailedPrecondition after stop().
  Status listen(const Address& address);

  // Starts the threads. Errors: kFailedPrecondition when already started or stopped;
  // kInvalidArgument when options.threads is 0.
  Status start();

  // Graceful stop: closes the listeners, lets calls in flight finish and their responses
  // be written until `deadline`, then closes every connection and joins the threads.
  // Handlers still running then are abandoned (their coroutines destroyed). Idempotent.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  // Connections currently open (for tests and metrics).
  std::size_t connectionCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class Req, class Resp, class F>
Status Server::registerTyped(const std::string& service, const std::string& method, F handler) {
  return registerMethod(service, method,
                        [handler = std::move(handler)](
                            const Request& request) -> boost::asio::awaitable<Result<std::string>> {
                          Req req;
                          if (!req.ParseFromString(request.payload)) {
                            co_return fail(Code::kInvalidArgument,
                                           "undecodable {} payload ({} bytes)", req.GetTypeName(),
                                           request.payload.size());
                          }
                          Result<Resp> resp = co_await handler(req, request);
                          if (!resp) {
                            co_return fail(std::move(resp).error());
                          }
                          co_return resp->SerializeAsString();
                        });
}

}  // namespace cocoon::ttrpc

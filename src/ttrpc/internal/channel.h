// SPDX-License-Identifier: Apache-2.0
// Channel: one connected byte stream (socket or character device) carrying ttrpc frames,
// with an ordered, batching write queue. Shared by the client and the server connection.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <deque>
#include <functional>
#include <memory>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/result.h"
#include "ttrpc/address.h"
#include "ttrpc/frame.h"

namespace cocoon::ttrpc::internal {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;
using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
using Descriptor = asio::posix::stream_descriptor;

// Opens a connected transport on `executor` (blocking connect; local transports only).
// Errors: kUnavailable naming the address when it cannot be reached or opened;
// kInvalidArgument for a vsock address on a kernel without AF_VSOCK or a unix path
// longer than 107 bytes.
Result<std::variant<Socket, Descriptor>> connectTransport(const asio::any_io_executor& executor,
                                                          const Address& address);

// Binds and listens on a unix or vsock address. A stale unix socket file at the path is
// replaced; any other file there makes bind fail. Errors: kUnavailable naming the address;
// kInvalidArgument for a serial address (a device is opened, not listened on) or a unix
// path longer than 107 bytes.
Result<Acceptor> listenTransport(const asio::any_io_executor& executor, const Address& address);

// Opens a character device for reading and writing; a tty is switched to raw mode so the
// line discipline passes bytes unchanged. Errors: kUnavailable naming the path.
Result<Descriptor> openSerial(const asio::any_io_executor& executor, const std::string& path);

// All operations run on the transport's executor (a strand); the Channel is held by
// shared_ptr because its write loop keeps it alive until queued frames are written.
class Channel : public std::enable_shared_from_this<Channel> {
 public:
  explicit Channel(std::variant<Socket, Descriptor> transport,
                   std::uint32_t max_payload = kMaxMessageSize);

  asio::any_io_executor executor();

  // The next frame. Its payload is valid until the next readFrame(). One reader at a time.
  // Errors: kUnavailable when the peer closed the stream or reading failed.
  asio::awaitable<Result<DecodedFrame>> readFrame();

  // Queues an encoded frame (appendFrame output). A write error closes the channel.
  void send(Bytes frame);

  // True while frames are queued or being written.
  bool writing() const { return writing_; }
  // Bytes of frames queued or being written.
  std::size_t queuedBytes() const { return queued_bytes_; }
  // Returns once queuedBytes() <= limit or the channel is closed (read backpressure: a
  // peer that sends without reading cannot make the queue grow without bound).
  asio::awaitable<void> waitQueueBelow(std::size_t limit);
  // Called (on the executor) each time the write queue drains.
  void onDrained(std::function<void()> callback) { on_drained_ = std::move(callback); }

  // Closes the transport; a pending readFrame() fails with kUnavailable. Idempotent.
  void close();
  bool isOpen() const;

 private:
  asio::awaitable<void> writeLoop();

  std::variant<Socket, Descriptor> transport_;
  FrameDecoder decoder_;
  std::deque<Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  // Cancelled whenever a write completes or the channel closes, to wake waitQueueBelow.
  asio::steady_timer room_;
  std::function<void()> on_drained_;
};

}  // namespace cocoon::ttrpc::internal

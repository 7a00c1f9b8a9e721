// SPDX-License-Identifier: Apache-2.0
// A GET_QUOTE exchange with the host's Quote Generation Service over a stream socket.
//
// Trust: the QGS is the host's; its answer is size-capped here and parsed by
// tdx::parseQgsQuoteResponse.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::attest::tdx {

// Sends a framed request on the connected stream socket `fd` and reads one framed answer
// (4-byte big-endian length, at most kMaxQgsMessageBytes), all before `timeout`.
// Returns the answer without its length prefix.
// Errors: kDeadlineExceeded on timeout; kUnavailable when the peer closes early or a socket
// call fails; kResourceExhausted for an announced length over the cap.
Result<Bytes> exchangeQgsMessage(int fd, ByteSpan framed_request,
                                 std::chrono::milliseconds timeout);

// Connects to the QGS over AF_VSOCK and runs exchangeQgsMessage.
// Errors: kUnavailable naming cid:port when the connection fails; those of the exchange.
Result<Bytes> askQgsOverVsock(std::uint32_t cid, std::uint32_t port, ByteSpan framed_request,
                              std::chrono::milliseconds timeout);

}  // namespace cocoon::attest::tdx

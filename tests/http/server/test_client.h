// SPDX-License-Identifier: Apache-2.0
// A blocking loopback HTTP client for the server tests: raw bytes out, one Beast-parsed
// response in, and "did the server close?" checks. Plain TCP or TLS.
#pragma once

#include <utility>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace cocoon::http::server::test {

namespace asio = boost::asio;
using TestResponse = boost::beast::http::response<boost::beast::http::string_body>;

// One connection. Failures surface as an error_code the test asserts on; nothing throws.
// Stream is asio::ip::tcp::socket or asio::ssl::stream<asio::ip::tcp::socket>.
template <class Stream>
class BasicClient {
 public:
  template <class... Args>
  explicit BasicClient(Args&&... args) : stream_(io_, std::forward<Args>(args)...) {}

  asio::ip::tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }
  Stream& stream() { return stream_; }

  boost::system::error_code connect(std::uint16_t port) {
    boost::system::error_code ec;
    socket().connect({asio::ip::make_address_v4("127.0.0.1"), port}, ec);
    return ec;
  }

  boost::system::error_code send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(stream_, asio::buffer(bytes.data(), bytes.size()), ec);
    return ec;
  }

  // Reads one response; nullopt (with `error` set) when the stream fails first.
  std::optional<TestResponse> read() {
    TestResponse response;
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    boost::beast::http::read(stream_, buffer_, parser, error);
    if (error) {
      return std::nullopt;
    }
    return parser.release();
  }

  // Sends `request` and reads the response.
  std::optional<TestResponse> roundTrip(std::string_view request) {
    if ((error = send(request))) {
      return std::nullopt;
    }
    return read();
  }

  // Blocks until the server closes the connection; true when it ended with EOF (or a
  // reset) and no further byte arrived. `elapsed` says how long that took.
  bool waitForClose(std::chrono::steady_clock::duration* elapsed = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    char byte = 0;
    boost::system::error_code ec;
    const std::size_t n = buffer_.size() > 0 ? 1 : stream_.read_some(asio::buffer(&byte, 1), ec);
    if (elapsed != nullptr) {
      *elapsed = std::chrono::steady_clock::now() - start;
    }
    return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset ||
                      ec == asio::ssl::error::stream_truncated);
  }

  boost::system::error_code error;

 private:
  asio::io_context io_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
};

using Client = BasicClient<asio::ip::tcp::socket>;
using TlsClient = BasicClient<asio::ssl::stream<asio::ip::tcp::socket>>;

// "GET <target> HTTP/1.1" with a Host header and `extra` header lines ("Name: v\r\n").
inline std::string get(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

}  // namespace cocoon::http::server::test

// SPDX-License-Identifier: Apache-2.0
// The production HttpClient on libcurl: TLS always verified, timeouts, manual redirects.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/client.h"

namespace cocoon::http {

struct CurlClientOptions {
  // PEM file of CA certificates trusted for https instead of the system store; empty
  // uses the system store. TLS peer and host name verification cannot be turned off.
  std::string ca_bundle_file;
  // Time to establish the TCP (and TLS) connection.
  std::chrono::milliseconds connect_timeout{10'000};
  // Fails a transfer when no byte (header or body) arrived for this long; 0 disables. It
  // is checked from libcurl's progress callback, so it fires up to about 1 s late.
  std::chrono::milliseconds stall_timeout{30'000};
  // Bound on a whole call, redirects included; 0 means none (a streamed layer may take
  // long: the stall timeout catches dead peers).
  std::chrono::milliseconds total_timeout{0};
  // Redirects followed per call; one more fails with kAborted.
  int max_redirects = 5;
  // Cap on the header bytes of one response.
  std::size_t max_header_bytes = 256 * 1024;
  std::string user_agent = "cocoon";
  // Idle connections (one libcurl easy handle each) kept for reuse between calls.
  std::size_t max_idle_handles = 4;
};

// Creates a libcurl client. Connections are HTTP/1.1 and kept alive: each call borrows an
// idle easy handle (with its open connections) or makes one, and returns it afterwards.
// Thread-safe: calls may run concurrently from several threads, each on its own handle.
// Redirects (301, 302, 303, 307, 308) are followed by this client, not libcurl, so that
// an Authorization header never reaches another origin and https never downgrades to http.
// libcurl (libcurl.so.4, Debian package libcurl4) is not linked: the first request of the
// process loads it (dlopen), so a process that makes a client but sends nothing never maps
// it and its 20-odd dependencies. When it cannot be loaded, every send() and stream() fails
// with kUnavailable naming the library and the loader's reason; creating the client does
// not load it and does not fail for that.
// Errors: kInvalidArgument when ca_bundle_file is set but not readable, or an option is
// out of range (negative timeouts or redirects).
Result<std::unique_ptr<HttpClient>> makeCurlHttpClient(const CurlClientOptions& options);

}  // namespace cocoon::http

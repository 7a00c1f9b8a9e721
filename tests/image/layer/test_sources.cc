// SPDX-License-Identifier: Apache-2.0
// Test helpers for the layer pipeline.
#include "image/layer/test_sources.h"

#include <gtest/gtest.h>

#include "common/subprocess.h"

namespace cocoon::image::layer::test {

Result<Bytes> readAll(ByteSource& source, std::size_t chunk) {
  Bytes all;
  Bytes buffer(chunk);
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(std::size_t n, source.read(buffer));
    if (n == 0) {
      return all;
    }
    all.insert(all.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

Result<std::size_t> CountingSource::read(std::span<std::uint8_t> out) {
  COCOON_ASSIGN_OR_RETURN(std::size_t n, in_.read(out));
  count_ += n;
  return n;
}

Bytes makePayload(std::size_t size, std::uint32_t seed) {
  Bytes out;
  out.reserve(size);
  std::uint32_t state = seed;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;  // Numerical Recipes LCG
    return state >> 8;
  };
  std::uint64_t line = 0;
  while (out.size() < size) {
    if (next() % 4 == 0) {
      const std::uint32_t run = next() % 512;
      for (std::uint32_t i = 0; i < run; ++i) {
        out.push_back(static_cast<std::uint8_t>(next()));
      }
    } else {
      const std::string text = fmt::format("usr/share/doc/package-{}/changelog line {} value {}\n",
                                           next() % 97, line++, next() % 1000);
      out.insert(out.end(), text.begin(), text.end());
    }
  }
  out.resize(size);
  return out;
}

Bytes runCompressor(const std::vector<std::string>& argv, ByteSpan input) {
  SubprocessOptions options;
  options.argv = argv;
  options.stdin_data = toString(input);
  options.capture_stderr = true;
  options.timeout = std::chrono::seconds(30);
  auto result = runSubprocess(options);
  if (!result) {
    ADD_FAILURE() << argv[0] << ": " << result.error().toString();
    return {};
  }
  EXPECT_EQ(result->exit_code, 0) << argv[0] << ": " << result->stderr_data;
  return toBytes(result->stdout_data);
}

}  // namespace cocoon::image::layer::test

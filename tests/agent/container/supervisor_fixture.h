// SPDX-License-Identifier: Apache-2.0
// Fixture for Supervisor tests: a busybox rootfs and runc bundles in temp dirs, one
// io_context driven from the test thread, and a supervisor per test.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/container/supervisor.h"
#include "common/files.h"

namespace cocoon::agent::container::test {

inline constexpr const char* kRunc = "/usr/sbin/runc";

class SupervisorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // Options for a supervisor whose state lives in this test's temp dir.
  SupervisorOptions defaultOptions() const;
  // Replaces the test's supervisor (the old one must hold no containers).
  void restart(SupervisorOptions options);

  // Runs `op` on io_ from the test thread until it completes (at most `limit`).
  template <class T>
  T sync(boost::asio::awaitable<T> op, std::chrono::seconds limit = std::chrono::seconds(20)) {
    return await(boost::asio::co_spawn(io_, std::move(op), boost::asio::use_future), limit);
  }
  // Runs io_ from the test thread until `result` is ready (at most `limit`).
  template <class T>
  T await(std::future<T> result, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "operation did not complete within " << limit.count() << " s";
        if constexpr (std::is_void_v<T>) {
          return;
        } else {
          return T{};
        }
      }
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    return result.get();
  }

  // A runtime-spec "process" object running `args` (busybox applets).
  static json::Json processSpec(const std::vector<std::string>& args, bool terminal = false);
  // A bundle dir named `name` whose config.json runs `args` on the shared rootfs.
  std::filesystem::path makeBundle(const std::string& name, const std::vector<std::string>& args,
                                   bool terminal = false);
  // create + start of a container running `args`.
  Status run(const std::string& id, const std::vector<std::string>& args, bool terminal = false);
  // Everything on `stream` until end of file.
  std::string readAll(const std::string& id, const std::string& exec_id,
                      OutputStream stream = OutputStream::kStdout);
  // Output until it contains `needle` (or end of file).
  std::string readUntil(const std::string& id, const std::string& exec_id, std::string_view needle);

  boost::asio::io_context io_;
  std::optional<TempDir> dir_;
  std::unique_ptr<Supervisor> sup_;

  static std::optional<TempDir> suite_dir_;
  static json::Json spec_template_;
  static std::string skip_reason_;
};

}  // namespace cocoon::agent::container::test

// SPDX-License-Identifier: Apache-2.0
// ExitWaiters: parked waits woken from another thread, each with its own process's
// outcome, and waiters that outlive the registry (a stopped server's leftovers).
#include "runtime/shim/exit_waiters.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include "support/expect.h"

namespace cocoon::runtime::shim {
namespace {

namespace asio = boost::asio;
namespace v2 = containerd::task::v2;
using cocoon::test::expectError;

v2::WaitResponse exitWith(std::uint32_t status) {
  v2::WaitResponse response;
  response.set_exit_status(status);
  return response;
}

// Registers a wait on a strand of `io` and answers its outcome through a future.
std::future<WaitOutcome> parkWait(asio::io_context& io, ExitWaiters& waiters, std::string id,
                                  std::string exec_id) {
  auto promise = std::make_shared<std::promise<WaitOutcome>>();
  auto future = promise->get_future();
  asio::co_spawn(
      asio::make_strand(io),
      [&waiters, promise, id = std::move(id),
       exec_id = std::move(exec_id)]() -> asio::awaitable<void> {
        auto waiter = waiters.add(co_await asio::this_coro::executor, id, exec_id);
        promise->set_value(co_await waiter->result());
      },
      asio::detached);
  return future;
}

// Runs `io` on two threads for the test's lifetime.
class IoThreads {
 public:
  explicit IoThreads(asio::io_context& io) : io_(io), guard_(asio::make_work_guard(io)) {
    for (auto& thread : threads_) {
      thread = std::thread([this] { io_.run(); });
    }
  }
  ~IoThreads() {
    guard_.reset();
    for (auto& thread : threads_) {
      thread.join();
    }
  }

 private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread threads_[2];
};

void waitForSize(const ExitWaiters& waiters, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waiters.size() != n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polls a condition
  }
  ASSERT_EQ(waiters.size(), n);
}

TEST(ExitWaiters, SettleWakesEveryWaiterOfThatProcessAndNoOther) {
  asio::io_context io;
  ExitWaiters waiters;
  IoThreads threads(io);
  std::vector<std::future<WaitOutcome>> init;
  for (int i = 0; i < 3; ++i) {
    init.push_back(parkWait(io, waiters, "c1", ""));
  }
  auto exec = parkWait(io, waiters, "c1", "e1");
  auto other = parkWait(io, waiters, "c2", "");
  waitForSize(waiters, 5);
  waiters.settle("c1", "", exitWith(7));
  for (auto& f : init) {
    auto outcome = f.get();
    ASSERT_TRUE(outcome) << outcome.error().toString();
    EXPECT_EQ(outcome->exit_status(), 7u);
  }
  waitForSize(waiters, 2);
  EXPECT_EQ(exec.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  waiters.settle("c1", "e1", fail(Code::kNotFound, "process e1 of container c1 was deleted"));
  expectError(exec.get(), Code::kNotFound, "process e1 of container c1 was deleted");
  waiters.settle("c2", "", exitWith(0));
  ASSERT_TRUE(other.get());
  waitForSize(waiters, 0);  // each Waiter unregisters as its coroutine ends
}

TEST(ExitWaiters, SettledBeforeTheWaitStartsIsAnsweredAtOnce) {
  asio::io_context io;
  ExitWaiters waiters;
  auto strand = asio::make_strand(io);
  std::unique_ptr<ExitWaiters::Waiter> waiter = waiters.add(strand, "c1", "");
  waiters.settle("c1", "", exitWith(3));
  std::optional<WaitOutcome> outcome;
  asio::co_spawn(
      strand, [&]() -> asio::awaitable<void> { outcome = co_await waiter->result(); },
      asio::detached);
  io.run();
  ASSERT_TRUE(outcome && *outcome);
  EXPECT_EQ((*outcome)->exit_status(), 3u);
}

TEST(ExitWaiters, ParkedWaitersMayOutliveTheRegistry) {
  auto io = std::make_unique<asio::io_context>();
  auto waiters = std::make_unique<ExitWaiters>();
  auto parked = parkWait(*io, *waiters, "c1", "");
  io->poll();  // the wait registers and suspends on its timer
  EXPECT_EQ(waiters->size(), 1u);
  waiters.reset();
  io.reset();  // destroys the suspended coroutine, whose Waiter unregisters (ASan checks)
  EXPECT_EQ(parked.wait_for(std::chrono::seconds(0)), std::future_status::ready);
}

}  // namespace
}  // namespace cocoon::runtime::shim

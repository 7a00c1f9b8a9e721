// SPDX-License-Identifier: Apache-2.0
// ExitWaiters: containerd's Wait calls parked until their process exits, holding no
// thread while they wait (a suspended coroutine and a timer each), so that any number of
// waiters never starves the ttrpc server of the threads State, Kill and Delete need.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/result.h"
#include "proto/shim/shim.pb.h"

namespace cocoon::runtime::shim {

// What a Wait call answers: the exit, or why there will be none.
using WaitOutcome = Result<containerd::task::v2::WaitResponse>;

// Thread-safe. The owner checks "has the process exited?" and calls add() under its own
// lock, and calls settle() under that same lock when the process exits: then no exit can
// fall between the check and the registration.
class ExitWaiters {
 public:
  class Waiter;

  ExitWaiters() = default;
  ExitWaiters(const ExitWaiters&) = delete;
  ExitWaiters& operator=(const ExitWaiters&) = delete;

  // Registers a wait for process `exec_id` ("" = init) of container `id`; it is
  // unregistered when the returned Waiter is destroyed, which may happen after the
  // ExitWaiters is gone (a stopped server destroys its suspended calls last).
  // REQUIRES: `strand` is a strand executor, and the Waiter's result() is awaited by a
  // coroutine running on it (settle() wakes the waiter through it, so the wake-up and the
  // coroutine's steps never run at the same time).
  std::unique_ptr<Waiter> add(const boost::asio::any_io_executor& strand, std::string id,
                              std::string exec_id);

  // Completes every waiter registered for (id, exec_id) with `outcome`. Never blocks on
  // the waiters (their coroutines resume on their strands).
  void settle(const std::string& id, const std::string& exec_id, const WaitOutcome& outcome);

  // Waiters registered now (for tests and logs).
  std::size_t size() const;

 private:
  struct Entry {
    std::string id;
    std::string exec_id;
    std::optional<WaitOutcome> outcome;
    // Shared with the wake-up handler that settle() posts, which may run after the Waiter
    // is gone (its coroutine was abandoned when the server stopped).
    std::shared_ptr<boost::asio::steady_timer> timer;
  };

  // Shared with the Waiters, which may outlive this object.
  struct Shared {
    std::mutex mutex;
    std::list<Entry> entries;
  };

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

class ExitWaiters::Waiter {
 public:
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Suspends until settle() for this process, then answers its outcome.
  boost::asio::awaitable<WaitOutcome> result();

 private:
  friend class ExitWaiters;
  Waiter(std::shared_ptr<Shared> shared, std::list<Entry>::iterator entry)
      : shared_(std::move(shared)), entry_(entry) {}

  std::shared_ptr<Shared> shared_;
  std::list<Entry>::iterator entry_;
};

}  // namespace cocoon::runtime::shim

// SPDX-License-Identifier: Apache-2.0
// Notifier: wakes every coroutine waiting for "something changed" (a condition variable
// for coroutines that all run on the supervisor's strand, so it needs no lock).
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <list>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cocoon::agent::container::internal {

// Not thread-safe: waiters and notifiers must run on the same strand. Waiters re-check
// their condition after every wake-up (the wake-up says only that something changed).
class Notifier {
 public:
  // Completes at the next notifyAll() (or when the executor shuts down).
  boost::asio::awaitable<void> wait() {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                    boost::asio::steady_timer::time_point::max());
    const auto it = waiters_.insert(waiters_.end(), &timer);
    struct Unregister {
      std::list<boost::asio::steady_timer*>& list;
      std::list<boost::asio::steady_timer*>::iterator it;
      ~Unregister() { list.erase(it); }
    } unregister{waiters_, it};
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }

  void notifyAll() {
    for (boost::asio::steady_timer* timer : waiters_) {
      timer->cancel();
    }
  }

 private:
  std::list<boost::asio::steady_timer*> waiters_;
};

}  // namespace cocoon::agent::container::internal

// SPDX-License-Identifier: Apache-2.0
// ExitWaiters: a list of parked waits, each woken by cancelling its timer on its strand.
#include "runtime/shim/exit_waiters.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cocoon::runtime::shim {

namespace asio = boost::asio;

std::unique_ptr<ExitWaiters::Waiter> ExitWaiters::add(const asio::any_io_executor& strand,
                                                      std::string id, std::string exec_id) {
  auto timer = std::make_shared<asio::steady_timer>(strand, asio::steady_timer::time_point::max());
  std::lock_guard lock(shared_->mutex);
  shared_->entries.push_back(Entry{.id = std::move(id),
                                   .exec_id = std::move(exec_id),
                                   .outcome = std::nullopt,
                                   .timer = std::move(timer)});
  return std::unique_ptr<Waiter>(new Waiter(shared_, std::prev(shared_->entries.end())));
}

void ExitWaiters::settle(const std::string& id, const std::string& exec_id,
                         const WaitOutcome& outcome) {
  std::lock_guard lock(shared_->mutex);
  for (Entry& entry : shared_->entries) {
    if (entry.id != id || entry.exec_id != exec_id || entry.outcome) {
      continue;
    }
    entry.outcome = outcome;
    // Timers are not thread-safe: the cancel runs on the waiter's strand. If it runs
    // before the waiter's async_wait, the waiter sees the outcome before it waits.
    asio::post(entry.timer->get_executor(), [timer = entry.timer] { timer->cancel(); });
  }
}

std::size_t ExitWaiters::size() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->entries.size();
}

ExitWaiters::Waiter::~Waiter() {
  std::lock_guard lock(shared_->mutex);
  shared_->entries.erase(entry_);
}

asio::awaitable<WaitOutcome> ExitWaiters::Waiter::result() {
  for (;;) {
    std::shared_ptr<asio::steady_timer> timer;
    {
      std::lock_guard lock(shared_->mutex);
      if (entry_->outcome) {
        co_return *entry_->outcome;
      }
      timer = entry_->timer;
    }
    boost::system::error_code ec;  // operation_aborted: settle() cancelled the wait
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace cocoon::runtime::shim

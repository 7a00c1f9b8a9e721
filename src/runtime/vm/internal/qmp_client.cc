// SPDX-License-Identifier: Apache-2.0
// QMP framing (one JSON object per CRLF-terminated line) and message dispatch.
#include "runtime/vm/internal/qmp_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/sys_error.h"

namespace cocoon::runtime::vm::internal {
namespace {

// QMP replies to our few commands and events are small; this bounds a runaway peer.
constexpr std::size_t kMaxMessageBytes = 1 << 20;

int remainingMs(QmpClient::Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - QmpClient::Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

}  // namespace

Status QmpClient::handshake(Clock::time_point deadline) {
  COCOON_ASSIGN_OR_RETURN(const json::Json greeting, readMessage(deadline));
  if (!greeting.contains("QMP")) {
    return fail(Code::kInternal, "QMP greeting has no \"QMP\" member: {}",
                json::dumpCompact(greeting).substr(0, 200));
  }
  COCOON_TRY(execute("qmp_capabilities", deadline));
  return okStatus();
}

Result<json::Json> QmpClient::execute(std::string_view command, Clock::time_point deadline) {
  COCOON_TRY(writeLine(json::dumpCompact(json::Json{{"execute", command}}) + "\n"));
  while (true) {
    COCOON_ASSIGN_OR_RETURN(json::Json message, readMessage(deadline));
    if (message.contains("event")) {
      events_.push_back(std::move(message));
      continue;
    }
    if (message.contains("return")) {
      return message["return"];
    }
    if (const auto error = message.find("error"); error != message.end()) {
      return fail(Code::kFailedPrecondition, "QMP {} failed: {}: {}", command,
                  error->value("class", std::string("?")), error->value("desc", std::string("?")));
    }
    return fail(Code::kInternal, "QMP {}: unexpected reply {}", command,
                json::dumpCompact(message).substr(0, 200));
  }
}

Result<json::Json> QmpClient::waitEvent(std::string_view name,
                                        const std::function<bool(const json::Json&)>& match,
                                        Clock::time_point deadline) {
  const auto matches = [&](const json::Json& event) {
    const auto data = event.find("data");
    return event.value("event", std::string()) == name &&
           match(data != event.end() ? *data : json::Json::object());
  };
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (matches(*it)) {
      json::Json data = it->value("data", json::Json::object());
      events_.erase(it);
      return data;
    }
  }
  while (true) {
    COCOON_ASSIGN_OR_RETURN(json::Json message, readMessage(deadline));
    if (message.contains("event") && matches(message)) {
      return message.value("data", json::Json::object());
    }
  }
}

Result<json::Json> QmpClient::readMessage(Clock::time_point deadline) {
  while (true) {
    if (const std::size_t newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.empty()) {
        continue;
      }
      COCOON_ASSIGN_OR_RETURN(json::Json message, json::parseJson(line));
      if (!message.is_object()) {
        return fail(Code::kInternal, "QMP message is not an object: {}", line.substr(0, 200));
      }
      return message;
    }
    if (buffer_.size() > kMaxMessageBytes) {
      return fail(Code::kInternal, "QMP message longer than {} bytes", kMaxMessageBytes);
    }
    pollfd pfd{fd_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errnoError(errno, "poll on the QMP socket"));
    }
    if (ready == 0) {
      return fail(Code::kDeadlineExceeded, "no QMP message from QEMU in time");
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return fail(errnoError(errno, "reading the QMP socket"));
    }
    if (n == 0) {
      return fail(Code::kUnavailable, "QEMU closed the QMP socket");
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

Status QmpClient::writeLine(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(fd_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errno == EPIPE ? Code::kUnavailable : codeFromErrno(errno),
                  "writing to the QMP socket: {}", std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return okStatus();
}

}  // namespace cocoon::runtime::vm::internal

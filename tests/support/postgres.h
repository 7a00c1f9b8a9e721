// SPDX-License-Identifier: Apache-2.0
// PostgresServer: a real PostgreSQL 15 for tests, private to one temp dir, on a unix socket.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cocoon::test {

// Owns one running cluster; stopping it (immediate mode) and removing its directory happen
// on destruction. It listens on no TCP port, only on a socket in its own directory, so
// several can run at once. Not thread-safe (one owner), but the databases it serves are
// used from any thread.
class PostgresServer {
 public:
  // Creates the cluster (initdb, or a copy of the template cluster kept in
  // `template_cache` when given: initdb is the slow part, ~1 s) and starts it. Needs root,
  // as the server runs as user postgres.
  // Errors: kFailedPrecondition when this machine cannot run it (not root, no postgres
  // user, no PostgreSQL 15): callers skip then; kInternal with the command's output when
  // initdb or pg_ctl fails.
  static Result<std::unique_ptr<PostgresServer>> start(
      const std::filesystem::path& template_cache = {});

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  // A libpq URL reaching `database` as the superuser over the socket.
  std::string url(std::string_view database = "postgres") const;
  // Runs SQL (no parameters) as the superuser on `database`.
  // Errors: kInternal with the server's message.
  Status execute(std::string_view sql, std::string_view database = "postgres") const;
  // Creates an empty database and returns its URL. `name` must be a plain identifier.
  Result<std::string> createDatabase(std::string_view name) const;

 private:
  explicit PostgresServer(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;  // removed with everything in it on destruction
  bool running_ = false;
};

}  // namespace cocoon::test

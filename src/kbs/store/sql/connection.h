// SPDX-License-Identifier: Apache-2.0
// The small SQL driver seam the store is written against: a connection that runs the
// store's fixed statements with bound parameters, and a source that lends connections.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace cocoon::kbs::store::sql {

// Every statement the store runs. Their text (statements.cc) is shared by both databases:
// parameters are written ?1, ?2, ... (the PostgreSQL driver turns them into $1, $2, ...).
enum class Stmt : std::uint8_t {
  kSchemaVersionGet,
  kSchemaVersionAdd,
  kResourcePut,
  kResourceGet,
  kResourceDelete,
  kResourceList,
  kPolicyPut,
  kPolicyGet,
  kRefValueDeleteName,
  kRefValueUpsert,
  kRefValueGet,
  kRefValueList,
  kRefValueSweep,
  kSessionInsert,
  kSessionGet,
  kSessionAttest,
  kSessionState,
  kSessionDelete,
  kSessionCount,
  kSessionSweep,
  kCount,
};
inline constexpr std::size_t kStmtCount = static_cast<std::size_t>(Stmt::kCount);

// The SQL text of a statement.
std::string_view statementSql(Stmt stmt);

// The schema version this build writes.
inline constexpr std::int64_t kSchemaVersion = 1;

// The column types that differ between the databases; the schema is otherwise shared.
struct SqlDialect {
  std::string_view bytes_type;    // a binary string
  std::string_view integer_type;  // a 64-bit integer
  std::string_view serial_key;    // an auto-incrementing 64-bit primary key
};

// The DDL that takes a database from schema version `from` to `from + 1`.
// REQUIRES: 0 <= from < kSchemaVersion.
std::string migrationScript(std::int64_t from, const SqlDialect& dialect);

// A parameter or a column: NULL, an integer, or bytes (every text column is a binary
// string, so names and values round-trip whatever bytes they hold).
using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;
// Parameters borrow their bytes.
using SqlParam = std::variant<std::monostate, std::int64_t, std::string_view>;

struct SqlRows {
  std::vector<std::vector<SqlValue>> rows;
  std::uint64_t changes = 0;  // rows written by an INSERT/UPDATE/DELETE
};

// One database connection, used by one thread at a time.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs a prepared statement. Errors: kAlreadyExists for a unique-key violation,
  // kUnavailable when busy or disconnected, kDataLoss when corrupt, else kInternal.
  virtual Result<SqlRows> execute(Stmt stmt, std::span<const SqlParam> params) = 0;
  // Starts a write transaction; for `schema` also serialises schema migration against
  // every other client of the database.
  virtual Status begin(bool schema) = 0;
  virtual Status commit() = 0;
  // Best effort; a failed rollback leaves the connection to be discarded.
  virtual void rollback() = 0;
  // Runs parameterless DDL (a migration script).
  virtual Status executeScript(std::string_view sql) = 0;
  virtual const SqlDialect& dialect() const = 0;
};

// Lends connections. Thread-safe.
class ConnectionSource {
 public:
  virtual ~ConnectionSource() = default;
  // Runs `fn` with exclusive use of one connection and returns its result. When `fn`
  // fails because the connection broke, runs it once more on a fresh connection, so `fn`
  // must be a whole transaction or a single statement.
  virtual Status run(const std::function<Status(SqlConnection&)>& fn) = 0;
};

}  // namespace cocoon::kbs::store::sql

// SPDX-License-Identifier: Apache-2.0
// The SQLite driver: one connection per store object, WAL mode, cached prepared statements.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <mutex>

#include <fmt/format.h>

#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "kbs/store/sql/sql_store.h"

namespace cocoon::kbs::store {
namespace sql {
namespace {

constexpr SqlDialect kSqliteDialect{"BLOB", "INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT"};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

Code codeFor(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Code::kAlreadyExists;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return Code::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Code::kDataLoss;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
    case SQLITE_NOMEM:
      return Code::kResourceExhausted;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Code::kPermissionDenied;
    default:
      return Code::kInternal;
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(std::filesystem::path file, std::unique_ptr<sqlite3, DbCloser> db)
      : file_(std::move(file)), db_(std::move(db)) {}

  Result<SqlRows> execute(Stmt stmt, std::span<const SqlParam> params) override {
    COCOON_ASSIGN_OR_RETURN(sqlite3_stmt * st, prepared(stmt));
    // Bindings borrow the callers' bytes (SQLITE_STATIC): clear them before returning.
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
    } reset{st};
    if (sqlite3_bind_parameter_count(st) != static_cast<int>(params.size())) {
      return fail(Code::kInternal, "statement {} takes {} parameters, {} given",
                  static_cast<int>(stmt), sqlite3_bind_parameter_count(st), params.size());
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      COCOON_TRY(bind(st, static_cast<int>(i + 1), params[i]));
    }
    SqlRows out;
    while (true) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc != SQLITE_ROW) {
        return fail(error(rc, fmt::format("running statement {}", static_cast<int>(stmt))));
      }
      COCOON_ASSIGN_OR_RETURN(std::vector<SqlValue> row, readRow(st));
      out.rows.push_back(std::move(row));
    }
    if (sqlite3_stmt_readonly(st) == 0) {
      out.changes = static_cast<std::uint64_t>(sqlite3_changes64(db_.get()));
    }
    return out;
  }

  // IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading.
  Status begin(bool /*schema*/) override { return executeScript("BEGIN IMMEDIATE"); }
  Status commit() override { return executeScript("COMMIT"); }
  void rollback() override { sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); }

  Status executeScript(std::string_view script) override {
    const std::string text(script);
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return fail(error(rc, "running a script"));
    }
    return okStatus();
  }

  const SqlDialect& dialect() const override { return kSqliteDialect; }

  // The first column of a PRAGMA's answer.
  Result<std::string> pragma(std::string_view text) {
    std::string answer;
    const std::string query = fmt::format("PRAGMA {}", text);
    const int rc = sqlite3_exec(
        db_.get(), query.c_str(),
        [](void* out, int columns, char** values, char** /*names*/) {
          if (columns > 0 && values[0] != nullptr) {
            *static_cast<std::string*>(out) = values[0];
          }
          return 0;
        },
        &answer, nullptr);
    if (rc != SQLITE_OK) {
      return fail(error(rc, query));
    }
    return answer;
  }

  Error error(int rc, std::string_view what) const {
    return makeError(codeFor(rc), "SQLite store {}: {}: {}", file_.string(), what,
                     sqlite3_errmsg(db_.get()));
  }

 private:
  Result<sqlite3_stmt*> prepared(Stmt stmt) {
    auto& slot = stmts_.at(static_cast<std::size_t>(stmt));
    if (!slot) {
      const std::string_view text = statementSql(stmt);
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_.get(), text.data(), static_cast<int>(text.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) {
        return fail(error(rc, fmt::format("preparing statement {}", static_cast<int>(stmt))));
      }
      slot.reset(raw);
    }
    return slot.get();
  }

  Status bind(sqlite3_stmt* st, int index, const SqlParam& param) {
    int rc = SQLITE_OK;
    if (const auto* i = std::get_if<std::int64_t>(&param)) {
      rc = sqlite3_bind_int64(st, index, *i);
    } else if (const auto* s = std::get_if<std::string_view>(&param)) {
      // A null pointer would bind NULL, so an empty value binds a zero-length blob.
      rc = s->empty() ? sqlite3_bind_zeroblob(st, index, 0)
                      : sqlite3_bind_blob64(st, index, s->data(), s->size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(st, index);
    }
    if (rc != SQLITE_OK) {
      return fail(error(rc, fmt::format("binding parameter {}", index)));
    }
    return okStatus();
  }

  Result<std::vector<SqlValue>> readRow(sqlite3_stmt* st) const {
    std::vector<SqlValue> row;
    const int columns = sqlite3_column_count(st);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_NULL:
          row.emplace_back(std::monostate{});
          break;
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st, c)));
          break;
        case SQLITE_BLOB:
        case SQLITE_TEXT: {
          // Pointer first, then size (SQLite's documented order).
          const void* data = sqlite3_column_blob(st, c);
          const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, c));
          row.emplace_back(size == 0 ? std::string()
                                     : std::string(static_cast<const char*>(data), size));
          break;
        }
        default:
          return fail(Code::kDataLoss, "SQLite store {}: column {} holds a floating-point value",
                      file_.string(), c);
      }
    }
    return row;
  }

  std::filesystem::path file_;
  std::unique_ptr<sqlite3, DbCloser> db_;
  // Declared after db_ so statements are finalized before the database closes.
  std::array<std::unique_ptr<sqlite3_stmt, StmtFinalizer>, kStmtCount> stmts_{};
};

// One connection behind a mutex: SQLite serialises writers anyway, and WAL lets other
// processes read meanwhile.
class SqliteSource final : public ConnectionSource {
 public:
  explicit SqliteSource(std::unique_ptr<SqliteConnection> connection)
      : connection_(std::move(connection)) {}

  Status run(const std::function<Status(SqlConnection&)>& fn) override {
    std::lock_guard lock(mutex_);
    return fn(*connection_);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<SqliteConnection> connection_;
};

// Creates the file 0600 before SQLite opens it: SQLite would create it 0644 minus umask,
// and gives its -wal and -shm files the database file's mode.
Status createPrivateFile(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return fail(errnoError(errno, fmt::format("opening SQLite store {}", file.string())));
  }
  if (::fchmod(fd.get(), 0600) != 0) {
    return fail(errnoError(errno, fmt::format("making SQLite store {} private", file.string())));
  }
  return okStatus();
}

}  // namespace
}  // namespace sql

Result<std::unique_ptr<KbsStore>> openSqliteStore(const std::filesystem::path& file,
                                                  StoreOptions options) {
  if (file.empty()) {
    return fail(Code::kInvalidArgument, "SQLite store path is empty");
  }
  COCOON_TRY(sql::createPrivateFile(file));
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  std::unique_ptr<sqlite3, sql::DbCloser> db(raw);
  if (rc != SQLITE_OK) {
    return fail(sql::codeFor(rc), "SQLite store {}: opening: {}", file.string(),
                raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(options.busy_timeout.count()));
  auto connection = std::make_unique<sql::SqliteConnection>(file, std::move(db));
  // The first read of the file: a file that is not SQLite fails here with kDataLoss.
  COCOON_ASSIGN_OR_RETURN(std::string mode, connection->pragma("journal_mode = WAL"));
  if (mode != "wal") {
    return fail(Code::kFailedPrecondition,
                "SQLite store {}: WAL mode refused (journal mode is '{}')", file.string(), mode);
  }
  // FULL: a commit is on disk before it returns (NORMAL may lose the last ones in WAL mode).
  COCOON_TRY(connection->pragma("synchronous = FULL"));
  COCOON_TRY(withContext(sql::migrateSchema(*connection), file.string()));
  return sql::makeSqlStore(std::make_unique<sql::SqliteSource>(std::move(connection)),
                           std::move(options));
}

}  // namespace cocoon::kbs::store

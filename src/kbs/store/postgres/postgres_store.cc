// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL driver: a pool of libpq connections, statements prepared per connection,
// binary parameters and results, and one reconnect when a connection broke.
#include <libpq-fe.h>

#include <algorithm>
#include <bitset>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "kbs/store/sql/sql_store.h"

namespace cocoon::kbs::store {
namespace sql {
namespace {

constexpr SqlDialect kPostgresDialect{"BYTEA", "BIGINT",
                                      "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"};

// Type OIDs of the columns the store reads (pg_type.dat; stable across versions).
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

// Any constant shared by every cocoon-kbs: it names the lock replicas take to migrate.
constexpr std::int64_t kMigrationLockKey = 0x636f636f6f6e6b62;  // "cocoonkb"

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultClear>;

std::string trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// SQLSTATE classes (PostgreSQL appendix A) that decide whether a caller should retry.
Code codeForSqlState(std::string_view state) {
  if (state == "23505") {
    return Code::kAlreadyExists;  // unique_violation
  }
  if (state.starts_with("08") || state.starts_with("57P")) {
    return Code::kUnavailable;  // connection exception, operator intervention
  }
  if (state == "40001" || state == "40P01") {
    return Code::kAborted;  // serialization failure, deadlock
  }
  if (state.starts_with("53") || state.starts_with("54")) {
    return Code::kResourceExhausted;  // insufficient resources, program limit exceeded
  }
  if (state == "XX001" || state == "XX002") {
    return Code::kDataLoss;  // data_corrupted, index_corrupted
  }
  return Code::kInternal;
}

std::int64_t readBigEndian(const char* data, int size) {
  std::uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<unsigned char>(data[i]);
  }
  // Sign-extend the narrower integer types.
  const int shift = 64 - 8 * size;
  return static_cast<std::int64_t>(v << shift) >> shift;
}

class PgConnection final : public SqlConnection {
 public:
  // Errors: kUnavailable when the server cannot be reached or refuses the login.
  static Result<std::unique_ptr<PgConnection>> connect(const std::string& url,
                                                       const std::string& label) {
    std::unique_ptr<PGconn, ConnCloser> conn(PQconnectdb(url.c_str()));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      return fail(Code::kUnavailable, "connecting to PostgreSQL {}: {}", label,
                  conn ? trimmed(PQerrorMessage(conn.get())) : "out of memory");
    }
    // Notices ("relation already exists, skipping") would go to stderr; none matter here.
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);
    return std::make_unique<PgConnection>(label, std::move(conn));
  }

  PgConnection(std::string label, std::unique_ptr<PGconn, ConnCloser> conn)
      : label_(std::move(label)), conn_(std::move(conn)) {}

  bool broken() const { return PQstatus(conn_.get()) == CONNECTION_BAD; }

  Result<SqlRows> execute(Stmt stmt, std::span<const SqlParam> params) override {
    const auto index = static_cast<std::size_t>(stmt);
    const std::string name = fmt::format("cocoon_{}", index);
    if (!prepared_.test(index)) {
      // ?N -> $N: the shared text never holds '?' anywhere else.
      std::string text(statementSql(stmt));
      std::replace(text.begin(), text.end(), '?', '$');
      PgResult r(PQprepare(conn_.get(), name.c_str(), text.c_str(), 0, nullptr));
      COCOON_TRY(check(r.get(), PGRES_COMMAND_OK, "preparing statement", index));
      prepared_.set(index);
    }
    // Bytes go in binary format, so no value is ever parsed as SQL or as text; integers
    // go as decimal text, converted to whatever integer type the column has.
    std::vector<std::string> numbers;
    numbers.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        values[i] = numbers.emplace_back(std::to_string(*n)).c_str();
      } else if (const auto* s = std::get_if<std::string_view>(&params[i])) {
        values[i] = s->empty() ? "" : s->data();  // null would mean SQL NULL
        lengths[i] = static_cast<int>(s->size());
        formats[i] = 1;
      }
    }
    PgResult r(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(params.size()),
                              values.data(), lengths.data(), formats.data(), 1));
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    SqlRows out;
    if (status == PGRES_COMMAND_OK) {
      out.changes = std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
      return out;
    }
    COCOON_TRY(check(r.get(), PGRES_TUPLES_OK, "running statement", index));
    const int rows = PQntuples(r.get());
    const int columns = PQnfields(r.get());
    for (int row = 0; row < rows; ++row) {
      std::vector<SqlValue> values_out;
      for (int c = 0; c < columns; ++c) {
        COCOON_ASSIGN_OR_RETURN(SqlValue v, readValue(r.get(), row, c));
        values_out.push_back(std::move(v));
      }
      out.rows.push_back(std::move(values_out));
    }
    return out;
  }

  Status begin(bool schema) override {
    COCOON_TRY(executeScript("BEGIN"));
    if (schema) {
      // Replicas that start together migrate one after the other.
      return executeScript(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey));
    }
    return okStatus();
  }
  Status commit() override { return executeScript("COMMIT"); }
  void rollback() override { PgResult r(PQexec(conn_.get(), "ROLLBACK")); }

  Status executeScript(std::string_view script) override {
    const std::string text(script);
    PgResult r(PQexec(conn_.get(), text.c_str()));
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK) {
      return okStatus();
    }
    return check(r.get(), PGRES_COMMAND_OK, "running a script", 0);
  }

  const SqlDialect& dialect() const override { return kPostgresDialect; }

 private:
  // Only the primary message: the DETAIL of a unique violation would quote the key,
  // which may be a session id.
  Status check(const PGresult* r, ExecStatusType expected, std::string_view what,
               std::size_t index) const {
    if (r != nullptr && PQresultStatus(r) == expected) {
      return okStatus();
    }
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const Code code =
        broken() ? Code::kUnavailable : codeForSqlState(state != nullptr ? state : "");
    return fail(code, "PostgreSQL {}: {} {}: {}", label_, what, index,
                primary != nullptr ? std::string(primary) : trimmed(PQerrorMessage(conn_.get())));
  }

  Result<SqlValue> readValue(const PGresult* r, int row, int column) const {
    if (PQgetisnull(r, row, column) != 0) {
      return SqlValue(std::monostate{});
    }
    const char* data = PQgetvalue(r, row, column);
    const int size = PQgetlength(r, row, column);
    const Oid type = PQftype(r, column);
    if (type == kByteaOid) {
      return SqlValue(std::string(data, static_cast<std::size_t>(size)));
    }
    const bool integer = (type == kInt8Oid && size == 8) || (type == kInt4Oid && size == 4) ||
                         (type == kInt2Oid && size == 2);
    if (!integer) {
      return fail(Code::kDataLoss, "PostgreSQL {}: column {} has type oid {} and {} bytes", label_,
                  column, type, size);
    }
    return SqlValue(readBigEndian(data, size));
  }

  std::string label_;
  std::unique_ptr<PGconn, ConnCloser> conn_;
  std::bitset<kStmtCount> prepared_;
};

// Up to `size` connections, opened on demand and reused; a caller waits while all are lent.
class PgPool final : public ConnectionSource {
 public:
  PgPool(std::string url, std::string label, std::size_t size, std::unique_ptr<PgConnection> first)
      : url_(std::move(url)), label_(std::move(label)), size_(size), open_(1) {
    idle_.push_back(std::move(first));
  }

  Status run(const std::function<Status(SqlConnection&)>& fn) override {
    std::unique_ptr<PgConnection> conn = take();
    if (!conn) {
      auto fresh = PgConnection::connect(url_, label_);
      if (!fresh) {
        giveBack(nullptr);
        return fail(std::move(fresh).error());
      }
      conn = std::move(*fresh);
    }
    Status status = fn(*conn);
    if (!status && conn->broken()) {
      // The server restarted, failed over or dropped us: one fresh connection, one retry.
      auto fresh = PgConnection::connect(url_, label_);
      if (fresh) {
        conn = std::move(*fresh);
        status = fn(*conn);
      }
    }
    giveBack(std::move(conn));
    return status;
  }

 private:
  // An idle connection, or null when the caller may open a new one.
  std::unique_ptr<PgConnection> take() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
    return nullptr;
  }

  void giveBack(std::unique_ptr<PgConnection> conn) {
    {
      std::lock_guard lock(mutex_);
      if (conn && !conn->broken()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    available_.notify_one();
  }

  const std::string url_;
  const std::string label_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_;  // idle plus lent
};

}  // namespace
}  // namespace sql

Result<std::unique_ptr<KbsStore>> openPostgresStore(std::string_view url, StoreOptions options) {
  const std::string text(url);
  const std::string label = redactStoreUrl(url);
  if (options.pool_size == 0) {
    return fail(Code::kInvalidArgument, "PostgreSQL store {}: pool size is 0", label);
  }
  // Parse first so a malformed URL is kInvalidArgument, not a failed connection. libpq's
  // reason is dropped: it may quote the password.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &parse_error);
  PQfreemem(parse_error);
  if (parsed == nullptr) {
    return fail(Code::kInvalidArgument, "PostgreSQL store {}: libpq cannot parse the URL", label);
  }
  PQconninfoFree(parsed);
  COCOON_ASSIGN_OR_RETURN(auto first, sql::PgConnection::connect(text, label));
  COCOON_TRY(sql::migrateSchema(*first));
  auto pool = std::make_unique<sql::PgPool>(text, label, options.pool_size, std::move(first));
  return sql::makeSqlStore(std::move(pool), std::move(options));
}

}  // namespace cocoon::kbs::store

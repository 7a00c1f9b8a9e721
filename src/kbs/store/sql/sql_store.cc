// SPDX-License-Identifier: Apache-2.0
// The KbsStore over the SQL driver seam: argument checks, caps, row decoding, expiry.
#include "kbs/store/sql/sql_store.h"

#include <initializer_list>
#include <utility>

#include <fmt/format.h>

namespace cocoon::kbs::store::sql {
namespace {

std::int64_t toMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMillis(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

std::string_view asView(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Names come from admins and guests: show them escaped and shortened in messages.
std::string printable(std::string_view s) {
  constexpr std::size_t kMaxShown = 80;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s.size() > kMaxShown) {
    out += "...";
  }
  return out;
}

Status checkKey(std::string_view what, std::string_view key) {
  if (key.empty()) {
    return fail(Code::kInvalidArgument, "{} is empty", what);
  }
  if (key.size() > kMaxKeyBytes) {
    return fail(Code::kInvalidArgument, "{} is {} bytes, more than the limit of {}", what,
                key.size(), kMaxKeyBytes);
  }
  return okStatus();
}

Status checkResourcePath(std::string_view path) {
  COCOON_TRY(checkKey("resource path", path));
  std::size_t segments = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end == start) {
      segments = 0;  // an empty segment
      break;
    }
    ++segments;
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  if (segments != 3) {
    return fail(Code::kInvalidArgument,
                "resource path '{}' is not <repository>/<type>/<tag> (three non-empty segments)",
                printable(path));
  }
  return okStatus();
}

std::string_view kindName(PolicyKind kind) {
  return kind == PolicyKind::kResource ? "resource" : "attestation";
}

// Reads the columns of one stored row in order. A column of the wrong type means the
// database was changed behind our back: kDataLoss.
class RowReader {
 public:
  explicit RowReader(const std::vector<SqlValue>& row) : row_(row) {}

  Result<std::string> bytes() {
    COCOON_ASSIGN_OR_RETURN(const SqlValue* v, next());
    if (const auto* s = std::get_if<std::string>(v)) {
      return *s;
    }
    return mismatch("bytes");
  }
  // NULL reads as empty.
  Result<std::string> optionalBytes() {
    if (index_ < row_.size() && std::holds_alternative<std::monostate>(row_[index_])) {
      ++index_;
      return std::string();
    }
    return bytes();
  }
  Result<std::int64_t> integer() {
    COCOON_ASSIGN_OR_RETURN(const SqlValue* v, next());
    if (const auto* i = std::get_if<std::int64_t>(v)) {
      return *i;
    }
    return mismatch("an integer");
  }
  Result<std::optional<std::int64_t>> optionalInteger() {
    if (index_ < row_.size() && std::holds_alternative<std::monostate>(row_[index_])) {
      ++index_;
      return std::optional<std::int64_t>();
    }
    COCOON_ASSIGN_OR_RETURN(std::int64_t i, integer());
    return i;
  }

 private:
  Result<const SqlValue*> next() {
    if (index_ >= row_.size()) {
      return fail(Code::kInternal, "stored row has {} columns, column {} was read", row_.size(),
                  index_);
    }
    return &row_[index_++];
  }
  tl::unexpected<Error> mismatch(std::string_view expected) const {
    return fail(Code::kDataLoss, "column {} of a stored row does not hold {}", index_ - 1,
                expected);
  }

  const std::vector<SqlValue>& row_;
  std::size_t index_ = 0;
};

Result<SqlRows> exec(SqlConnection& c, Stmt stmt, std::initializer_list<SqlParam> params) {
  return c.execute(stmt, std::span<const SqlParam>(params.begin(), params.size()));
}

Status inTransaction(SqlConnection& c, bool schema, const std::function<Status()>& body) {
  COCOON_TRY(c.begin(schema));
  Status status = body();
  if (!status) {
    c.rollback();
    return status;
  }
  return c.commit();
}

SqlParam optionalMillis(const std::optional<TimePoint>& t) {
  if (t) {
    return toMillis(*t);
  }
  return std::monostate{};
}

// Reads (value, expires_at) from the reader's position.
Result<ReferenceValue> readReferenceValue(RowReader& reader) {
  ReferenceValue v;
  COCOON_ASSIGN_OR_RETURN(v.value, reader.bytes());
  COCOON_ASSIGN_OR_RETURN(std::optional<std::int64_t> expiry, reader.optionalInteger());
  if (expiry) {
    v.expires_at = fromMillis(*expiry);
  }
  return v;
}

class SqlStore final : public KbsStore {
 public:
  SqlStore(std::unique_ptr<ConnectionSource> source, StoreOptions options)
      : source_(std::move(source)), options_(std::move(options)) {}

  Status putResource(std::string_view path, ByteSpan value) override {
    COCOON_TRY(checkResourcePath(path));
    COCOON_TRY(checkValue(fmt::format("value of resource '{}'", printable(path)), value.size()));
    COCOON_TRY(run(Stmt::kResourcePut, {path, asView(value)}));
    return okStatus();
  }

  Result<Bytes> getResource(std::string_view path) override {
    COCOON_TRY(checkResourcePath(path));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kResourceGet, {path}));
    if (rows.rows.empty()) {
      return fail(Code::kNotFound, "no resource '{}'", printable(path));
    }
    COCOON_ASSIGN_OR_RETURN(std::string value, RowReader(rows.rows[0]).bytes());
    return toBytes(value);
  }

  Status deleteResource(std::string_view path) override {
    COCOON_TRY(checkResourcePath(path));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kResourceDelete, {path}));
    if (rows.changes == 0) {
      return fail(Code::kNotFound, "no resource '{}'", printable(path));
    }
    return okStatus();
  }

  Result<std::vector<std::string>> listResources(std::string_view prefix) override {
    std::vector<std::string> paths;
    if (prefix.size() > kMaxKeyBytes) {
      return paths;
    }
    // Every path with the prefix sorts in [prefix, successor): the prefix with trailing
    // 0xff bytes dropped and its last byte incremented; a string longer than any key
    // stands in when there is no successor.
    std::string upper(prefix);
    while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) {
      upper.pop_back();
    }
    if (upper.empty()) {
      upper.assign(kMaxKeyBytes + 1, '\xff');
    } else {
      upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
    }
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kResourceList, {prefix, upper}));
    for (const auto& row : rows.rows) {
      COCOON_ASSIGN_OR_RETURN(std::string path, RowReader(row).bytes());
      paths.push_back(std::move(path));
    }
    return paths;
  }

  Status putPolicy(PolicyKind kind, std::string_view id, std::string_view body) override {
    COCOON_TRY(checkKey("policy id", id));
    COCOON_TRY(
        checkValue(fmt::format("{} policy '{}'", kindName(kind), printable(id)), body.size()));
    COCOON_TRY(run(Stmt::kPolicyPut, {static_cast<std::int64_t>(kind), id, body}));
    return okStatus();
  }

  Result<std::string> getPolicy(PolicyKind kind, std::string_view id) override {
    COCOON_TRY(checkKey("policy id", id));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows,
                            run(Stmt::kPolicyGet, {static_cast<std::int64_t>(kind), id}));
    if (rows.rows.empty()) {
      return fail(Code::kNotFound, "no {} policy '{}'", kindName(kind), printable(id));
    }
    return RowReader(rows.rows[0]).bytes();
  }

  Status registerReferenceValues(std::string_view name, const std::vector<ReferenceValue>& values,
                                 ReferenceValueMode mode) override {
    COCOON_TRY(checkKey("reference value name", name));
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::size_t size = values[i].value.size();
      if (size == 0 || size > kMaxReferenceValueBytes) {
        return fail(Code::kInvalidArgument,
                    "reference value #{} of '{}' is {} bytes; expected 1 to {}", i, printable(name),
                    size, kMaxReferenceValueBytes);
      }
    }
    return source_->run([&](SqlConnection& c) {
      return inTransaction(c, false, [&]() -> Status {
        if (mode == ReferenceValueMode::kReplace) {
          COCOON_TRY(exec(c, Stmt::kRefValueDeleteName, {name}));
        }
        for (const auto& v : values) {
          COCOON_TRY(exec(c, Stmt::kRefValueUpsert, {name, v.value, optionalMillis(v.expires_at)}));
        }
        return okStatus();
      });
    });
  }

  Result<std::vector<ReferenceValue>> getReferenceValues(std::string_view name) override {
    COCOON_TRY(checkKey("reference value name", name));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kRefValueGet, {name, toMillis(now())}));
    std::vector<ReferenceValue> values;
    for (const auto& row : rows.rows) {
      RowReader reader(row);
      COCOON_ASSIGN_OR_RETURN(ReferenceValue v, readReferenceValue(reader));
      values.push_back(std::move(v));
    }
    return values;
  }

  Result<std::map<std::string, std::vector<ReferenceValue>>> listReferenceValues() override {
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kRefValueList, {toMillis(now())}));
    std::map<std::string, std::vector<ReferenceValue>> all;
    for (const auto& row : rows.rows) {
      RowReader reader(row);
      COCOON_ASSIGN_OR_RETURN(std::string name, reader.bytes());
      COCOON_ASSIGN_OR_RETURN(ReferenceValue v, readReferenceValue(reader));
      all[name].push_back(std::move(v));
    }
    return all;
  }

  Status deleteReferenceValues(std::string_view name) override {
    COCOON_TRY(checkKey("reference value name", name));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kRefValueDeleteName, {name}));
    if (rows.changes == 0) {
      return fail(Code::kNotFound, "no reference values named '{}'", printable(name));
    }
    return okStatus();
  }

  Status createSession(const Session& s) override {
    COCOON_TRY(checkKey("session id", s.id));
    COCOON_TRY(checkKey("session nonce", s.nonce));
    COCOON_TRY(checkKey("session tee", s.tee));
    if (s.state != SessionState::kChallenged || !s.token.empty() || !s.tee_pubkey_jwk.empty()) {
      return fail(Code::kInvalidArgument,
                  "a new session must be a challenge without a token or a tee-pubkey");
    }
    auto inserted = run(Stmt::kSessionInsert,
                        {s.id, s.nonce, s.tee, toMillis(s.created_at), toMillis(s.expires_at)});
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return fail(Code::kAlreadyExists, "a session with this id or nonce is already stored");
    }
    COCOON_TRY(inserted);
    return okStatus();
  }

  Result<Session> getSession(std::string_view id) override {
    COCOON_TRY(checkKey("session id", id));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kSessionGet, {id, toMillis(now())}));
    if (rows.rows.empty()) {
      return fail(Code::kNotFound, "no live session with this id");
    }
    RowReader reader(rows.rows[0]);
    Session s;
    s.id = std::string(id);
    COCOON_ASSIGN_OR_RETURN(s.nonce, reader.bytes());
    COCOON_ASSIGN_OR_RETURN(s.tee, reader.bytes());
    COCOON_ASSIGN_OR_RETURN(std::int64_t created_at, reader.integer());
    COCOON_ASSIGN_OR_RETURN(std::int64_t expires_at, reader.integer());
    COCOON_ASSIGN_OR_RETURN(std::int64_t state, reader.integer());
    COCOON_ASSIGN_OR_RETURN(s.token, reader.optionalBytes());
    COCOON_ASSIGN_OR_RETURN(s.tee_pubkey_jwk, reader.optionalBytes());
    if (state != 0 && state != 1) {
      return fail(Code::kDataLoss, "stored session state is {}; expected 0 or 1", state);
    }
    s.created_at = fromMillis(created_at);
    s.expires_at = fromMillis(expires_at);
    s.state = static_cast<SessionState>(state);
    return s;
  }

  Status markSessionAttested(std::string_view id, std::string_view token,
                             std::string_view tee_pubkey_jwk, TimePoint expires_at) override {
    COCOON_TRY(checkKey("session id", id));
    COCOON_TRY(checkValue("attestation token", token.size()));
    COCOON_TRY(checkValue("tee-pubkey JWK", tee_pubkey_jwk.size()));
    const std::int64_t now_ms = toMillis(now());
    return source_->run([&](SqlConnection& c) -> Status {
      COCOON_ASSIGN_OR_RETURN(
          SqlRows updated,
          exec(c, Stmt::kSessionAttest, {id, token, tee_pubkey_jwk, toMillis(expires_at), now_ms}));
      if (updated.changes == 1) {
        return okStatus();
      }
      // Not changed: say why, so a replayed answer is told apart from a stale cookie.
      COCOON_ASSIGN_OR_RETURN(SqlRows state, exec(c, Stmt::kSessionState, {id, now_ms}));
      if (state.rows.empty()) {
        return fail(Code::kNotFound, "no live session with this id");
      }
      COCOON_ASSIGN_OR_RETURN(std::int64_t value, RowReader(state.rows[0]).integer());
      if (value == static_cast<std::int64_t>(SessionState::kAttested)) {
        return fail(Code::kFailedPrecondition,
                    "session is already attested: its challenge can be answered only once");
      }
      return fail(Code::kAborted, "session changed while it was being attested");
    });
  }

  Status deleteSession(std::string_view id) override {
    COCOON_TRY(checkKey("session id", id));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kSessionDelete, {id}));
    if (rows.changes == 0) {
      return fail(Code::kNotFound, "no session with this id");
    }
    return okStatus();
  }

  Result<std::uint64_t> countLiveSessions() override {
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, run(Stmt::kSessionCount, {toMillis(now())}));
    if (rows.rows.empty()) {
      return fail(Code::kInternal, "count(*) returned no row");
    }
    COCOON_ASSIGN_OR_RETURN(std::int64_t count, RowReader(rows.rows[0]).integer());
    return static_cast<std::uint64_t>(count);
  }

  Result<SweepCounts> sweepExpired() override {
    const std::int64_t now_ms = toMillis(now());
    SweepCounts counts;
    COCOON_TRY(source_->run([&](SqlConnection& c) {
      return inTransaction(c, false, [&]() -> Status {
        COCOON_ASSIGN_OR_RETURN(SqlRows sessions, exec(c, Stmt::kSessionSweep, {now_ms}));
        COCOON_ASSIGN_OR_RETURN(SqlRows values, exec(c, Stmt::kRefValueSweep, {now_ms}));
        counts = {sessions.changes, values.changes};
        return okStatus();
      });
    }));
    return counts;
  }

 private:
  TimePoint now() const {
    return options_.clock ? options_.clock() : std::chrono::system_clock::now();
  }

  Status checkValue(std::string_view what, std::size_t size) const {
    if (size > options_.max_value_bytes) {
      return fail(Code::kResourceExhausted, "{} is {} bytes, more than the limit of {}", what, size,
                  options_.max_value_bytes);
    }
    return okStatus();
  }

  Result<SqlRows> run(Stmt stmt, std::initializer_list<SqlParam> params) {
    SqlRows out;
    COCOON_TRY(source_->run([&](SqlConnection& c) -> Status {
      COCOON_ASSIGN_OR_RETURN(out, exec(c, stmt, params));
      return okStatus();
    }));
    return out;
  }

  std::unique_ptr<ConnectionSource> source_;
  StoreOptions options_;
};

}  // namespace

Status migrateSchema(SqlConnection& connection) {
  return inTransaction(connection, true, [&]() -> Status {
    COCOON_TRY(connection.executeScript(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"));
    COCOON_ASSIGN_OR_RETURN(SqlRows rows, exec(connection, Stmt::kSchemaVersionGet, {}));
    std::int64_t current = 0;
    if (!rows.rows.empty()) {
      COCOON_ASSIGN_OR_RETURN(std::optional<std::int64_t> v,
                              RowReader(rows.rows[0]).optionalInteger());
      current = v.value_or(0);
    }
    if (current < 0 || current > kSchemaVersion) {
      return fail(Code::kFailedPrecondition,
                  "database schema version is {}; this build knows versions 0 to {}", current,
                  kSchemaVersion);
    }
    for (std::int64_t v = current; v < kSchemaVersion; ++v) {
      COCOON_TRY(withContext(connection.executeScript(migrationScript(v, connection.dialect())),
                             fmt::format("migrating the schema to version {}", v + 1)));
      COCOON_TRY(exec(connection, Stmt::kSchemaVersionAdd, {v + 1}));
    }
    return okStatus();
  });
}

std::unique_ptr<KbsStore> makeSqlStore(std::unique_ptr<ConnectionSource> source,
                                       StoreOptions options) {
  return std::make_unique<SqlStore>(std::move(source), std::move(options));
}

}  // namespace cocoon::kbs::store::sql

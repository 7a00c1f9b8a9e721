// SPDX-License-Identifier: Apache-2.0
// The text of every statement the store runs, valid in both SQLite and PostgreSQL.
#include <array>

#include <fmt/format.h>

#include "kbs/store/sql/connection.h"

namespace cocoon::kbs::store::sql {
namespace {

// In Stmt order. Values are only ever bound as parameters, never spliced into the text.
constexpr std::array<std::string_view, kStmtCount> kStatements = {
    "SELECT max(version) FROM schema_version",
    "INSERT INTO schema_version (version) VALUES (?1)",
    "INSERT INTO resources (path, value) VALUES (?1, ?2) "
    "ON CONFLICT (path) DO UPDATE SET value = excluded.value",
    "SELECT value FROM resources WHERE path = ?1",
    "DELETE FROM resources WHERE path = ?1",
    "SELECT path FROM resources WHERE path >= ?1 AND path < ?2 ORDER BY path",
    "INSERT INTO policies (kind, id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
    "SELECT body FROM policies WHERE kind = ?1 AND id = ?2",
    "DELETE FROM reference_values WHERE name = ?1",
    "INSERT INTO reference_values (name, value, expires_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (name, value) DO UPDATE SET expires_at = excluded.expires_at",
    "SELECT value, expires_at FROM reference_values "
    "WHERE name = ?1 AND (expires_at IS NULL OR expires_at > ?2) ORDER BY seq",
    "SELECT name, value, expires_at FROM reference_values "
    "WHERE expires_at IS NULL OR expires_at > ?1 ORDER BY name, seq",
    "DELETE FROM reference_values WHERE expires_at <= ?1",
    "INSERT INTO sessions (id, nonce, tee, created_at, expires_at, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0)",
    "SELECT nonce, tee, created_at, expires_at, state, token, tee_pubkey FROM sessions "
    "WHERE id = ?1 AND expires_at > ?2",
    // The replay guard: only a live, still challenged session matches, and the row lock
    // (PostgreSQL) or the write lock (SQLite) lets exactly one concurrent caller change it.
    "UPDATE sessions SET state = 1, token = ?2, tee_pubkey = ?3, expires_at = ?4 "
    "WHERE id = ?1 AND state = 0 AND expires_at > ?5",
    "SELECT state FROM sessions WHERE id = ?1 AND expires_at > ?2",
    "DELETE FROM sessions WHERE id = ?1",
    "SELECT count(*) FROM sessions WHERE expires_at > ?1",
    "DELETE FROM sessions WHERE expires_at <= ?1",
};

// Version 1. Every name and value column is a binary string, so whatever bytes a caller
// stores come back unchanged (PostgreSQL text would refuse NUL and invalid UTF-8).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE resources (
  path {bytes} PRIMARY KEY NOT NULL,
  value {bytes} NOT NULL);
CREATE TABLE policies (
  kind {int} NOT NULL,
  id {bytes} NOT NULL,
  body {bytes} NOT NULL,
  PRIMARY KEY (kind, id));
CREATE TABLE reference_values (
  seq {serial},
  name {bytes} NOT NULL,
  value {bytes} NOT NULL,
  expires_at {int},
  UNIQUE (name, value));
CREATE INDEX reference_values_by_expiry ON reference_values (expires_at);
CREATE TABLE sessions (
  id {bytes} PRIMARY KEY NOT NULL,
  nonce {bytes} NOT NULL UNIQUE,
  tee {bytes} NOT NULL,
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  state {int} NOT NULL,
  token {bytes},
  tee_pubkey {bytes});
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
)sql";

}  // namespace

std::string migrationScript(std::int64_t from, const SqlDialect& dialect) {
  (void)from;  // one version so far; later ones switch on `from`
  return fmt::format(fmt::runtime(kSchemaV1), fmt::arg("bytes", dialect.bytes_type),
                     fmt::arg("int", dialect.integer_type), fmt::arg("serial", dialect.serial_key));
}

std::string_view statementSql(Stmt stmt) {
  return kStatements.at(static_cast<std::size_t>(stmt));
}

}  // namespace cocoon::kbs::store::sql

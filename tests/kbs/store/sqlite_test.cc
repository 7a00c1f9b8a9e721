// SPDX-License-Identifier: Apache-2.0
// What only the SQLite store does: its file (mode, WAL), corruption, schema versions.
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "kbs/store/store_fixture.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

namespace fs = std::filesystem;
using test::expectError;

class SqliteStoreTest : public StoreTest {
 protected:
  fs::path file() const { return dir().path() / "kbs.db"; }
};
INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteStoreTest, ::testing::Values(Backend::kSqlite), backendName);

mode_t modeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Runs SQL on the file with the SQLite library directly, as another program would.
void runSql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The first column of the first row of a query, read as another program would.
std::string queryOne(const fs::path& file, const std::string& sql) {
  std::string answer;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &answer, nullptr);
  sqlite3_close(db);
  return answer;
}

TEST_P(SqliteStoreTest, DatabaseAndWalFilesAreOwnerOnly) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("secret")));
  EXPECT_EQ(modeOf(file()), 0600U);
  EXPECT_EQ(modeOf(fs::path(file().string() + "-wal")), 0600U);
}

TEST_P(SqliteStoreTest, ExistingFileIsTightenedTo0600) {
  store_.reset();
  ASSERT_EQ(::chmod(file().c_str(), 0644), 0);
  ASSERT_NE(open(), nullptr);
  EXPECT_EQ(modeOf(file()), 0600U);
}

TEST_P(SqliteStoreTest, UsesWriteAheadLogging) {
  EXPECT_EQ(queryOne(file(), "PRAGMA journal_mode"), "wal");
}

TEST_P(SqliteStoreTest, FileThatIsNotADatabaseIsDataLossNamingTheFile) {
  store_.reset();
  const fs::path garbage = dir().path() / "garbage.db";
  std::ofstream(garbage) << std::string(8192, 'x');
  auto opened = openSqliteStore(garbage);
  expectError(opened, Code::kDataLoss, garbage.string());
  EXPECT_THAT(opened.error().message, ::testing::HasSubstr("file is not a database"));
}

TEST_P(SqliteStoreTest, CorruptedSchemaPageIsDataLossNamingTheFile) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("v")));
  store_.reset();
  // Page 1 holds the schema after the 100-byte file header; overwrite the b-tree page
  // header and cell pointers (the file header stays valid, so this is a corrupt database).
  std::fstream f(file(), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f << std::string(200, '\x7f');
  f.close();
  ASSERT_TRUE(fs::remove(fs::path(file().string() + "-wal")) ||
              !fs::exists(fs::path(file().string() + "-wal")));
  auto opened = openSqliteStore(file());
  expectError(opened, Code::kDataLoss, file().string());
}

TEST_P(SqliteStoreTest, MissingDirectoryIsNotFound) {
  expectError(openSqliteStore(dir().path() / "no" / "kbs.db"), Code::kNotFound,
              (dir().path() / "no" / "kbs.db").string());
}

TEST_P(SqliteStoreTest, DirectoryOrEmptyPathIsInvalidArgument) {
  expectError(openSqliteStore(dir().path()), Code::kInvalidArgument, dir().path().string());
  expectError(openSqliteStore(""), Code::kInvalidArgument, "SQLite store path is empty");
}

TEST_P(SqliteStoreTest, SchemaNewerThanThisBuildIsFailedPrecondition) {
  store_.reset();
  runSql(file(), "INSERT INTO schema_version (version) VALUES (99)");
  auto opened = openSqliteStore(file());
  expectError(opened, Code::kFailedPrecondition, "database schema version is 99");
  EXPECT_THAT(opened.error().toString(), ::testing::HasSubstr(file().string()));
}

TEST_P(SqliteStoreTest, ReopenDoesNotMigrateTwice) {
  store_.reset();
  ASSERT_NE(open(), nullptr);
  ASSERT_NE(open(), nullptr);
  EXPECT_EQ(queryOne(file(), "SELECT group_concat(version) FROM schema_version"), "1");
}

TEST_P(SqliteStoreTest, OpenStoreAcceptsSqliteUrlsAndBarePaths) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("v")));
  for (const std::string& url : {"sqlite://" + file().string(), file().string()}) {
    auto opened = openStore(url);
    ASSERT_TRUE(opened) << opened.error().toString();
    EXPECT_EQ(*(*opened)->getResource("a/b/c"), toBytes("v"));
  }
}

}  // namespace
}  // namespace cocoon::kbs::store

// SPDX-License-Identifier: Apache-2.0
// The fixture every store test runs under, once per database: a fresh SQLite file or a
// fresh database on one PostgreSQL server per test suite, a fake clock, store objects.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/files.h"
#include "kbs/store/store.h"
#include "support/postgres.h"

namespace cocoon::kbs::store {

enum class Backend { kSqlite, kPostgres };

std::string backendName(const ::testing::TestParamInfo<Backend>& info);
void PrintTo(Backend backend, std::ostream* out);

// A clock that moves only when told to; safe to read from any thread.
class FakeClock {
 public:
  TimePoint now() const { return TimePoint(std::chrono::milliseconds(ms_.load())); }
  void set(TimePoint t) {
    ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_{1'700'000'000'000};  // 2023-11-14, a whole millisecond
};

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() { postgres_.reset(); }
  void SetUp() override;

  // A new store object on this test's database (each call: a new connection / pool).
  std::unique_ptr<KbsStore> open(StoreOptions options = {});
  // The URL openStore takes for this test's database.
  const std::string& url() const { return url_; }
  KbsStore& store() { return *store_; }
  const TempDir& dir() const { return *dir_; }
  const test::PostgresServer& postgres() const { return *postgres_; }

  FakeClock clock_;
  std::unique_ptr<KbsStore> store_;

 private:
  static std::unique_ptr<test::PostgresServer> postgres_;
  std::optional<TempDir> dir_;
  std::string url_;
};

}  // namespace cocoon::kbs::store

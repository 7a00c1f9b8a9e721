// SPDX-License-Identifier: Apache-2.0
// The per-database fixture of the store tests.
#include "kbs/store/store_fixture.h"

#include <fmt/format.h>

namespace cocoon::kbs::store {

std::unique_ptr<test::PostgresServer> StoreTest::postgres_;

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kSqlite ? "sqlite" : "postgres");
}

void StoreTest::SetUp() {
  auto dir = TempDir::create("kbs-store-test");
  ASSERT_TRUE(dir) << dir.error().toString();
  dir_.emplace(std::move(*dir));
  if (GetParam() == Backend::kSqlite) {
    url_ = "sqlite://" + (dir_->path() / "kbs.db").string();
  } else {
    if (!postgres_) {
      // initdb runs once per build tree; each test process copies that template cluster.
      auto server = test::PostgresServer::start(COCOON_BINARY_DIR "/pg-template");
      if (!server && server.error().code == Code::kFailedPrecondition) {
        GTEST_SKIP() << server.error().toString();
      }
      ASSERT_TRUE(server) << server.error().toString();
      postgres_ = std::move(*server);
    }
    // A fresh database per test; the name is unique within this server's life.
    static int database_count = 0;
    auto created = postgres_->createDatabase(fmt::format("kbs_{}", ++database_count));
    ASSERT_TRUE(created) << created.error().toString();
    url_ = *created;
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
}

std::unique_ptr<KbsStore> StoreTest::open(StoreOptions options) {
  if (!options.clock) {
    options.clock = [this] { return clock_.now(); };
  }
  auto opened = openStore(url_, std::move(options));
  EXPECT_TRUE(opened) << opened.error().toString();
  return opened ? std::move(*opened) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace cocoon::kbs::store

// SPDX-License-Identifier: Apache-2.0
// What only the PostgreSQL store does: reconnecting, the pool, concurrent migration.
#include <thread>
#include <vector>

#include "kbs/store/store_fixture.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

using test::expectError;

class PostgresStoreTest : public StoreTest {
 protected:
  std::string database() const {
    const std::string& u = url();
    const std::size_t start = u.find("@/") + 2;
    return u.substr(start, u.find('?') - start);
  }
};
INSTANTIATE_TEST_SUITE_P(Postgres, PostgresStoreTest, ::testing::Values(Backend::kPostgres),
                         backendName);

TEST_P(PostgresStoreTest, ReconnectsOnceWhenTheServerDroppedTheConnection) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("v")));
  ASSERT_TRUE(postgres().execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database() +
      "' AND pid <> pg_backend_pid()"));
  auto got = store().getResource("a/b/c");
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(*got, toBytes("v"));
  EXPECT_TRUE(store().putResource("a/b/d", asBytes("w")));
}

TEST_P(PostgresStoreTest, OpenStoreAcceptsBothPostgresSchemes) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("v")));
  ASSERT_TRUE(url().starts_with("postgresql://"));
  auto opened = openStore("postgres://" + url().substr(std::string_view("postgresql://").size()));
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_EQ(*(*opened)->getResource("a/b/c"), toBytes("v"));
}

TEST_P(PostgresStoreTest, PoolOfOneServesManyThreads) {
  auto one = open({.pool_size = 1});
  ASSERT_NE(one, nullptr);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string path = "r/" + std::to_string(t) + "/" + std::to_string(i);
        failures[t] += one->putResource(path, asBytes("v")) && one->getResource(path) ? 0 : 1;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  EXPECT_EQ(store().listResources()->size(), 40U);
}

TEST_P(PostgresStoreTest, ReplicasOpeningAnEmptyDatabaseTogetherMigrateOnce) {
  auto fresh = postgres().createDatabase(database() + "_fresh");
  ASSERT_TRUE(fresh) << fresh.error().toString();
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<KbsStore>> replicas(4);
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    threads.emplace_back([&, i] {
      auto opened = openStore(*fresh);
      if (opened) {
        replicas[i] = std::move(*opened);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& replica : replicas) {
    ASSERT_NE(replica, nullptr);
  }
  ASSERT_TRUE(replicas[0]->putResource("a/b/c", asBytes("v")));
  EXPECT_EQ(*replicas[3]->getResource("a/b/c"), toBytes("v"));
}

TEST_P(PostgresStoreTest, SchemaNewerThanThisBuildIsFailedPrecondition) {
  store_.reset();
  ASSERT_TRUE(postgres().execute("INSERT INTO schema_version (version) VALUES (99)", database()));
  auto opened = openStore(url());
  expectError(opened, Code::kFailedPrecondition, "database schema version is 99");
}

TEST_P(PostgresStoreTest, UnreachableServerIsUnavailableAndHidesThePassword) {
  auto opened = openStore("postgresql://kbs:hunter2@/kbs?host=/nonexistent-dir&port=1");
  expectError(opened, Code::kUnavailable, "postgresql://kbs:***@/kbs");
  EXPECT_EQ(opened.error().toString().find("hunter2"), std::string::npos);
}

TEST_P(PostgresStoreTest, MalformedUrlIsInvalidArgument) {
  expectError(openStore("postgresql://kbs:pw@/kbs?notakey=1"), Code::kInvalidArgument,
              "libpq cannot parse the URL");
  expectError(openStore(url(), {.pool_size = 0}), Code::kInvalidArgument, "pool size is 0");
}

}  // namespace
}  // namespace cocoon::kbs::store

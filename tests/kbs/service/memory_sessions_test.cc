// SPDX-License-Identifier: Apache-2.0
// withMemorySessions over a real SQLite store: cached policies and reference values follow
// the writes made through it and the clock, and sessions keep the store's contract.
#include "kbs/memory_sessions.h"

#include <atomic>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::kbs {
namespace {

using std::chrono::minutes;
using store::PolicyKind;
using store::ReferenceValue;
using store::ReferenceValueMode;
using store::TimePoint;
using test::expectError;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class MemorySessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("cocoon-memsessions");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    url_ = "sqlite://" + (dir_->path() / "kbs.db").string();
    store_ = withMemorySessions(openInner(), [this] { return now(); });
  }

  // Another store object on the same file: it writes behind the decorator's back.
  std::unique_ptr<store::KbsStore> openInner() {
    store::StoreOptions options;
    options.clock = [this] { return now(); };
    auto opened = store::openStore(url_, std::move(options));
    EXPECT_TRUE(opened) << opened.error().toString();
    return opened ? std::move(*opened) : nullptr;
  }

  TimePoint now() const { return TimePoint(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

  std::atomic<std::int64_t> ms_{1'700'000'000'000};
  std::optional<TempDir> dir_;
  std::string url_;
  std::unique_ptr<store::KbsStore> store_;
};

TEST_F(MemorySessionsTest, PolicyWrittenThroughItReplacesTheCachedOne) {
  expectError(store_->getPolicy(PolicyKind::kAttestation, "default"), Code::kNotFound);
  ASSERT_TRUE(store_->putPolicy(PolicyKind::kAttestation, "default", "first"));
  EXPECT_EQ(*store_->getPolicy(PolicyKind::kAttestation, "default"), "first");
  ASSERT_TRUE(store_->putPolicy(PolicyKind::kAttestation, "default", "second"));
  EXPECT_EQ(*store_->getPolicy(PolicyKind::kAttestation, "default"), "second");
  // The kinds are separate entries.
  expectError(store_->getPolicy(PolicyKind::kResource, "default"), Code::kNotFound);
}

TEST_F(MemorySessionsTest, PolicyIsServedFromMemoryAfterTheFirstRead) {
  ASSERT_TRUE(store_->putPolicy(PolicyKind::kResource, "resource", "cached"));
  EXPECT_EQ(*store_->getPolicy(PolicyKind::kResource, "resource"), "cached");
  // A write that bypasses the decorator is not seen: the documented single-owner rule.
  auto other = openInner();
  ASSERT_TRUE(other->putPolicy(PolicyKind::kResource, "resource", "behind its back"));
  EXPECT_EQ(*store_->getPolicy(PolicyKind::kResource, "resource"), "cached");
  EXPECT_EQ(*other->getPolicy(PolicyKind::kResource, "resource"), "behind its back");
}

TEST_F(MemorySessionsTest, BadPolicyIdIsRefusedAndNotCached) {
  expectError(store_->getPolicy(PolicyKind::kAttestation, ""), Code::kInvalidArgument);
  expectError(store_->getPolicy(PolicyKind::kAttestation, ""), Code::kInvalidArgument);
}

TEST_F(MemorySessionsTest, ReferenceValueWritesReplaceTheCachedList) {
  EXPECT_THAT(*store_->listReferenceValues(), IsEmpty());
  ASSERT_TRUE(store_->registerReferenceValues("svn", {{"1"}}, ReferenceValueMode::kAppend));
  EXPECT_THAT(store_->listReferenceValues()->at("svn"), ElementsAre(ReferenceValue{"1"}));
  ASSERT_TRUE(store_->registerReferenceValues("svn", {{"2"}}, ReferenceValueMode::kAppend));
  EXPECT_THAT(store_->listReferenceValues()->at("svn"),
              ElementsAre(ReferenceValue{"1"}, ReferenceValue{"2"}));
  ASSERT_TRUE(store_->deleteReferenceValues("svn"));
  EXPECT_THAT(*store_->listReferenceValues(), IsEmpty());
}

TEST_F(MemorySessionsTest, CachedReferenceValuesExpireWithTheClock) {
  const TimePoint expiry = now() + minutes(5);
  ASSERT_TRUE(store_->registerReferenceValues("mr_td", {{"old", expiry}, {"forever"}},
                                              ReferenceValueMode::kAppend));
  ASSERT_TRUE(
      store_->registerReferenceValues("gone", {{"x", expiry}}, ReferenceValueMode::kAppend));
  ASSERT_EQ(store_->listReferenceValues()->size(), 2U);  // fills the cache
  advance(minutes(5) - std::chrono::milliseconds(1));
  EXPECT_THAT(store_->listReferenceValues()->at("mr_td"),
              ElementsAre(ReferenceValue{"old", expiry}, ReferenceValue{"forever"}));
  advance(std::chrono::milliseconds(1));  // expiry is exclusive, as in the store
  const auto all = *store_->listReferenceValues();
  ASSERT_EQ(all.size(), 1U);  // a name whose values all expired is gone
  EXPECT_THAT(all.at("mr_td"), ElementsAre(ReferenceValue{"forever"}));
  EXPECT_EQ(store_->sweepExpired()->reference_values, 2U);
  EXPECT_THAT(store_->listReferenceValues()->at("mr_td"), ElementsAre(ReferenceValue{"forever"}));
}

TEST_F(MemorySessionsTest, ChallengeCanBeAnsweredOnlyOnce) {
  store::Session s;
  s.id = "id-1";
  s.nonce = "nonce-1";
  s.tee = "sample";
  s.created_at = now();
  s.expires_at = now() + minutes(5);
  ASSERT_TRUE(store_->createSession(s));
  expectError(store_->createSession(s), Code::kAlreadyExists);
  ASSERT_TRUE(store_->markSessionAttested("id-1", "token", "{}", now() + minutes(5)));
  expectError(store_->markSessionAttested("id-1", "token", "{}", now() + minutes(5)),
              Code::kFailedPrecondition);
  EXPECT_EQ(store_->getSession("id-1")->state, store::SessionState::kAttested);
  advance(minutes(5));
  expectError(store_->getSession("id-1"), Code::kNotFound);
}

}  // namespace
}  // namespace cocoon::kbs

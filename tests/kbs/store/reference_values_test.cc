// SPDX-License-Identifier: Apache-2.0
// Reference values on both databases: append, replace, expiry with a fake clock, sweep.
#include "kbs/store/store_fixture.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

using std::chrono::minutes;
using test::expectError;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_P(StoreTest, AppendKeepsRegistrationOrderAndUpdatesTheExpiryOfKnownValues) {
  const TimePoint later = clock_.now() + minutes(10);
  ASSERT_TRUE(store().registerReferenceValues("svn", {{"3"}, {"1"}}, ReferenceValueMode::kAppend));
  ASSERT_TRUE(
      store().registerReferenceValues("svn", {{"2"}, {"3", later}}, ReferenceValueMode::kAppend));
  EXPECT_THAT(*store().getReferenceValues("svn"),
              ElementsAre(ReferenceValue{"3", later}, ReferenceValue{"1"}, ReferenceValue{"2"}));
}

TEST_P(StoreTest, ReplaceMakesTheListTheOnlyValuesAndAnEmptyListRemovesTheName) {
  ASSERT_TRUE(store().registerReferenceValues("pcr0", {{"a"}, {"b"}}, ReferenceValueMode::kAppend));
  ASSERT_TRUE(store().registerReferenceValues("pcr0", {{"c"}}, ReferenceValueMode::kReplace));
  EXPECT_THAT(*store().getReferenceValues("pcr0"), ElementsAre(ReferenceValue{"c"}));
  ASSERT_TRUE(store().registerReferenceValues("pcr0", {}, ReferenceValueMode::kReplace));
  EXPECT_THAT(*store().getReferenceValues("pcr0"), IsEmpty());
  EXPECT_THAT(*store().listReferenceValues(), IsEmpty());
}

TEST_P(StoreTest, UnknownNameHasNoValues) {
  EXPECT_THAT(*store().getReferenceValues("never-registered"), IsEmpty());
}

TEST_P(StoreTest, ExpiredReferenceValuesAreNotReturned) {
  const TimePoint expiry = clock_.now() + minutes(5);
  ASSERT_TRUE(store().registerReferenceValues("mr_td", {{"old", expiry}, {"forever"}},
                                              ReferenceValueMode::kAppend));
  clock_.advance(minutes(5) - std::chrono::milliseconds(1));
  EXPECT_THAT(*store().getReferenceValues("mr_td"),
              ElementsAre(ReferenceValue{"old", expiry}, ReferenceValue{"forever"}));
  clock_.advance(std::chrono::milliseconds(1));  // expiry is exclusive: now == expires_at
  EXPECT_THAT(*store().getReferenceValues("mr_td"), ElementsAre(ReferenceValue{"forever"}));
  EXPECT_THAT(store().listReferenceValues()->at("mr_td"), ElementsAre(ReferenceValue{"forever"}));
}

TEST_P(StoreTest, ListReferenceValuesGroupsUnexpiredValuesByName) {
  ASSERT_TRUE(store().registerReferenceValues("b", {{"1"}, {"2"}}, ReferenceValueMode::kAppend));
  ASSERT_TRUE(store().registerReferenceValues("a", {{"x"}}, ReferenceValueMode::kAppend));
  ASSERT_TRUE(store().registerReferenceValues("gone", {{"y", clock_.now() + minutes(1)}},
                                              ReferenceValueMode::kAppend));
  clock_.advance(minutes(2));
  const auto all = *store().listReferenceValues();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_THAT(all.at("a"), ElementsAre(ReferenceValue{"x"}));
  EXPECT_THAT(all.at("b"), ElementsAre(ReferenceValue{"1"}, ReferenceValue{"2"}));
}

TEST_P(StoreTest, DeleteReferenceValuesRemovesTheNameAndThenIsNotFound) {
  ASSERT_TRUE(store().registerReferenceValues("n", {{"v"}}, ReferenceValueMode::kAppend));
  ASSERT_TRUE(store().deleteReferenceValues("n"));
  EXPECT_THAT(*store().getReferenceValues("n"), IsEmpty());
  expectError(store().deleteReferenceValues("n"), Code::kNotFound, "no reference values named 'n'");
}

TEST_P(StoreTest, RejectsBadReferenceValuesAndWritesNoneOfTheBatch) {
  expectError(store().registerReferenceValues("n", {{"ok"}, {""}}, ReferenceValueMode::kAppend),
              Code::kInvalidArgument, "reference value #1 of 'n' is 0 bytes; expected 1 to 1024");
  expectError(
      store().registerReferenceValues("n", {{std::string(kMaxReferenceValueBytes + 1, 'v')}},
                                      ReferenceValueMode::kAppend),
      Code::kInvalidArgument, "reference value #0 of 'n' is 1025 bytes");
  expectError(store().registerReferenceValues("", {{"v"}}, ReferenceValueMode::kAppend),
              Code::kInvalidArgument, "reference value name is empty");
  EXPECT_THAT(*store().getReferenceValues("n"), IsEmpty());
}

TEST_P(StoreTest, SweepDeletesExpiredSessionsAndReferenceValuesOnly) {
  const TimePoint soon = clock_.now() + minutes(1);
  ASSERT_TRUE(store().registerReferenceValues("n", {{"short", soon}, {"long"}},
                                              ReferenceValueMode::kAppend));
  ASSERT_TRUE(
      store().createSession({.id = "s1", .nonce = "n1", .tee = "sample", .expires_at = soon}));
  ASSERT_TRUE(store().createSession(
      {.id = "s2", .nonce = "n2", .tee = "sample", .expires_at = soon + minutes(10)}));
  auto nothing = store().sweepExpired();
  ASSERT_TRUE(nothing) << nothing.error().toString();
  EXPECT_EQ(nothing->sessions, 0U);
  EXPECT_EQ(nothing->reference_values, 0U);
  EXPECT_EQ(*store().countLiveSessions(), 2U);

  clock_.advance(minutes(1));
  auto swept = store().sweepExpired();
  ASSERT_TRUE(swept) << swept.error().toString();
  EXPECT_EQ(swept->sessions, 1U);
  EXPECT_EQ(swept->reference_values, 1U);
  EXPECT_EQ(*store().countLiveSessions(), 1U);
  // A swept session is gone for good, so deleting it now says so.
  expectError(store().deleteSession("s1"), Code::kNotFound);
  EXPECT_TRUE(store().getSession("s2"));
  EXPECT_THAT(*store().getReferenceValues("n"), ElementsAre(ReferenceValue{"long"}));
}

}  // namespace
}  // namespace cocoon::kbs::store

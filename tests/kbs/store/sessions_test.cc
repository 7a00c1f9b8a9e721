// SPDX-License-Identifier: Apache-2.0
// Sessions on both databases: round trip, expiry, the one-way attested transition under
// concurrency and across store objects (replicas).
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "kbs/store/store_fixture.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

using std::chrono::minutes;
using test::expectError;

Session challenge(std::string id, TimePoint now) {
  return {.id = id,
          .nonce = "nonce-" + id,
          .tee = "tpm",
          .created_at = now,
          .expires_at = now + minutes(5)};
}

TEST_P(StoreTest, CreatedSessionReadsBackFieldByField) {
  const Session s = challenge("cookie-1", clock_.now());
  ASSERT_TRUE(store().createSession(s));
  auto got = store().getSession("cookie-1");
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(*got, s);
  EXPECT_EQ(got->state, SessionState::kChallenged);
  EXPECT_EQ(*store().countLiveSessions(), 1U);
}

TEST_P(StoreTest, DuplicateSessionIdOrNonceIsAlreadyExists) {
  ASSERT_TRUE(store().createSession(challenge("a", clock_.now())));
  Session same_id = challenge("a", clock_.now());
  same_id.nonce = "another nonce";
  expectError(store().createSession(same_id), Code::kAlreadyExists,
              "a session with this id or nonce is already stored");
  Session same_nonce = challenge("b", clock_.now());
  same_nonce.nonce = "nonce-a";
  expectError(store().createSession(same_nonce), Code::kAlreadyExists);
}

TEST_P(StoreTest, CreateRefusesSessionsThatAreNotFreshChallenges) {
  Session attested = challenge("a", clock_.now());
  attested.state = SessionState::kAttested;
  expectError(store().createSession(attested), Code::kInvalidArgument,
              "a new session must be a challenge");
  Session with_token = challenge("a", clock_.now());
  with_token.token = "eyJ...";
  expectError(store().createSession(with_token), Code::kInvalidArgument);
  Session no_nonce = challenge("a", clock_.now());
  no_nonce.nonce.clear();
  expectError(store().createSession(no_nonce), Code::kInvalidArgument, "session nonce is empty");
  expectError(store().getSession(""), Code::kInvalidArgument, "session id is empty");
}

TEST_P(StoreTest, ExpiredSessionIsNotFoundAndErrorsNeverShowTheId) {
  ASSERT_TRUE(store().createSession(challenge("secret-cookie", clock_.now())));
  clock_.advance(minutes(5));
  auto got = store().getSession("secret-cookie");
  expectError(got, Code::kNotFound, "no live session with this id");
  EXPECT_EQ(got.error().toString().find("secret-cookie"), std::string::npos);
  expectError(store().markSessionAttested("secret-cookie", "t", "{}", clock_.now() + minutes(5)),
              Code::kNotFound);
  EXPECT_EQ(*store().countLiveSessions(), 0U);
}

TEST_P(StoreTest, MarkAttestedStoresTokenKeyAndExpiryAndASecondAnswerIsRefused) {
  ASSERT_TRUE(store().createSession(challenge("s", clock_.now())));
  const TimePoint token_expiry = clock_.now() + minutes(30);
  ASSERT_TRUE(store().markSessionAttested("s", "token-1", R"({"kty":"EC"})", token_expiry));
  auto got = store().getSession("s");
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->state, SessionState::kAttested);
  EXPECT_EQ(got->token, "token-1");
  EXPECT_EQ(got->tee_pubkey_jwk, R"({"kty":"EC"})");
  EXPECT_EQ(got->expires_at, token_expiry);
  // Replaying the answer to the same challenge (the same nonce) fails and changes nothing.
  expectError(store().markSessionAttested("s", "token-2", "{}", token_expiry),
              Code::kFailedPrecondition, "already attested");
  EXPECT_EQ(store().getSession("s")->token, "token-1");
}

TEST_P(StoreTest, MarkAttestedOfUnknownSessionIsNotFoundAndOversizedTokenIsRefused) {
  expectError(store().markSessionAttested("nope", "t", "{}", clock_.now()), Code::kNotFound);
  auto small = open({.max_value_bytes = 8});
  ASSERT_NE(small, nullptr);
  ASSERT_TRUE(small->createSession(challenge("s", clock_.now())));
  expectError(small->markSessionAttested("s", std::string(9, 't'), "{}", clock_.now()),
              Code::kResourceExhausted, "attestation token is 9 bytes");
  EXPECT_EQ(small->getSession("s")->state, SessionState::kChallenged);
}

TEST_P(StoreTest, DeleteSessionRemovesItAndThenIsNotFound) {
  ASSERT_TRUE(store().createSession(challenge("s", clock_.now())));
  ASSERT_TRUE(store().deleteSession("s"));
  expectError(store().getSession("s"), Code::kNotFound);
  expectError(store().deleteSession("s"), Code::kNotFound, "no session with this id");
}

TEST_P(StoreTest, SessionCreatedThroughOneStoreObjectIsAttestedThroughAnother) {
  auto replica = open();
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(store().createSession(challenge("s", clock_.now())));
  ASSERT_TRUE(replica->markSessionAttested("s", "token", "{}", clock_.now() + minutes(5)));
  EXPECT_EQ(store().getSession("s")->state, SessionState::kAttested);
  expectError(store().markSessionAttested("s", "again", "{}", clock_.now() + minutes(5)),
              Code::kFailedPrecondition);
}

// Threads on two store objects race to attest the same sessions: each session is attested
// exactly once, every other attempt sees kFailedPrecondition.
TEST_P(StoreTest, ConcurrentAttestationOfOneSessionSucceedsExactlyOnce) {
  auto replica = open();
  ASSERT_NE(replica, nullptr);
  constexpr std::size_t kSessions = 10;
  constexpr std::size_t kThreads = 6;
  for (std::size_t s = 0; s < kSessions; ++s) {
    ASSERT_TRUE(store().createSession(challenge(fmt::format("s{}", s), clock_.now())));
  }
  std::vector<std::vector<Code>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      KbsStore& target = t % 2 == 0 ? store() : *replica;
      for (std::size_t s = 0; s < kSessions; ++s) {
        auto status = target.markSessionAttested(fmt::format("s{}", s), fmt::format("by {}", t),
                                                 "{}", clock_.now() + minutes(5));
        outcomes[t].push_back(status ? Code::kOk : status.error().code);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (std::size_t s = 0; s < kSessions; ++s) {
    int ok = 0;
    int replayed = 0;
    for (std::size_t t = 0; t < kThreads; ++t) {
      ok += outcomes[t][s] == Code::kOk ? 1 : 0;
      replayed += outcomes[t][s] == Code::kFailedPrecondition ? 1 : 0;
    }
    EXPECT_EQ(ok, 1) << "session " << s;
    EXPECT_EQ(replayed, static_cast<int>(kThreads) - 1) << "session " << s;
    auto got = store().getSession(fmt::format("s{}", s));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->state, SessionState::kAttested);
  }
}

TEST_P(StoreTest, ThreadsCreateAndAttestTheirOwnSessionsConcurrently) {
  constexpr std::size_t kThreads = 4;
  constexpr int kPerThread = 15;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = fmt::format("t{}-{}", t, i);
        const bool ok =
            store().createSession(challenge(id, clock_.now())).has_value() &&
            store().markSessionAttested(id, "token", "{}", clock_.now() + minutes(5)).has_value() &&
            store().getSession(id).has_value();
        failures[t] += ok ? 0 : 1;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  EXPECT_EQ(*store().countLiveSessions(), std::uint64_t{kThreads} * kPerThread);
}

}  // namespace
}  // namespace cocoon::kbs::store

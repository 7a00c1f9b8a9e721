// SPDX-License-Identifier: Apache-2.0
// KbsStore: the key broker's durable state (resources, policies, reference values,
// sessions) behind one interface, kept in SQLite (one file) or PostgreSQL (replicas).
//
// Trust: names and values reach the store from admin requests and from guests' sessions;
// they are bound as binary-safe statement parameters, never spliced into SQL, and capped
// before anything is written.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::kbs::store {

using TimePoint = std::chrono::system_clock::time_point;
// Returns "now"; tests inject a fake. Called from any thread, so it must be thread-safe.
using Clock = std::function<TimePoint()>;

// Longest resource path, policy id, reference-value name, session id, nonce or TEE name.
inline constexpr std::size_t kMaxKeyBytes = 1024;
// Longest single reference value (PostgreSQL indexes name + value together).
inline constexpr std::size_t kMaxReferenceValueBytes = 1024;
inline constexpr std::size_t kDefaultMaxValueBytes = std::size_t{1} << 20;

struct StoreOptions {
  // Cap on a resource value, a policy body, an attestation token and a tee-pubkey JWK.
  std::size_t max_value_bytes = kDefaultMaxValueBytes;
  // Empty: the system clock.
  Clock clock{};
  // PostgreSQL: connections in the pool (>= 1), opened on demand.
  std::size_t pool_size = 4;
  // SQLite: how long a write waits for another process's write lock before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
};

enum class PolicyKind : std::uint8_t {
  kAttestation = 0,  // attestation policies, by id
  kResource = 1,     // the resource policy, under kResourcePolicyId
};
inline constexpr std::string_view kResourcePolicyId = "default";

// A reference value; it stops being returned once the clock reaches expires_at.
struct ReferenceValue {
  std::string value;
  std::optional<TimePoint> expires_at{};
  bool operator==(const ReferenceValue&) const = default;
};

enum class ReferenceValueMode : std::uint8_t {
  kAppend = 0,   // add to the name's values; a value already there gets the new expiry
  kReplace = 1,  // the given list becomes the name's only values
};

// Each session only ever moves challenged -> attested (see markSessionAttested).
enum class SessionState : std::uint8_t { kChallenged = 0, kAttested = 1 };

// One RCAR session. Times are stored with millisecond precision. The id is the session
// cookie, a bearer credential: the store never puts it in an error message.
struct Session {
  std::string id;
  std::string nonce;  // the challenge's nonce; unique among stored sessions
  std::string tee;
  TimePoint created_at{};
  TimePoint expires_at{};
  SessionState state = SessionState::kChallenged;
  std::string token;           // the attestation token once attested, else empty
  std::string tee_pubkey_jwk;  // JWK JSON of the guest's key once attested, else empty
  bool operator==(const Session&) const = default;
};

struct SweepCounts {
  std::uint64_t sessions = 0;
  std::uint64_t reference_values = 0;
};

// The KBS's state. Implementations are safe for concurrent use from many threads without
// external synchronisation, and several store objects (threads, processes or, with
// PostgreSQL, KBS replicas on other hosts) may share one database: every operation is
// atomic, and the session transition to attested happens exactly once across all of them,
// so replicas need no sticky routing.
//
// Errors common to every operation: kUnavailable when the database cannot be reached or
// stays locked, kDataLoss when it is corrupt, kInternal for other database failures;
// messages name the database (a PostgreSQL URL without its password) and never carry
// values, tokens or session ids. PostgreSQL runs an operation once more on a fresh
// connection when its connection broke; should the first attempt's commit have landed
// just before the break, a repeated markSessionAttested answers kFailedPrecondition.
class KbsStore {
 public:
  virtual ~KbsStore() = default;

  // Creates or replaces the resource at `path`, "<repository>/<type>/<tag>" (three
  // non-empty segments, at most kMaxKeyBytes; any bytes but '/' inside a segment).
  // Errors: kInvalidArgument for a bad path, kResourceExhausted past max_value_bytes.
  virtual Status putResource(std::string_view path, ByteSpan value) = 0;
  // Errors: kInvalidArgument for a bad path, kNotFound when there is none.
  virtual Result<Bytes> getResource(std::string_view path) = 0;
  // Errors: kInvalidArgument for a bad path, kNotFound when there is none.
  virtual Status deleteResource(std::string_view path) = 0;
  // The paths that start with `prefix` (byte-wise; empty: all), sorted byte-wise.
  virtual Result<std::vector<std::string>> listResources(std::string_view prefix = {}) = 0;

  // Creates or replaces a policy (its text is opaque here). `id` is 1..kMaxKeyBytes bytes.
  // Errors: kInvalidArgument for a bad id, kResourceExhausted past max_value_bytes.
  virtual Status putPolicy(PolicyKind kind, std::string_view id, std::string_view body) = 0;
  // Errors: kInvalidArgument for a bad id, kNotFound when none was put.
  virtual Result<std::string> getPolicy(PolicyKind kind, std::string_view id) = 0;

  // Registers values under `name` (1..kMaxKeyBytes bytes) in one transaction. A value
  // listed twice keeps its first position and its last expiry. kReplace with an empty
  // list removes the name. Errors: kInvalidArgument for a bad name or a value that is
  // empty or longer than kMaxReferenceValueBytes (nothing is written then).
  virtual Status registerReferenceValues(std::string_view name,
                                         const std::vector<ReferenceValue>& values,
                                         ReferenceValueMode mode) = 0;
  // The unexpired values of `name` in registration order; empty when it has none (policies
  // treat an unknown name as one with no values). Errors: kInvalidArgument for a bad name.
  virtual Result<std::vector<ReferenceValue>> getReferenceValues(std::string_view name) = 0;
  // Every name that has unexpired values, with those values in registration order.
  virtual Result<std::map<std::string, std::vector<ReferenceValue>>> listReferenceValues() = 0;
  // Removes every value of `name`. Errors: kInvalidArgument, kNotFound when it has none
  // (expired values not yet swept count as values here).
  virtual Status deleteReferenceValues(std::string_view name) = 0;

  // Stores a new session. REQUIRES: state kChallenged and empty token and JWK.
  // Errors: kInvalidArgument for an empty or oversized id, nonce or tee, or a session that
  // is not a fresh challenge; kAlreadyExists when the id or the nonce is already stored
  // (expired sessions count until swept).
  virtual Status createSession(const Session& session) = 0;
  // Errors: kNotFound when there is no such session or it has expired.
  virtual Result<Session> getSession(std::string_view id) = 0;
  // Moves a live session from challenged to attested, storing the token and the guest's
  // key and the new expiry, in one conditional update: of any number of concurrent callers
  // (in any process or replica) exactly one succeeds. This is the replay guard: a challenge
  // (its nonce) can be answered only once. Errors: kNotFound when there is no live session;
  // kFailedPrecondition when it is already attested (a replayed answer); kResourceExhausted
  // when the token or JWK exceeds max_value_bytes; kAborted when the session changed
  // between the update and the diagnosis of its failure (retry).
  virtual Status markSessionAttested(std::string_view id, std::string_view token,
                                     std::string_view tee_pubkey_jwk, TimePoint expires_at) = 0;
  // Errors: kNotFound when there is no such session (expired or not).
  virtual Status deleteSession(std::string_view id) = 0;
  // Live (unexpired) sessions, for a cap on concurrent handshakes.
  virtual Result<std::uint64_t> countLiveSessions() = 0;

  // Deletes expired sessions and expired reference values; returns how many of each.
  virtual Result<SweepCounts> sweepExpired() = 0;
};

// Opens the store a URL names and brings its schema up to date (creating it when empty):
// "sqlite:///abs/kbs.db", "sqlite://rel/kbs.db" or a bare path -> SQLite;
// "postgres://..." or "postgresql://..." -> PostgreSQL (a libpq connection URI).
// Errors: kInvalidArgument for an empty URL, another scheme or bad options; those of
// openSqliteStore / openPostgresStore. Messages show the URL without its password.
Result<std::unique_ptr<KbsStore>> openStore(std::string_view url, StoreOptions options = {});

// Opens (creating it with mode 0600, tightening an existing file to 0600) one SQLite file
// in WAL mode with synchronous=FULL, so a committed write survives a crash.
// Errors: kInvalidArgument for an empty path or a directory, kNotFound when its directory
// is missing, kPermissionDenied, kDataLoss naming the file when it is not a SQLite
// database or is corrupt, kFailedPrecondition when its schema is newer than this build
// knows, kUnavailable when it stays locked.
Result<std::unique_ptr<KbsStore>> openSqliteStore(const std::filesystem::path& file,
                                                  StoreOptions options = {});

// Connects one pooled connection at once (the others on demand) and migrates the schema
// under an advisory lock, so replicas may start together.
// Errors: kUnavailable when the server cannot be reached or refuses the login,
// kFailedPrecondition when the schema is newer than this build knows.
Result<std::unique_ptr<KbsStore>> openPostgresStore(std::string_view url,
                                                    StoreOptions options = {});

// The URL with any password (in the userinfo or a password= parameter) replaced by "***",
// fit for logs and error messages.
std::string redactStoreUrl(std::string_view url);

}  // namespace cocoon::kbs::store

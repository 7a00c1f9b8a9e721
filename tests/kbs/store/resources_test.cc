// SPDX-License-Identifier: Apache-2.0
// Resources and policies on both databases: round trips, listing, caps, hostile names.
#include <string>
#include <vector>

#include "kbs/store/store_fixture.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

using test::expectError;
using ::testing::ElementsAre;

TEST_P(StoreTest, PutResourceThenGetReturnsItAndPutReplacesIt) {
  ASSERT_TRUE(store().putResource("default/key/one", asBytes("first")));
  EXPECT_EQ(*store().getResource("default/key/one"), toBytes("first"));
  ASSERT_TRUE(store().putResource("default/key/one", asBytes("second")));
  EXPECT_EQ(*store().getResource("default/key/one"), toBytes("second"));
}

TEST_P(StoreTest, ResourceValuesAreBinarySafeIncludingEmpty) {
  const Bytes binary = {0x00, 0xff, 0x27, 0x00, 0x5c, 0x80};
  ASSERT_TRUE(store().putResource("r/t/binary", binary));
  ASSERT_TRUE(store().putResource("r/t/empty", {}));
  EXPECT_EQ(*store().getResource("r/t/binary"), binary);
  EXPECT_EQ(*store().getResource("r/t/empty"), Bytes{});
}

TEST_P(StoreTest, GetMissingResourceIsNotFound) {
  expectError(store().getResource("default/key/missing"), Code::kNotFound,
              "no resource 'default/key/missing'");
}

TEST_P(StoreTest, DeleteResourceRemovesItAndThenIsNotFound) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("v")));
  ASSERT_TRUE(store().deleteResource("a/b/c"));
  expectError(store().getResource("a/b/c"), Code::kNotFound);
  expectError(store().deleteResource("a/b/c"), Code::kNotFound, "no resource 'a/b/c'");
}

TEST_P(StoreTest, ListResourcesFiltersByBytePrefixInByteOrder) {
  for (const char* path : {"repo/key/b", "repo/key/a", "repo/cert/x", "other/key/a", "rep%/key/a",
                           "rep_/key/a", "repo/key/\xff"}) {
    ASSERT_TRUE(store().putResource(path, asBytes("v")));
  }
  EXPECT_THAT(*store().listResources("repo/key/"),
              ElementsAre("repo/key/a", "repo/key/b", "repo/key/\xff"));
  // '%' and '_' are plain bytes, not LIKE wildcards.
  EXPECT_THAT(*store().listResources("rep%"), ElementsAre("rep%/key/a"));
  EXPECT_THAT(*store().listResources("repo/key/\xff"), ElementsAre("repo/key/\xff"));
  EXPECT_EQ(store().listResources()->size(), 7U);
  EXPECT_TRUE(store().listResources("nothing")->empty());
  EXPECT_TRUE(store().listResources(std::string(kMaxKeyBytes + 1, 'a'))->empty());
}

TEST_P(StoreTest, RejectsPathsThatAreNotThreeNonEmptySegments) {
  for (const std::string path : {"", "a", "a/b", "a/b/c/d", "/b/c", "a//c", "a/b/", "//"}) {
    SCOPED_TRACE(path);
    expectError(store().putResource(path, asBytes("v")), Code::kInvalidArgument);
    expectError(store().getResource(path), Code::kInvalidArgument);
    expectError(store().deleteResource(path), Code::kInvalidArgument);
  }
  expectError(store().putResource("a/b/c/d", asBytes("v")), Code::kInvalidArgument,
              "resource path 'a/b/c/d' is not <repository>/<type>/<tag>");
  const std::string longest = "a/b/" + std::string(kMaxKeyBytes - 4, 'c');
  EXPECT_TRUE(store().putResource(longest, asBytes("v")));
  expectError(store().putResource(longest + "c", asBytes("v")), Code::kInvalidArgument,
              "resource path is 1025 bytes, more than the limit of 1024");
}

TEST_P(StoreTest, RejectsValuesOverTheConfiguredCap) {
  auto small = open({.max_value_bytes = 16});
  ASSERT_NE(small, nullptr);
  EXPECT_TRUE(small->putResource("a/b/c", Bytes(16, 1)));
  expectError(small->putResource("a/b/c", Bytes(17, 2)), Code::kResourceExhausted,
              "value of resource 'a/b/c' is 17 bytes, more than the limit of 16");
  EXPECT_EQ(*small->getResource("a/b/c"), Bytes(16, 1));  // the refused put wrote nothing
  expectError(small->putPolicy(PolicyKind::kAttestation, "p", std::string(17, 'x')),
              Code::kResourceExhausted, "attestation policy 'p' is 17 bytes");
}

TEST_P(StoreTest, DefaultCapIsOneMebibyte) {
  EXPECT_TRUE(store().putResource("a/b/big", Bytes(kDefaultMaxValueBytes, 7)));
  EXPECT_EQ(store().getResource("a/b/big")->size(), kDefaultMaxValueBytes);
  expectError(store().putResource("a/b/big", Bytes(kDefaultMaxValueBytes + 1, 7)),
              Code::kResourceExhausted, "1048577 bytes, more than the limit of 1048576");
}

// Names that would change a statement's meaning if they were spliced into SQL text, and
// bytes that a text column would refuse (NUL, invalid UTF-8).
const std::vector<std::string>& hostileNames() {
  static const std::vector<std::string> names = {
      "x'; DROP TABLE resources; --",
      "x' OR '1'='1",
      "\"quoted\" \\ back\\slash",
      "%_*?$1$2",
      std::string("nul\0byte", 8),
      "\xff\xfe invalid utf-8",
      "r\xc3\xa9po \xe2\x86\x92 \xe6\xa0\x87\xe7\xad\xbe",
      "); DELETE FROM sessions; SELECT (",
  };
  return names;
}

TEST_P(StoreTest, HostileResourceNamesAreStoredVerbatimAndInjectNothing) {
  ASSERT_TRUE(store().putResource("plain/key/one", asBytes("plain")));
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < hostileNames().size(); ++i) {
    const std::string& name = hostileNames()[i];
    paths.push_back(name + "/" + name + "/" + name);
    ASSERT_TRUE(store().putResource(paths.back(), asBytes(std::to_string(i))));
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(*store().getResource(paths[i]), toBytes(std::to_string(i))) << i;
  }
  EXPECT_EQ(store().listResources()->size(), paths.size() + 1);
  expectError(store().getResource("x' OR '1'='1/a/b"), Code::kNotFound);
  EXPECT_EQ(*store().getResource("plain/key/one"), toBytes("plain"));
  ASSERT_TRUE(store().deleteResource(paths[0]));
  EXPECT_EQ(store().listResources()->size(), paths.size());
}

TEST_P(StoreTest, HostileNamesInEveryOtherTableAreStoredVerbatim) {
  for (const std::string& name : hostileNames()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(store().putPolicy(PolicyKind::kAttestation, name, name));
    EXPECT_EQ(*store().getPolicy(PolicyKind::kAttestation, name), name);
    ASSERT_TRUE(store().registerReferenceValues(name, {{name}}, ReferenceValueMode::kAppend));
    EXPECT_THAT(*store().getReferenceValues(name), ElementsAre(ReferenceValue{name}));
    Session s{.id = name,
              .nonce = name,
              .tee = name,
              .expires_at = clock_.now() + std::chrono::minutes(1)};
    ASSERT_TRUE(store().createSession(s));
    EXPECT_EQ(*store().getSession(name), s);
  }
  EXPECT_EQ(store().listReferenceValues()->size(), hostileNames().size());
  EXPECT_EQ(*store().countLiveSessions(), hostileNames().size());
}

TEST_P(StoreTest, PoliciesAreKeptPerKindAndId) {
  ASSERT_TRUE(store().putPolicy(PolicyKind::kAttestation, "default", "attestation rules"));
  ASSERT_TRUE(store().putPolicy(PolicyKind::kResource, kResourcePolicyId, "resource rules"));
  ASSERT_TRUE(store().putPolicy(PolicyKind::kAttestation, "tpm", "tpm rules"));
  EXPECT_EQ(*store().getPolicy(PolicyKind::kAttestation, "default"), "attestation rules");
  EXPECT_EQ(*store().getPolicy(PolicyKind::kResource, kResourcePolicyId), "resource rules");
  ASSERT_TRUE(store().putPolicy(PolicyKind::kAttestation, "tpm", "new tpm rules"));
  EXPECT_EQ(*store().getPolicy(PolicyKind::kAttestation, "tpm"), "new tpm rules");
}

TEST_P(StoreTest, MissingPolicyIsNotFoundAndEmptyIdIsInvalid) {
  expectError(store().getPolicy(PolicyKind::kResource, kResourcePolicyId), Code::kNotFound,
              "no resource policy 'default'");
  expectError(store().getPolicy(PolicyKind::kAttestation, "sample"), Code::kNotFound,
              "no attestation policy 'sample'");
  expectError(store().putPolicy(PolicyKind::kAttestation, "", "x"), Code::kInvalidArgument,
              "policy id is empty");
}

TEST_P(StoreTest, WritesSurviveReopenAndAreSharedBetweenStoreObjects) {
  ASSERT_TRUE(store().putResource("a/b/c", asBytes("kept")));
  ASSERT_TRUE(store().putPolicy(PolicyKind::kResource, kResourcePolicyId, "rules"));
  // A second object on the same database (another replica) sees the first one's writes.
  auto second = open();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*second->getResource("a/b/c"), toBytes("kept"));
  ASSERT_TRUE(second->putResource("d/e/f", asBytes("from second")));
  EXPECT_EQ(*store().getResource("d/e/f"), toBytes("from second"));
  store_.reset();
  second.reset();
  auto reopened = open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->getResource("a/b/c"), toBytes("kept"));
  EXPECT_EQ(*reopened->getPolicy(PolicyKind::kResource, kResourcePolicyId), "rules");
  EXPECT_THAT(*reopened->listResources(), ElementsAre("a/b/c", "d/e/f"));
}

}  // namespace
}  // namespace cocoon::kbs::store

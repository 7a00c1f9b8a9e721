// SPDX-License-Identifier: Apache-2.0
// Store URLs: which database they select, and that passwords never reach a message.
#include "kbs/store/store.h"
#include "support/expect.h"

namespace cocoon::kbs::store {
namespace {

using test::expectError;

TEST(RedactStoreUrl, HidesUserinfoPasswordsAndPasswordParameters) {
  EXPECT_EQ(redactStoreUrl("postgres://kbs:s3cr3t@db.example:5432/kbs"),
            "postgres://kbs:***@db.example:5432/kbs");
  EXPECT_EQ(redactStoreUrl("postgresql://kbs:p@ss@db/kbs?sslmode=require"),
            "postgresql://kbs:***@db/kbs?sslmode=require");
  EXPECT_EQ(redactStoreUrl("postgresql://db/kbs?user=kbs&password=s3cr3t&sslmode=verify-full"),
            "postgresql://db/kbs?user=kbs&password=***&sslmode=verify-full");
  EXPECT_EQ(redactStoreUrl("host=db password=s3cr3t dbname=kbs"),
            "host=db password=*** dbname=kbs");
  EXPECT_EQ(redactStoreUrl("postgresql://kbs@db/kbs"), "postgresql://kbs@db/kbs");
  EXPECT_EQ(redactStoreUrl("sqlite:///var/lib/kbs/kbs.db"), "sqlite:///var/lib/kbs/kbs.db");
  EXPECT_EQ(redactStoreUrl("postgresql://db/kbs?mypassword=x"), "postgresql://db/kbs?mypassword=x");
}

TEST(OpenStore, RejectsEmptyUrlsAndUnknownSchemesWithoutShowingPasswords) {
  expectError(openStore(""), Code::kInvalidArgument, "store URL is empty");
  expectError(openStore("sqlite://"), Code::kInvalidArgument, "names no file");
  auto mysql = openStore("mysql://kbs:s3cr3t@db/kbs");
  expectError(mysql, Code::kInvalidArgument,
              "store URL 'mysql://kbs:***@db/kbs' has scheme 'mysql'; expected sqlite://");
  EXPECT_EQ(mysql.error().toString().find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace cocoon::kbs::store

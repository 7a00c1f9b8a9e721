// SPDX-License-Identifier: Apache-2.0
// Cases follow the tables of distribution/reference reference_test.go (TestReferenceParse)
// and normalize_test.go (TestParseNormalizedNamed), written out again here.
#include "image/oci/reference.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

const std::string kHex64(64, 'f');
const std::string kSha256 = "sha256:" + kHex64;

struct Good {
  std::string input;
  std::string registry;
  std::string repository;
  std::optional<std::string> tag;
  bool has_digest;
  bool is_short;
};

TEST(Reference, ParsesAndNormalises) {
  const Good cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", false, true},
      {"user/img", "docker.io", "user/img", "latest", false, true},
      {"user/img:1.0", "docker.io", "user/img", "1.0", false, true},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", false, false},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", false, false},
      {"docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", false, false},
      {"test_com", "docker.io", "library/test_com", "latest", false, true},
      {"test.com:tag", "docker.io", "library/test.com", "tag", false, true},
      {"test.com:5000", "docker.io", "library/test.com", "5000", false, true},
      {"test.com/repo:tag", "test.com", "repo", "tag", false, false},
      {"test:5000/repo", "test:5000", "repo", "latest", false, false},
      {"test:5000/repo:tag", "test:5000", "repo", "tag", false, false},
      {"test:5000/repo@" + kSha256, "test:5000", "repo", std::nullopt, true, false},
      {"test:5000/repo:tag@" + kSha256, "test:5000", "repo", "tag", true, false},
      {"host:5000/a/b:tag", "host:5000", "a/b", "tag", false, false},
      {"localhost/x", "localhost", "x", "latest", false, false},
      {"localhost:5000/x/y", "localhost:5000", "x/y", "latest", false, false},
      {"127.0.0.1:5000/x@" + kSha256, "127.0.0.1:5000", "x", std::nullopt, true, false},
      {"192.168.1.1/repo", "192.168.1.1", "repo", "latest", false, false},
      {"[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", false, false},
      {"[2001:db8::1]:5000/repo:tag@" + kSha256, "[2001:db8::1]:5000", "repo", "tag", true, false},
      {"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", false, true},
      {"Foo.Bar/repo", "Foo.Bar", "repo", "latest", false, false},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
       "some-long-tag", false, false},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
       "test.example.com", false, false},
      {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", false, false},
      {"foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", false, true},
      {"a/b__c/d---e/f.g", "docker.io", "a/b__c/d---e/f.g", "latest", false, true},
      {"x:_" + std::string(127, 'T'), "docker.io", "library/x", "_" + std::string(127, 'T'), false,
       true},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.input);
    auto ref = parseReference(c.input);
    ASSERT_TRUE(ref) << ref.error().toString();
    EXPECT_EQ(ref->registry, c.registry);
    EXPECT_EQ(ref->repository, c.repository);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest.has_value(), c.has_digest);
    EXPECT_EQ(ref->is_short_name, c.is_short);
  }
}

TEST(Reference, PrintsFullyQualified) {
  EXPECT_EQ(parseReference("busybox")->toString(), "docker.io/library/busybox:latest");
  EXPECT_EQ(parseReference("127.0.0.1:5000/x@" + kSha256)->toString(),
            "127.0.0.1:5000/x@" + kSha256);
  EXPECT_EQ(parseReference("q.io/a:t@" + kSha256)->toString(), "q.io/a:t@" + kSha256);
  EXPECT_EQ(parseReference("q.io/a:t")->name(), "q.io/a");
  // toString() is a fixed point of parseReference.
  auto again = parseReference(parseReference("busybox:1")->toString());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->toString(), "docker.io/library/busybox:1");
  EXPECT_FALSE(again->is_short_name);
}

TEST(Reference, NameOfExactlyMaxLengthIsAccepted) {
  // docker.io/ (10) + 245 = 255.
  std::string path;
  for (int i = 0; i < 121; ++i) {
    path += "a/";
  }
  path += "aaa";
  ASSERT_EQ(path.size(), 245U);
  auto ref = parseReference(path + ":tag");
  ASSERT_TRUE(ref) << ref.error().toString();
  EXPECT_EQ(ref->name().size(), kMaxNameLength);
  expectError(parseReference(path + "a:tag"), Code::kInvalidArgument,
              "repository name is 256 characters, longer than 255");
}

struct Bad {
  std::string input;
  Code code;
  const char* message;
};

TEST(Reference, RejectsMalformedReferences) {
  const Bad cases[] = {
      {"", Code::kInvalidArgument, "empty"},
      {":justtag", Code::kInvalidArgument, "no repository name"},
      {"@" + kSha256, Code::kInvalidArgument, "no repository name"},
      {"repo@sha256:" + std::string(63, 'f'), Code::kInvalidArgument, "has 63 hex digits"},
      {"validname@invaliddigest:" + kHex64, Code::kUnimplemented, "not supported"},
      {"repo@sha256:" + std::string(64, 'F'), Code::kInvalidArgument, "lower-case hex"},
      {"Uppercase:tag", Code::kInvalidArgument, "repository name must be lowercase"},
      {"test:5000/Uppercase/lowercase:tag", Code::kInvalidArgument, "must be lowercase"},
      {"aa/asdf$$^/aa", Code::kInvalidArgument, "path component 1"},
      {"a//b", Code::kInvalidArgument, "path component 1"},
      {"a/b/", Code::kInvalidArgument, "path component 2"},
      {"-a/b", Code::kInvalidArgument, "path component 0"},
      {"a_-b", Code::kInvalidArgument, "path component 0"},
      {"a___b", Code::kInvalidArgument, "path component 0"},
      {"a.", Code::kInvalidArgument, "path component 0"},
      {"repo:", Code::kInvalidArgument, "tag is 0 characters"},
      {"repo:-tag", Code::kInvalidArgument, "tag must start"},
      {"repo:.tag", Code::kInvalidArgument, "tag must start"},
      {"repo:ta+g", Code::kInvalidArgument, "invalid character at offset 2"},
      {"repo:" + std::string(129, 'a'), Code::kInvalidArgument, "tag is 129 characters"},
      {"-host.com/repo", Code::kInvalidArgument, "not a valid host name"},
      {"host-.com/repo", Code::kInvalidArgument, "not a valid host name"},
      {"host..com/repo", Code::kInvalidArgument, "not a valid host name"},
      {"host.com:/repo", Code::kInvalidArgument, "port that is not a number"},
      {"host.com:50a0/repo", Code::kInvalidArgument, "port that is not a number"},
      {"[2001:db8::1]", Code::kInvalidArgument, "tag has an invalid character"},
      {"[fe80::1%eth0]:5000/repo", Code::kInvalidArgument, "[IPv6]"},
      {"[]:5000/repo", Code::kInvalidArgument, "[IPv6]"},
      {"[::1]x/repo", Code::kInvalidArgument, "junk after ']'"},
      {"[::1]:/repo", Code::kInvalidArgument, "port that is not a number"},
      {kHex64, Code::kInvalidArgument, "image ID"},
      {std::string(700, 'a'), Code::kInvalidArgument, "700 characters, longer than 640"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.input);
    expectError(parseReference(bad.input), bad.code, bad.message);
  }
}

TEST(Reference, QualifiesShortNames) {
  const Reference short_ref = *parseReference("busybox:1@" + kSha256);
  auto quay = qualifyShortName(short_ref, "quay.io");
  ASSERT_TRUE(quay) << quay.error().toString();
  EXPECT_EQ(quay->toString(), "quay.io/busybox:1@" + kSha256);
  EXPECT_FALSE(quay->is_short_name);
  auto hub = qualifyShortName(short_ref, "docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->name(), "docker.io/library/busybox");
  // A registry without a dot is still taken as a registry here.
  auto plain = qualifyShortName(*parseReference("user/img"), "registry:5000");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->toString(), "registry:5000/user/img:latest");

  expectError(qualifyShortName(*parseReference("q.io/x"), "quay.io"), Code::kFailedPrecondition,
              "q.io/x is not a short name");
  expectError(qualifyShortName(short_ref, "bad_host"), Code::kInvalidArgument,
              "not a valid host name");
}

}  // namespace
}  // namespace cocoon::image::oci

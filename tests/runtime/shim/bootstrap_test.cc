// SPDX-License-Identifier: Apache-2.0
// The shim's command line as containerd passes it, and the socket every container of one
// sandbox finds.
#include "runtime/shim/bootstrap.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::runtime::shim {
namespace {

using test::expectError;

TEST(ShimFlags, ParsesContainerdsStartCommandLine) {
  // containerd 1.6: -namespace NS -address SOCK -publish-binary BIN -id ID start
  auto f = parseShimFlags({"-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
                           "-publish-binary", "/usr/bin/containerd", "-id", "c1", "start"});
  ASSERT_TRUE(f) << f.error().toString();
  EXPECT_EQ(f->ns, "k8s.io");
  EXPECT_EQ(f->address, "/run/containerd/containerd.sock");
  EXPECT_EQ(f->publish_binary, "/usr/bin/containerd");
  EXPECT_EQ(f->id, "c1");
  EXPECT_EQ(f->action, "start");
  auto g = parseShimFlags({"--namespace=default", "-id=c2", "-bundle", "/b", "-debug", "delete"});
  ASSERT_TRUE(g) << g.error().toString();
  EXPECT_EQ(g->ns, "default");
  EXPECT_EQ(g->id, "c2");
  EXPECT_EQ(g->bundle, "/b");
  EXPECT_TRUE(g->debug);
  EXPECT_EQ(g->action, "delete");
}

TEST(ShimFlags, RefusesWhatContainerdNeverSends) {
  expectError(parseShimFlags({"-id", "c", "-bogus", "x", "start"}), Code::kInvalidArgument,
              "unknown flag '-bogus'");
  expectError(parseShimFlags({"-id"}), Code::kInvalidArgument, "needs a value");
  expectError(parseShimFlags({"-id", "c"}), Code::kInvalidArgument, "no action");
  expectError(parseShimFlags({"-id", "c", "run"}), Code::kInvalidArgument, "unknown action");
  expectError(parseShimFlags({"start"}), Code::kInvalidArgument, "needs -id");
  expectError(parseShimFlags({"-id", "c", "start", "delete"}), Code::kInvalidArgument,
              "second action");
  expectError(parseShimFlags({"-id", "c", "serve"}), Code::kInvalidArgument, "-socket");
  auto help = parseShimFlags({"--help"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->help);
}

TEST(ShimSocket, IsStablePerSandboxAndDistinctAcrossContainerds) {
  const auto a = shimSocketPath("/run/containerd/containerd.sock", "k8s.io", "pod1");
  EXPECT_EQ(a, shimSocketPath("/run/containerd/containerd.sock", "k8s.io", "pod1"));
  EXPECT_NE(a, shimSocketPath("/tmp/other.sock", "k8s.io", "pod1"));
  EXPECT_NE(a, shimSocketPath("/run/containerd/containerd.sock", "default", "pod1"));
  EXPECT_NE(a, shimSocketPath("/run/containerd/containerd.sock", "k8s.io", "pod2"));
  EXPECT_EQ(a.parent_path(), std::filesystem::path(kRunRoot) / "s");
  EXPECT_LT(a.string().size(), 108u);  // fits sockaddr_un
}

}  // namespace
}  // namespace cocoon::runtime::shim

// SPDX-License-Identifier: Apache-2.0
// The ocicrypt tests' starting image and key pairs.
#include "image/crypt/fixture.h"

#include "common/files.h"
#include "http/peer_process.h"

namespace cocoon::image::test {

Status writeKeyPairs(const std::filesystem::path& dir,
                     std::initializer_list<std::pair<const char*, crypto::KeyType>> keys) {
  for (const auto& [name, type] : keys) {
    COCOON_ASSIGN_OR_RETURN(crypto::Key key, crypto::Key::generate(type));
    COCOON_ASSIGN_OR_RETURN(std::string pem, key.privatePem());
    COCOON_TRY(writeFileAtomic(dir / (std::string(name) + ".pem"), asBytes(pem), 0600));
    COCOON_TRY(writeFileAtomic(dir / (std::string(name) + ".pub"), asBytes(key.publicPem())));
  }
  return okStatus();
}

Status makePlainImage(const std::filesystem::path& dir) {
  const std::string layout = (dir / "plain").string();
  COCOON_TRY(
      cocoon::test::runTool({COCOON_SOURCE_DIR "/tests/image/make_test_image.sh", layout, "tree"}));
  COCOON_TRY(cocoon::test::runTool(
      {"umoci", "unpack", "--image", layout + ":tree", (dir / "umoci").string()}));
  return okStatus();
}

}  // namespace cocoon::image::test

// SPDX-License-Identifier: Apache-2.0
// What the ocicrypt interop and CLI tests start from: the multi-layer test image with its
// umoci unpack (the reference tree), and key pairs on disk.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <utility>

#include "common/result.h"
#include "crypto/key.h"

namespace cocoon::image::test {

// Writes <dir>/<name>.pem (PKCS#8 private key, mode 0600) and <dir>/<name>.pub (SPKI) of a
// new key for each (name, type). Errors: key generation and file writes.
Status writeKeyPairs(const std::filesystem::path& dir,
                     std::initializer_list<std::pair<const char*, crypto::KeyType>> keys);

// tests/image/make_test_image.sh into the layout <dir>/plain (tag "tree") and its
// `umoci unpack` into <dir>/umoci (the tree a decrypted pull must reproduce).
// REQUIRES: root (owners, device nodes). Errors: the failing command and its stderr.
Status makePlainImage(const std::filesystem::path& dir);

}  // namespace cocoon::image::test

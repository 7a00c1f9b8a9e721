// SPDX-License-Identifier: Apache-2.0
// Fuzzes registries.conf parsing, then resolves a few fixed references against what
// parsed (prefix matching, mirrors, rewrites), and auth file parsing on the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/oci/auth_file.h"
#include "image/oci/registries_conf.h"

namespace oci = cocoon::image::oci;
using cocoon::Code;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto auth = oci::parseAuthFile(text, "fuzz.json");
  if (auth) {
    (void)oci::findCredentials(*auth, "docker.io", "library/busybox");
  } else if (auth.error().code != Code::kInvalidArgument &&
             auth.error().code != Code::kResourceExhausted) {
    std::abort();
  }
  auto conf = oci::parseRegistriesConf(text, "fuzz.conf");
  if (!conf) {
    if (conf.error().code != Code::kInvalidArgument &&
        conf.error().code != Code::kResourceExhausted) {
      std::abort();
    }
    return 0;
  }
  for (std::string_view r : {"busybox", "quay.io/a/b:t",
                             "localhost:5000/x@sha256:"
                             "0000000000000000000000000000000000000000"
                             "000000000000000000000000",
                             "a.b.example.com/x/y"}) {
    auto ref = oci::parseReference(r);
    if (!ref) {
      std::abort();
    }
    auto endpoints = oci::resolve(*conf, *ref);
    if (endpoints && endpoints->empty()) {
      std::abort();  // a resolution always ends with the primary location
    }
    (void)oci::shortNameCandidates(*conf, *ref);
  }
  return 0;
}

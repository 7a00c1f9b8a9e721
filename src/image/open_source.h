// SPDX-License-Identifier: Apache-2.0
// Turns what a user typed (`busybox`, `127.0.0.1:5000/a/b:t`, `oci:/path/layout:tag`)
// into an ImageSource and the reference to pull from it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "image/image_source.h"
#include "image/oci/reference.h"

namespace cocoon::image {

struct SourceOptions {
  // containers-registries.conf; empty: $CONTAINERS_REGISTRIES_CONF, else the system file.
  std::filesystem::path registries_conf;
  // auth.json / config.json; empty: the containers lookup order.
  std::filesystem::path auth_file;
  // PEM CA bundle for registry TLS; empty: the system CAs.
  std::filesystem::path ca_bundle;
};

struct OpenedSource {
  std::unique_ptr<ImageSource> source;
  oci::Reference reference;  // for an OCI layout: localhost/<dir name>:<tag>
};

// "oci:DIR[:TAG]" opens an OCI image layout (TAG defaults to "latest"); anything else is
// an image reference pulled from a registry.
// Errors: those of parseReference, openOciLayout and openRegistrySource.
Result<OpenedSource> openImageSource(std::string_view text, const SourceOptions& options);

}  // namespace cocoon::image

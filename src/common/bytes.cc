// SPDX-License-Identifier: Apache-2.0
// SecretBytes wiping.
#include "common/bytes.h"

#include <openssl/crypto.h>

namespace cocoon {

void SecretBytes::wipe() {
  if (!data_.empty()) {
    OPENSSL_cleanse(data_.data(), data_.size());
  }
}

void SecretBytes::resize(std::size_t n) {
  if (n <= data_.capacity()) {
    if (n < data_.size()) {
      OPENSSL_cleanse(data_.data() + n, data_.size() - n);
    }
    data_.resize(n);
    return;
  }
  std::vector<std::uint8_t> bigger(n);
  std::copy(data_.begin(), data_.end(), bigger.begin());
  wipe();
  data_ = std::move(bigger);
}

}  // namespace cocoon

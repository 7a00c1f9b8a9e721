// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the guest agent does with init-data the host hands it: the document (block
// image or TOML) decoded and checked, its cdh.toml/aa.toml applied over a config, its
// policy.json compiled; and the kernel command line's cocoon.initdata= parameter. None of
// it may crash, hang or read out of bounds.
#include <cstdint>
#include <string_view>

#include "agent/config.h"
#include "agent/initdata.h"
#include "agent/policy/agent_policy.h"
#include "common/bytes.h"

namespace agent = cocoon::agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cocoon::ByteSpan bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)agent::kernelInitDataDigest(text);
  auto decoded = agent::decodeGuestInitData(bytes);
  if (!decoded) {
    return 0;
  }
  (void)agent::checkGuestInitData(*decoded, std::nullopt);
  (void)agent::checkGuestInitData(*decoded, decoded->digest);
  agent::AgentConfig config;
  (void)agent::applyGuestInitData(*decoded, config);
  if (auto policy = decoded->document.data.find("policy.json");
      policy != decoded->document.data.end()) {
    (void)agent::policy::parseAgentPolicy(policy->second);
  }
  return 0;
}

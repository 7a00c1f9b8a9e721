// SPDX-License-Identifier: Apache-2.0
// CompiledRegex over the C library's POSIX regcomp/regexec (docs/policy.md §Why POSIX
// regex): no backtracking recursion on input length, back-references refused.
#include <regex.h>

#include <array>
#include <string>

#include "policy/expression.h"

namespace cocoon::policy {

struct CompiledRegex::Impl {
  regex_t re{};
};

CompiledRegex::CompiledRegex() : impl_(std::make_unique<Impl>()) {}

CompiledRegex::~CompiledRegex() {
  regfree(&impl_->re);
}

Result<std::unique_ptr<CompiledRegex>> CompiledRegex::compile(const std::string& pattern) {
  for (std::size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
        return fail(Code::kInvalidArgument, "regex: back-reference at offset {} is not allowed", i);
      }
      ++i;
    }
  }
  if (pattern.find('\0') != std::string::npos) {
    return fail(Code::kInvalidArgument, "regex: NUL byte in the pattern");
  }
  std::unique_ptr<CompiledRegex> out(new CompiledRegex());
  const int rc = regcomp(&out->impl_->re, pattern.c_str(), REG_EXTENDED);
  if (rc != 0) {
    std::array<char, 128> message{};
    regerror(rc, &out->impl_->re, message.data(), message.size());
    // regcomp leaves nothing to free on failure; make the destructor's regfree harmless.
    out->impl_->re = regex_t{};
    return fail(Code::kInvalidArgument, "regex: {}", message.data());
  }
  return out;
}

bool CompiledRegex::fullMatch(const std::string& text) const {
  // POSIX picks the leftmost-longest match, so a match of the whole string exists exactly
  // when the match found starts at 0 and ends at the end. Anchoring this way (rather than
  // wrapping the pattern in ^(...)$) keeps a pattern such as "a)|(b" from escaping it.
  regmatch_t match{};
  if (regexec(&impl_->re, text.c_str(), 1, &match, 0) != 0) {
    return false;
  }
  return match.rm_so == 0 && static_cast<std::size_t>(match.rm_eo) == text.size();
}

}  // namespace cocoon::policy

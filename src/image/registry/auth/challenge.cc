// SPDX-License-Identifier: Apache-2.0
// WWW-Authenticate (RFC 7235 §4.1, auth-param list) and token response parsing.
#include "image/registry/auth/challenge.h"

#include <algorithm>
#include <cctype>

#include "json/json.h"

namespace cocoon::image::registry::auth {
namespace {

constexpr std::size_t kMaxChallenges = 16;
constexpr std::size_t kMaxParams = 16;

// RFC 7230 tchar.
bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  void advance() { ++pos_; }
  std::size_t offset() const { return pos_; }

  std::string_view token() {
    const std::size_t start = pos_;
    // token68 (RFC 7235) may end in '=' and contain '/': accepted as part of a token.
    while (pos_ < text_.size() && (isTokenChar(text_[pos_]) || text_[pos_] == '/')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  Result<std::string> quoted() {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        ++pos_;
      }
      out.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) {
      return fail(Code::kInvalidArgument, "unterminated quoted string at offset {}", start);
    }
    ++pos_;  // closing quote
    return out;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Challenge>> parseChallenges(std::string_view header) {
  std::vector<Challenge> out;
  Cursor in(header);
  for (;;) {
    in.skipSpace();
    while (in.peek() == ',') {  // empty list elements are allowed (RFC 7230 §7)
      in.advance();
      in.skipSpace();
    }
    if (in.done()) {
      break;
    }
    const std::size_t scheme_at = in.offset();
    const std::string_view scheme = in.token();
    if (scheme.empty()) {
      return fail(Code::kInvalidArgument, "expected an auth scheme at offset {}", scheme_at);
    }
    if (out.size() == kMaxChallenges) {
      return fail(Code::kResourceExhausted, "more than {} challenges", kMaxChallenges);
    }
    Challenge challenge{lower(scheme), {}};
    // auth-params: name = (token | quoted-string), separated by commas. A bare token not
    // followed by '=' starts the next challenge.
    for (;;) {
      in.skipSpace();
      Cursor probe = in;
      const std::string_view name = probe.token();
      probe.skipSpace();
      if (name.empty() || probe.peek() != '=') {
        break;
      }
      in = probe;
      in.advance();  // '='
      in.skipSpace();
      std::string value;
      if (in.peek() == '"') {
        COCOON_ASSIGN_OR_RETURN(value, in.quoted());
      } else {
        value = std::string(in.token());
      }
      if (challenge.params.size() == kMaxParams) {
        return fail(Code::kResourceExhausted, "more than {} parameters in challenge '{}'",
                    kMaxParams, challenge.scheme);
      }
      challenge.params[lower(name)] = std::move(value);
      in.skipSpace();
      if (in.peek() != ',') {
        break;
      }
      in.advance();
    }
    in.skipSpace();
    if (!in.done() && in.peek() != ',' && !isTokenChar(in.peek())) {
      return fail(Code::kInvalidArgument, "unexpected '{}' at offset {}", in.peek(), in.offset());
    }
    out.push_back(std::move(challenge));
  }
  if (out.empty()) {
    return fail(Code::kInvalidArgument, "no challenge in WWW-Authenticate");
  }
  return out;
}

Result<TokenResponse> parseTokenResponse(std::string_view body,
                                         std::chrono::seconds default_lifetime) {
  COCOON_ASSIGN_OR_RETURN(json::Json doc, json::parseJson(body));
  if (!doc.is_object()) {
    return fail(Code::kInvalidArgument, "token response is not a JSON object");
  }
  TokenResponse out;
  COCOON_ASSIGN_OR_RETURN(const std::string* token, json::getOptionalString(doc, "token"));
  if (token == nullptr) {
    COCOON_ASSIGN_OR_RETURN(token, json::getOptionalString(doc, "access_token"));
  }
  if (token == nullptr || token->empty()) {
    return fail(Code::kInvalidArgument, "token response has no 'token' or 'access_token'");
  }
  const bool printable = std::all_of(token->begin(), token->end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (!printable) {
    return fail(Code::kInvalidArgument, "token contains characters not allowed in a header");
  }
  out.token = *token;
  out.expires_in = default_lifetime;
  if (doc.contains("expires_in")) {
    COCOON_ASSIGN_OR_RETURN(std::int64_t seconds, json::getInt(doc, "expires_in"));
    if (seconds <= 0) {
      return fail(Code::kInvalidArgument, "token expires_in must be positive, found {}", seconds);
    }
    // A registry may say "forever"; asking again after a day costs one request, while a
    // lifetime past what the steady clock holds would overflow when added to now.
    constexpr std::int64_t kLongestLifetime = 24 * 60 * 60;
    out.expires_in = std::chrono::seconds(std::min(seconds, kLongestLifetime));
  }
  return out;
}

}  // namespace cocoon::image::registry::auth

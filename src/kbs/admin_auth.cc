// SPDX-License-Identifier: Apache-2.0
// Admin JWT verification.
#include "kbs/admin_auth.h"

#include "common/files.h"
#include "crypto/jose/jwt.h"

namespace cocoon::kbs {
namespace {

constexpr std::string_view kBearer = "Bearer ";

}  // namespace

Result<AdminAuthenticator> AdminAuthenticator::create(crypto::Key admin_key) {
  if (admin_key.type() != crypto::KeyType::kEd25519) {
    return fail(Code::kInvalidArgument, "the admin key must be an Ed25519 key, not {}",
                crypto::keyTypeName(admin_key.type()));
  }
  return AdminAuthenticator(std::move(admin_key));
}

Result<AdminAuthenticator> AdminAuthenticator::fromPemFile(const std::filesystem::path& path) {
  std::string what = "admin public key " + path.string();
  COCOON_ASSIGN_OR_RETURN(std::string pem, withContext(readTextFile(path, 64 * 1024), what));
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, withContext(crypto::Key::fromPem(pem), what));
  return withContext(create(std::move(key)), what);
}

Status AdminAuthenticator::authorize(std::string_view authorization_header,
                                     std::chrono::system_clock::time_point now) const {
  if (authorization_header.empty()) {
    return fail(Code::kUnauthenticated,
                "admin request without an Authorization header (expected Bearer <JWT>)");
  }
  if (!authorization_header.starts_with(kBearer)) {
    return fail(Code::kUnauthenticated, "admin Authorization header is not 'Bearer <JWT>'");
  }
  std::string_view token = authorization_header.substr(kBearer.size());
  jose::JwtVerifyOptions options;
  options.allowed_algorithms = {jose::JwsAlgorithm::kEdDsa};
  options.require_exp = false;
  options.leeway_seconds = 60;
  auto verified = jose::verifyJwt(token, key_, options, now);
  if (!verified) {
    return fail(Code::kUnauthenticated, "admin token refused: {}", verified.error().toString());
  }
  return {};
}

}  // namespace cocoon::kbs

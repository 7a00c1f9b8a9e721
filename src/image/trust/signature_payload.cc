// SPDX-License-Identifier: Apache-2.0
// Simple-signing payload parsing and the identity rules of containers-policy.json(5).
#include "image/trust/signature_payload.h"

#include <algorithm>
#include <initializer_list>

#include "json/json.h"

namespace cocoon::image::trust {
namespace {

using json::Json;

// `object` (at `path`) must have exactly the fields `names`.
Status exactFields(const Json& object, const std::string& path,
                   std::initializer_list<std::string_view> names) {
  if (!object.is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected an object, found {}", path,
                object.type_name());
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return fail(Code::kInvalidArgument, "{}: unknown field \"{}\"", path, key);
    }
  }
  for (std::string_view name : names) {
    if (!object.contains(name)) {
      return fail(Code::kInvalidArgument, "{}.{}: missing", path, name);
    }
  }
  return okStatus();
}

Result<std::string> stringAt(const Json& object, std::string_view key, const std::string& path) {
  const Json& v = object.at(key);
  if (!v.is_string()) {
    return fail(Code::kInvalidArgument, "{}.{}: expected a string, found {}", path, key,
                v.type_name());
  }
  return v.get<std::string>();
}

Status parseOptional(const Json& doc, PayloadFormat format, SignaturePayload& out) {
  auto it = doc.find("optional");
  if (it == doc.end() || it->is_null()) {
    if (format == PayloadFormat::kCosign) {
      return okStatus();
    }
    return fail(Code::kInvalidArgument, "optional: missing");
  }
  if (!it->is_object()) {
    return fail(Code::kInvalidArgument, "optional: expected an object, found {}", it->type_name());
  }
  if (auto c = it->find("creator"); c != it->end()) {
    if (!c->is_string()) {
      return fail(Code::kInvalidArgument, "optional.creator: expected a string, found {}",
                  c->type_name());
    }
    out.creator = c->get<std::string>();
  }
  if (auto t = it->find("timestamp"); t != it->end()) {
    if (!t->is_number_integer() ||
        (t->is_number_unsigned() &&
         t->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
      return fail(Code::kInvalidArgument, "optional.timestamp: expected an integer, found {}",
                  t->type_name());
    }
    out.timestamp = t->get<std::int64_t>();
  }
  return okStatus();
}

bool nameOnly(std::string_view text) {
  if (text.find('@') != std::string_view::npos) {
    return false;
  }
  std::size_t slash = text.rfind('/');
  return text.find(':', slash == std::string_view::npos ? 0 : slash) == std::string_view::npos;
}

// The image as the policy sees it: a digest reference drops its tag.
oci::Reference intendedOf(const oci::Reference& image) {
  oci::Reference r = image;
  if (r.digest) {
    r.tag.reset();
  }
  return r;
}

bool repoDigestOrExact(const oci::Reference& intended, const oci::Reference& signature) {
  if (intended.digest) {
    return signature.name() == intended.name();
  }
  return signature.toString() == intended.toString();
}

}  // namespace

Result<SignaturePayload> parseSignaturePayload(ByteSpan payload, PayloadFormat format) {
  if (payload.size() > kMaxPayloadBytes) {
    return fail(Code::kResourceExhausted, "signature payload of {} bytes is over the {} byte cap",
                payload.size(), kMaxPayloadBytes);
  }
  COCOON_ASSIGN_OR_RETURN(
      Json doc,
      json::parseJson(toString(payload), {.max_bytes = kMaxPayloadBytes, .max_depth = 32}));
  if (!doc.is_object()) {
    return fail(Code::kInvalidArgument, "payload: expected an object, found {}", doc.type_name());
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "critical" && key != "optional") {
      return fail(Code::kInvalidArgument, "payload: unknown field \"{}\"", key);
    }
  }
  if (!doc.contains("critical")) {
    return fail(Code::kInvalidArgument, "critical: missing");
  }
  const Json& critical = doc["critical"];
  COCOON_TRY(exactFields(critical, "critical", {"type", "image", "identity"}));
  COCOON_ASSIGN_OR_RETURN(std::string type, stringAt(critical, "type", "critical"));
  std::string_view wanted =
      format == PayloadFormat::kAtomic ? kAtomicSignatureType : kCosignSignatureType;
  if (type != wanted) {
    return fail(Code::kInvalidArgument, "critical.type: expected \"{}\", found \"{}\"", wanted,
                type);
  }
  SignaturePayload out;
  const Json& image = critical["image"];
  COCOON_TRY(exactFields(image, "critical.image", {"docker-manifest-digest"}));
  COCOON_ASSIGN_OR_RETURN(std::string digest,
                          stringAt(image, "docker-manifest-digest", "critical.image"));
  COCOON_ASSIGN_OR_RETURN(
      out.manifest_digest,
      withContext(oci::parseDigest(digest), "critical.image.docker-manifest-digest"));
  const Json& identity = critical["identity"];
  COCOON_TRY(exactFields(identity, "critical.identity", {"docker-reference"}));
  COCOON_ASSIGN_OR_RETURN(out.docker_reference,
                          stringAt(identity, "docker-reference", "critical.identity"));
  COCOON_TRY(parseOptional(doc, format, out));
  return out;
}

bool identityMatches(const SignedIdentity& rule, const oci::Reference& image,
                     std::string_view signature_reference) {
  auto parsed = oci::parseReference(signature_reference);
  if (!parsed) {
    return false;
  }
  oci::Reference signature = *parsed;
  const bool sig_name_only = nameOnly(signature_reference);
  const oci::Reference intended = intendedOf(image);
  switch (rule.kind) {
    case IdentityKind::kMatchExact:
      return !sig_name_only && signature.toString() == intended.toString();
    case IdentityKind::kMatchRepoDigestOrExact:
      return !sig_name_only && repoDigestOrExact(intended, signature);
    case IdentityKind::kMatchRepository:
      return signature.name() == intended.name();
    case IdentityKind::kExactReference:
      return !sig_name_only && signature.toString() == rule.docker_reference;
    case IdentityKind::kExactRepository:
      return signature.name() == rule.docker_repository;
    case IdentityKind::kRemapIdentity: {
      if (sig_name_only) {
        return false;
      }
      const std::string name = intended.name();
      const bool prefixed =
          name == rule.prefix || (name.size() > rule.prefix.size() &&
                                  name.starts_with(rule.prefix) && name[rule.prefix.size()] == '/');
      if (!prefixed) {
        return repoDigestOrExact(intended, signature);
      }
      std::string remapped = rule.signed_prefix + name.substr(rule.prefix.size());
      if (intended.digest) {
        remapped += "@" + intended.digest->toString();
      } else if (intended.tag) {
        remapped += ":" + *intended.tag;
      }
      auto remapped_ref = oci::parseReference(remapped);
      return remapped_ref && repoDigestOrExact(*remapped_ref, signature);
    }
  }
  return false;
}

Status checkPayload(const SignaturePayload& payload, const SignedIdentity& rule,
                    const oci::Reference& image, ByteSpan manifest) {
  oci::Digest actual = oci::computeDigest(manifest, payload.manifest_digest.algorithm);
  if (actual != payload.manifest_digest) {
    return fail(Code::kPermissionDenied, "signature is for manifest {}, the image's manifest is {}",
                payload.manifest_digest, actual);
  }
  if (!identityMatches(rule, image, payload.docker_reference)) {
    return fail(Code::kPermissionDenied,
                "signature identity \"{}\" does not match {} under the policy's signedIdentity",
                payload.docker_reference, intendedOf(image).toString());
  }
  return okStatus();
}

}  // namespace cocoon::image::trust

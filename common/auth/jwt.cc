#include "common/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace dispatch::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("token: ", why));
}

std::shared_ptr<void> Own(EVP_PKEY* key) {
  return std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

bool Base64UrlDecode(absl::string_view in, std::string* out) {
  return absl::WebSafeBase64Unescape(in, out);
}

std::string Base64UrlEncode(absl::string_view in) {
  std::string out;
  absl::WebSafeBase64Escape(in, &out);  // no padding
  return out;
}

bool ParseJsonObject(const std::string& json, Struct* out) {
  return google::protobuf::util::JsonStringToMessage(json, out).ok();
}

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& s, const char* name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

// A string or an array of strings.
std::vector<std::string> StringsField(const Struct& s, const char* name) {
  std::vector<std::string> out;
  const Value* v = Field(s, name);
  if (v == nullptr) return out;
  if (v->kind_case() == Value::kStringValue) {
    out.push_back(v->string_value());
  } else if (v->kind_case() == Value::kListValue) {
    for (const Value& e : v->list_value().values()) {
      if (e.kind_case() == Value::kStringValue) out.push_back(e.string_value());
    }
  }
  return out;
}

// NumericDate (seconds since the epoch); false if absent or not a number.
bool TimeField(const Struct& s, const char* name, absl::Time* out) {
  const Value* v = Field(s, name);
  if (v == nullptr || v->kind_case() != Value::kNumberValue || !std::isfinite(v->number_value())) {
    return false;
  }
  *out = absl::FromUnixMillis(static_cast<int64_t>(v->number_value() * 1000));
  return true;
}

EVP_PKEY* FromJwk(const Struct& jwk, std::string* why) {
  const std::string kty = StringField(jwk, "kty");
  std::string a, b;
  EVP_PKEY* key = nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY_CTX* ctx = nullptr;
  OSSL_PARAM* params = nullptr;
  BIGNUM *n = nullptr, *e = nullptr;
  std::string point;
  if (kty == "EC") {
    if (StringField(jwk, "crv") != "P-256" || !Base64UrlDecode(StringField(jwk, "x"), &a) ||
        !Base64UrlDecode(StringField(jwk, "y"), &b) || a.size() != 32 || b.size() != 32) {
      *why = "an EC key must be P-256 with 32-byte x and y";
    } else {
      point = std::string(1, '\x04') + a + b;  // uncompressed point
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
      ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    }
  } else if (kty == "RSA") {
    if (!Base64UrlDecode(StringField(jwk, "n"), &a) || !Base64UrlDecode(StringField(jwk, "e"), &b) ||
        a.empty() || b.empty()) {
      *why = "an RSA key needs n and e";
    } else {
      n = BN_bin2bn(reinterpret_cast<const unsigned char*>(a.data()), static_cast<int>(a.size()),
                    nullptr);
      e = BN_bin2bn(reinterpret_cast<const unsigned char*>(b.data()), static_cast<int>(b.size()),
                    nullptr);
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
      ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    }
  } else {
    *why = "unsupported kty";
  }
  if (ctx != nullptr) {
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == nullptr || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
      *why = "the key's parameters do not make a key";
      key = nullptr;
    }
  }
  OSSL_PARAM_free(params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return key;
}

// Verifies `signature` over `data` with `key`: ES256 signatures are the raw r || s of RFC 7518,
// which OpenSSL wants as DER.
bool Verify(EVP_PKEY* key, bool ecdsa, absl::string_view data, const std::string& signature) {
  std::string der;
  if (ecdsa) {
    if (signature.size() != 64) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), len);
    OPENSSL_free(out);
  } else {
    der = signature;
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

}  // namespace

const void* KeySet::Find(const std::string& kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.get();
}

absl::StatusOr<KeySet> KeySet::FromPem(const std::map<std::string, std::string>& pem_by_kid) {
  KeySet set;
  for (const auto& [kid, pem] : pem_by_kid) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", kid, "\": not a PEM public key (BEGIN PUBLIC KEY)"));
    }
    set.keys_[kid] = Own(key);
  }
  return set;
}

absl::StatusOr<KeySet> KeySet::FromJwks(absl::string_view json) {
  Struct doc;
  if (!ParseJsonObject(std::string(json), &doc)) {
    return absl::InvalidArgumentError("jwks: not a JSON object");
  }
  const Value* keys = Field(doc, "keys");
  if (keys == nullptr || keys->kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError("jwks: no \"keys\" array");
  }
  KeySet set;
  int i = 0;
  for (const Value& k : keys->list_value().values()) {
    std::string field = absl::StrCat("jwks.keys[", i++, "]");
    if (k.kind_case() != Value::kStructValue) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": not an object"));
    }
    const Struct& jwk = k.struct_value();
    const std::string kid = StringField(jwk, "kid");
    const std::string use = StringField(jwk, "use");
    if (!use.empty() && use != "sig") continue;  // encryption keys are not ours
    if (kid.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": kid required"));
    std::string why;
    EVP_PKEY* key = FromJwk(jwk, &why);
    if (key == nullptr) return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
    set.keys_[kid] = Own(key);
  }
  return set;
}

absl::StatusOr<Claims> VerifyJwt(absl::string_view token, const KeySet& keys,
                                 const Expectations& expect, absl::Time now) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  std::string header_json, payload_json, signature;
  if (parts.size() != 3 || !Base64UrlDecode(parts[0], &header_json) ||
      !Base64UrlDecode(parts[1], &payload_json) || !Base64UrlDecode(parts[2], &signature)) {
    return Refused("not a compact JWS (three base64url parts)");
  }
  Struct header, payload;
  if (!ParseJsonObject(header_json, &header) || !ParseJsonObject(payload_json, &payload)) {
    return Refused("header or payload is not JSON");
  }
  const std::string alg = StringField(header, "alg");
  if (alg != "ES256" && alg != "RS256") {
    return Refused(absl::StrCat("algorithm \"", alg, "\" is not accepted (ES256 or RS256)"));
  }
  const std::string kid = StringField(header, "kid");
  if (kid.empty()) return Refused("no key id (kid) in the header");
  auto* key = static_cast<EVP_PKEY*>(const_cast<void*>(keys.Find(kid)));
  if (key == nullptr) return Refused(absl::StrCat("unknown key id \"", kid, "\""));
  const bool ecdsa = alg == "ES256";
  if (EVP_PKEY_get_base_id(key) != (ecdsa ? EVP_PKEY_EC : EVP_PKEY_RSA)) {
    return Refused(absl::StrCat("key \"", kid, "\" does not sign ", alg));
  }
  const absl::string_view signed_part = token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!Verify(key, ecdsa, signed_part, signature)) return Refused("the signature does not verify");

  Claims c;
  c.subject = StringField(payload, "sub");
  c.issuer = StringField(payload, "iss");
  c.audience = StringsField(payload, "aud");
  c.unit_code = StringField(payload, "unit");
  c.roles = StringsField(payload, "roles");
  c.channels = StringsField(payload, "channels");
  if (!TimeField(payload, "exp", &c.expires)) return Refused("no expiry (exp)");
  if (now >= c.expires + expect.skew) {
    return Refused(absl::StrCat("expired at ", absl::FormatTime(absl::RFC3339_sec, c.expires,
                                                                absl::UTCTimeZone())));
  }
  if (TimeField(payload, "nbf", &c.not_before) && now + expect.skew < c.not_before) {
    return Refused(absl::StrCat("not valid before ",
                                absl::FormatTime(absl::RFC3339_sec, c.not_before,
                                                 absl::UTCTimeZone())));
  }
  if (c.issuer != expect.issuer) {
    return Refused(absl::StrCat("issuer \"", c.issuer, "\" is not \"", expect.issuer, "\""));
  }
  bool audience = false;
  for (const std::string& a : c.audience) audience |= a == expect.audience;
  if (!audience) return Refused(absl::StrCat("audience is not \"", expect.audience, "\""));
  if (c.subject.empty()) return Refused("no subject (sub)");
  return c;
}

absl::StatusOr<std::string> SignJwtEs256(const Claims& c, const std::string& kid,
                                         absl::string_view private_key_pem) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("signing key: not a PEM EC private key");
  }
  Struct header, payload;
  (*header.mutable_fields())["alg"].set_string_value("ES256");
  (*header.mutable_fields())["typ"].set_string_value("JWT");
  (*header.mutable_fields())["kid"].set_string_value(kid);
  auto& f = *payload.mutable_fields();
  f["sub"].set_string_value(c.subject);
  f["iss"].set_string_value(c.issuer);
  for (const std::string& a : c.audience) {
    f["aud"].mutable_list_value()->add_values()->set_string_value(a);
  }
  if (!c.unit_code.empty()) f["unit"].set_string_value(c.unit_code);
  for (const std::string& r : c.roles) f["roles"].mutable_list_value()->add_values()->set_string_value(r);
  for (const std::string& ch : c.channels) {
    f["channels"].mutable_list_value()->add_values()->set_string_value(ch);
  }
  f["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(c.expires)));
  if (c.not_before != absl::InfinitePast()) {
    f["nbf"].set_number_value(static_cast<double>(absl::ToUnixSeconds(c.not_before)));
  }
  std::string header_json, payload_json;
  (void)google::protobuf::util::MessageToJsonString(header, &header_json);
  (void)google::protobuf::util::MessageToJsonString(payload, &payload_json);
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  std::string der;
  bool ok = EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(md, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    der.resize(len);
    ok = EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    der.resize(len);
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  if (!ok) return absl::InternalError("signing failed");
  // DER ECDSA-Sig-Value -> the raw 64 bytes r || s of RFC 7518.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return absl::InternalError("signing: bad ECDSA signature");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return absl::StrCat(signing_input, ".", Base64UrlEncode(raw));
}

}  // namespace dispatch::auth

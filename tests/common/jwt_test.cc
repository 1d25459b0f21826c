// Authentication (issue 14): signed tokens are accepted only as they should be, each refusal
// UNAUTHENTICATED with its reason; client certificates map to configured systems; keys rotate
// without a restart.
#include "common/auth/jwt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/authenticator.h"
#include "common/proto_time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/devpki/dev_pki.h"

namespace dispatch::auth {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795500000);

std::string B64(absl::string_view s) {
  std::string out;
  absl::WebSafeBase64Escape(s, &out);
  return out;
}

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/dispatch-jwt-XXXXXX";
    dir_ = mkdtemp(dir);
    ASSERT_THAT(devpki::Ensure(dir_), IsOk());
    private_pem_ = *devpki::ReadFile(dir_ + "/jwt.key");
    public_pem_ = *devpki::ReadFile(dir_ + "/jwt.pub.pem");
    auto keys = KeySet::FromPem({{"dev-1", public_pem_}});
    ASSERT_THAT(keys, IsOk());
    keys_ = *std::move(keys);
    expect_.issuer = "https://sso.example.gov.cn";
    expect_.audience = "dispatch";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Claims Valid() const {
    Claims c;
    c.subject = "h-cd-wgy";
    c.issuer = expect_.issuer;
    c.audience = {"dispatch"};
    c.unit_code = "430923100001";
    c.roles = {"handler", "no-such-role"};
    c.expires = kNow + absl::Hours(1);
    return c;
  }
  std::string Sign(const Claims& c, const std::string& kid = "dev-1") {
    auto t = SignJwtEs256(c, kid, private_pem_);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : "";
  }
  absl::StatusOr<Claims> Verify(const std::string& token) {
    return VerifyJwt(token, keys_, expect_, kNow);
  }

  std::string dir_, private_pem_, public_pem_;
  KeySet keys_;
  Expectations expect_;
};

TEST_F(TokenTest, AValidTokenGivesItsClaims) {
  auto c = Verify(Sign(Valid()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->subject, "h-cd-wgy");
  EXPECT_EQ(c->unit_code, "430923100001");
  EXPECT_THAT(c->roles, ::testing::ElementsAre("handler", "no-such-role"));
}

TEST_F(TokenTest, EachBadTokenIsUnauthenticatedWithItsReason) {
  Claims expired = Valid();
  expired.expires = kNow - absl::Minutes(5);  // beyond the minute of skew
  EXPECT_THAT(Verify(Sign(expired)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired at")));
  Claims early = Valid();
  early.not_before = kNow + absl::Minutes(5);
  EXPECT_THAT(Verify(Sign(early)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not valid before")));
  Claims issuer = Valid();
  issuer.issuer = "https://evil.example.com";
  EXPECT_THAT(Verify(Sign(issuer)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer")));
  Claims audience = Valid();
  audience.audience = {"another-service"};
  EXPECT_THAT(Verify(Sign(audience)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience")));
  EXPECT_THAT(Verify(Sign(Valid(), "retired-key")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown key id")));
  // Tampered: the payload says another subject, the signature is the original's.
  std::vector<std::string> parts = absl::StrSplit(Sign(Valid()), '.');
  Claims other = Valid();
  other.subject = "admin";
  std::vector<std::string> forged = absl::StrSplit(Sign(other), '.');
  EXPECT_THAT(Verify(absl::StrCat(parts[0], ".", forged[1], ".", parts[2])),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
  EXPECT_THAT(Verify("not.a-token"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("compact JWS")));
}

TEST_F(TokenTest, NoneAndHmacAreRefusedWhateverTheySay) {
  const std::string payload = B64(absl::StrCat(
      R"({"sub":"admin","iss":"https://sso.example.gov.cn","aud":"dispatch","exp":)",
      absl::ToUnixSeconds(kNow) + 3600, R"(,"roles":["admin"]})"));
  // alg=none with an empty signature.
  const std::string none = absl::StrCat(B64(R"({"alg":"none","kid":"dev-1"})"), ".", payload, ".");
  EXPECT_THAT(Verify(none), StatusIs(absl::StatusCode::kUnauthenticated,
                                     HasSubstr("algorithm \"none\" is not accepted")));
  // HS256 keyed with the public key (which everyone has): the classic confusion.
  const std::string input = absl::StrCat(B64(R"({"alg":"HS256","kid":"dev-1"})"), ".", payload);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), public_pem_.data(), static_cast<int>(public_pem_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  const std::string hs = absl::StrCat(input, ".", B64(std::string(reinterpret_cast<char*>(mac), len)));
  EXPECT_THAT(Verify(hs), StatusIs(absl::StatusCode::kUnauthenticated,
                                   HasSubstr("algorithm \"HS256\" is not accepted")));
}

// An RS256 token and a JWK Set with the RSA key, as a single sign-on publishes them.
TEST_F(TokenTest, AnRs256TokenVerifiesAgainstAJwks) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  ASSERT_NE(rsa, nullptr);
  BIGNUM *n = nullptr, *e = nullptr;
  EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_E, &e);
  std::string nb(BN_num_bytes(n), '\0'), eb(BN_num_bytes(e), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
  BN_bn2bin(e, reinterpret_cast<unsigned char*>(eb.data()));
  BN_free(n);
  BN_free(e);
  auto jwks = KeySet::FromJwks(absl::StrCat(R"({"keys":[{"kty":"RSA","kid":"sso-2026","use":"sig","n":")",
                                            B64(nb), R"(","e":")", B64(eb), R"("}]})"));
  ASSERT_THAT(jwks, IsOk());
  const std::string input = absl::StrCat(
      B64(R"({"alg":"RS256","kid":"sso-2026"})"), ".",
      B64(absl::StrCat(R"({"sub":"dispatcher-7","iss":"https://sso.example.gov.cn","aud":["x","dispatch"],"exp":)",
                       absl::ToUnixSeconds(kNow) + 600, "}")));
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, rsa);
  EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(rsa);
  auto c = VerifyJwt(absl::StrCat(input, ".", B64(sig)), *jwks, expect_, kNow);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->subject, "dispatcher-7");
  // The RSA key does not verify an ES256 token that names it.
  EXPECT_THAT(VerifyJwt(Sign(Valid(), "sso-2026"), *jwks, expect_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not sign ES256")));
}

class AuthenticatorTest : public TokenTest {
 protected:
  void SetUp() override {
    TokenTest::SetUp();
    config::v1::AuthOptions o;
    o.set_issuer(expect_.issuer);
    o.set_audience("dispatch");
    auto* key = o.add_keys();
    key->set_kid("dev-1");
    key->set_pem_file(dir_ + "/jwt.pub.pem");
    auto* gw = o.add_clients();
    gw->set_common_name("gw-12345.example.gov.cn");
    gw->set_subject("gateway-12345");
    gw->add_roles("gateway");
    gw->add_channels(v1::CHANNEL_HOTLINE_12345);
    auto a = Authenticator::Create(o, &clock_);
    ASSERT_THAT(a, IsOk());
    auth_ = *std::move(a);
  }
  FakeClock clock_{kNow};
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, ATokenOrAConfiguredCertificateNamesTheCaller) {
  auto p = auth_->Authenticate("Bearer " + Sign(Valid()), "");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->subject, "h-cd-wgy");
  EXPECT_TRUE(p->Has(Role::kHandler));
  EXPECT_EQ(p->roles.size(), 1u);  // the unknown role is ignored
  auto gw = auth_->Authenticate("", "gw-12345.example.gov.cn");
  ASSERT_THAT(gw, IsOk());
  EXPECT_EQ(gw->subject, "gateway-12345");
  EXPECT_TRUE(gw->Has(Role::kGateway));
  EXPECT_TRUE(gw->channels.count(v1::CHANNEL_HOTLINE_12345));
  EXPECT_THAT(auth_->Authenticate("", ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credentials")));
  EXPECT_THAT(auth_->Authenticate("", "stranger.example.com"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not a configured client")));
  EXPECT_THAT(auth_->Authenticate("Basic dXNlcjpwYXNz", ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not a Bearer token")));
}

TEST_F(AuthenticatorTest, ACachedTokenStillExpires) {
  Claims soon = Valid();
  soon.expires = kNow + absl::Minutes(2);
  const std::string bearer = "Bearer " + Sign(soon);
  ASSERT_THAT(auth_->Authenticate(bearer, ""), IsOk());
  clock_.Advance(absl::Minutes(4));  // past exp and its minute of skew
  EXPECT_THAT(auth_->Authenticate(bearer, ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(AuthenticatorTest, ARotatedKeyFileIsReadAgainWithoutARestart) {
  const std::string old_token = "Bearer " + Sign(Valid());
  ASSERT_THAT(auth_->Authenticate(old_token, ""), IsOk());
  // The single sign-on rotates its key: a new key pair under the same key id and file.
  const std::string next = dir_ + "/next";
  ASSERT_THAT(devpki::Ensure(next), IsOk());
  std::filesystem::copy_file(next + "/jwt.pub.pem", dir_ + "/jwt.pub.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::last_write_time(dir_ + "/jwt.pub.pem",
                                   std::filesystem::file_time_type::clock::now() +
                                       std::chrono::seconds(5));
  clock_.Advance(absl::Seconds(2));
  EXPECT_THAT(auth_->Authenticate(old_token, ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
  auto fresh = SignJwtEs256(Valid(), "dev-1", *devpki::ReadFile(next + "/jwt.key"));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_THAT(auth_->Authenticate("Bearer " + *fresh, ""), IsOk());
}

}  // namespace
}  // namespace dispatch::auth

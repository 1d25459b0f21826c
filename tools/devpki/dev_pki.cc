#include "tools/devpki/dev_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/auth/jwt.h"

namespace dispatch::devpki {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

absl::Status WriteFile(const std::string& path, const std::string& text, bool secret) {
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot write"));
    out << text;
  }
  if (secret) chmod(path.c_str(), 0600);
  return absl::OkStatus();
}

std::string Pem(int (*write)(BIO*, void*), void* thing) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, thing);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len);
  BIO_free(bio);
  return out;
}

std::string PrivatePem(EVP_PKEY* key) {
  return Pem([](BIO* b, void* k) {
    return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                    nullptr);
  }, key);
}
std::string PublicPem(EVP_PKEY* key) {
  return Pem([](BIO* b, void* k) { return PEM_write_bio_PUBKEY(b, static_cast<EVP_PKEY*>(k)); },
             key);
}
std::string CertPem(X509* cert) {
  return Pem([](BIO* b, void* c) { return PEM_write_bio_X509(b, static_cast<X509*>(c)); }, cert);
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext != nullptr) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// A certificate for `key` named `cn`, signed by `issuer_key` (self-signed when issuer is null).
CertPtr Certify(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                long serial, bool ca, const char* usage, const char* san) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("dispatch development"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  AddExtension(cert.get(), signer, NID_key_usage,
               ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  if (usage != nullptr) AddExtension(cert.get(), signer, NID_ext_key_usage, usage);
  if (san != nullptr) AddExtension(cert.get(), signer, NID_subject_alt_name, san);
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

struct Ca {
  KeyPtr key{nullptr, EVP_PKEY_free};
  CertPtr cert{nullptr, X509_free};
};

absl::StatusOr<Ca> LoadCa(const std::string& dir) {
  auto cert_pem = ReadFile(dir + "/ca.pem");
  auto key_pem = ReadFile(dir + "/ca.key");
  if (!cert_pem.ok()) return cert_pem.status();
  if (!key_pem.ok()) return key_pem.status();
  Ca ca;
  BIO* bio = BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size()));
  ca.cert.reset(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  bio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
  ca.key.reset(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!ca.cert || !ca.key) return absl::DataLossError(absl::StrCat(dir, ": ca.pem/ca.key unreadable"));
  return ca;
}

}  // namespace

absl::Status Ensure(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": ", ec.message()));
  chmod(dir.c_str(), 0700);
  if (std::filesystem::exists(dir + "/ca.pem")) return absl::OkStatus();
  KeyPtr ca_key = NewKey(), server_key = NewKey(), jwt_key = NewKey();
  CertPtr ca = Certify(ca_key.get(), "dispatch development CA", nullptr, nullptr, 1, true, nullptr,
                       nullptr);
  CertPtr server = Certify(server_key.get(), "localhost", ca.get(), ca_key.get(), 2, false,
                           "serverAuth", "DNS:localhost,IP:127.0.0.1");
  for (auto [file, text, secret] :
       {std::tuple{"/ca.key", PrivatePem(ca_key.get()), true},
        std::tuple{"/server.key", PrivatePem(server_key.get()), true},
        std::tuple{"/server.pem", CertPem(server.get()), false},
        std::tuple{"/jwt.key", PrivatePem(jwt_key.get()), true},
        std::tuple{"/jwt.pub.pem", PublicPem(jwt_key.get()), false},
        // Last: its presence says the set is complete.
        std::tuple{"/ca.pem", CertPem(ca.get()), false}}) {
    if (absl::Status s = WriteFile(dir + file, text, secret); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status IssueClient(const std::string& dir, const std::string& name,
                         const std::string& common_name) {
  auto ca = LoadCa(dir);
  if (!ca.ok()) return ca.status();
  KeyPtr key = NewKey();
  // Serials need only be unique under the CA: 62 random bits.
  const long serial = static_cast<long>(std::random_device{}()) << 30 ^ std::random_device{}();
  CertPtr cert = Certify(key.get(), common_name, ca->cert.get(), ca->key.get(),
                         serial & 0x3fffffffffffffffL, false, "clientAuth", nullptr);
  if (absl::Status s = WriteFile(absl::StrCat(dir, "/", name, ".key"), PrivatePem(key.get()), true);
      !s.ok()) {
    return s;
  }
  return WriteFile(absl::StrCat(dir, "/", name, ".pem"), CertPem(cert.get()), false);
}

void Configure(const std::string& dir, config::v1::DispatchConfig* config) {
  config::v1::TlsOptions* tls = config->mutable_tls();
  if (!tls->plaintext_on_loopback() && tls->cert_file().empty()) {
    tls->set_cert_file(dir + "/server.pem");
    tls->set_key_file(dir + "/server.key");
  }
  if (tls->client_ca_file().empty()) tls->set_client_ca_file(dir + "/ca.pem");
  config::v1::AuthOptions* auth = config->mutable_auth();
  if (auth->issuer().empty()) auth->set_issuer(kDevIssuer);
  if (auth->audience().empty()) auth->set_audience(kDevAudience);
  if (auth->jwks_file().empty() && auth->keys().empty()) {
    config::v1::KeyFile* key = auth->add_keys();
    key->set_kid(kDevKeyId);
    key->set_pem_file(dir + "/jwt.pub.pem");
  }
}

absl::StatusOr<std::string> MintToken(const std::string& dir, const std::string& subject,
                                      const std::string& unit_code,
                                      const std::vector<std::string>& roles,
                                      const std::vector<std::string>& channels, absl::Time now,
                                      absl::Duration ttl) {
  absl::StatusOr<std::string> key = ReadFile(dir + "/jwt.key");
  if (!key.ok()) {
    return absl::NotFoundError(absl::StrCat(
        dir, "/jwt.key: no development signing key here (tokens of a deployment with its own "
             "single sign-on come from it)"));
  }
  auth::Claims claims;
  claims.subject = subject;
  claims.issuer = kDevIssuer;
  claims.audience = {kDevAudience};
  claims.unit_code = unit_code;
  claims.roles = roles;
  claims.channels = channels;
  claims.not_before = now - absl::Minutes(1);
  claims.expires = now + ttl;
  return auth::SignJwtEs256(claims, kDevKeyId, *key);
}

}  // namespace dispatch::devpki

#include "auth/certificate.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace lp2p::auth {
namespace {

constexpr auto kValidity = std::chrono::hours(24 * 365);
constexpr auto kBackdate = std::chrono::hours(24);  // tolerate peers whose clocks run behind

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct BigNumDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

Error failed(const std::string& what) {
  return make_error(Errc::invalid_argument, "agent certificate: " + what);
}

Result<void> set_common_name(X509_NAME* name, const std::string& cn) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()),
                                 static_cast<int>(cn.size()), -1, 0) != 1) {
    return failed("cannot set CN \"" + cn + "\"");
  }
  return {};
}

Result<void> add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const std::unique_ptr<X509_EXTENSION, ExtensionDeleter> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return failed("cannot add extension " + value);
  return {};
}

}  // namespace

Result<std::vector<std::uint8_t>> make_agent_certificate(EVP_PKEY* key,
                                                         const CertificateRequest& request) {
  if (request.hostname.empty() || request.hostname.size() > 255) return failed("bad hostname");
  const std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return failed("out of memory");  // 2 = v3

  const auto serial_bytes = request.serial.bytes();
  const std::unique_ptr<BIGNUM, BigNumDeleter> serial(
      BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return failed("cannot set the serial");
  }

  const auto seconds = [](auto d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  };
  std::time_t now = std::chrono::system_clock::to_time_t(request.now);  // OpenSSL takes time_t*
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -seconds(kBackdate), &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, seconds(kValidity), &now) == nullptr) {
    return failed("cannot set the validity");
  }

  LP2P_TRY(set_common_name(X509_get_subject_name(cert.get()), request.hostname));
  LP2P_TRY(set_common_name(X509_get_issuer_name(cert.get()),
                           request.model_name.empty() ? "lp2p" : request.model_name));
  if (X509_set_pubkey(cert.get(), key) != 1) return failed("cannot set the public key");

  LP2P_TRY(add_extension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  LP2P_TRY(add_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  LP2P_TRY(add_extension(cert.get(), NID_subject_alt_name, "DNS:" + request.hostname));

  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return failed("signing failed");
  const int size = i2d_X509(cert.get(), nullptr);
  if (size <= 0) return failed("cannot encode");
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* p = der.data();
  i2d_X509(cert.get(), &p);
  return der;
}

}  // namespace lp2p::auth

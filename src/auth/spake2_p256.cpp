// SPAKE2-P256-SHA256-HKDF-HMAC (RFC 9382, osp-brief §4.7) on OpenSSL's EC_POINT arithmetic.
//
// Every multiplication is by one secret scalar at a time (x·P, w·M, ...): OpenSSL takes its
// constant-time path for a single scalar, but not necessarily for the two-scalar form of
// EC_POINT_mul, and w is as secret as x.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <string>

#include "auth/spake2_profile.hpp"
#include "auth/spake2_suite.hpp"
#include "common/hex.hpp"

namespace lp2p::auth {
namespace {

namespace profile = spake2_profile;

struct GroupDeleter {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointDeleter {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
struct BigNumDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BigNumContextDeleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct DigestDeleter {
  void operator()(EVP_MD* d) const { EVP_MD_free(d); }
};
struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacContextDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct KdfDeleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfContextDeleter {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

using Point = std::unique_ptr<EC_POINT, PointDeleter>;
using BigNum = std::unique_ptr<BIGNUM, BigNumDeleter>;
using BigNumContext = std::unique_ptr<BN_CTX, BigNumContextDeleter>;

Error openssl_failed(const std::string& what) {
  return make_error(Errc::io_error, "SPAKE2: OpenSSL could not " + what);
}

Error bad_peer(const std::string& what) {
  return make_error(Errc::protocol_error, "SPAKE2: the peer's public value " + what);
}

// A secret integer: OpenSSL's constant-time code paths, wiped when freed.
BigNum secret_number(std::span<const std::uint8_t> bytes) {
  BigNum n(BN_secure_new());
  if (!n || BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), n.get()) == nullptr) return {};
  BN_set_flags(n.get(), BN_FLG_CONSTTIME);
  return n;
}

class P256Suite final : public Spake2GroupSuite {
 public:
  P256Suite() {
    group_.reset(EC_GROUP_new_by_curve_name(profile::kCurveNid));
    const BigNumContext ctx(BN_CTX_new());
    if (!group_ || !ctx) {
      init_error_ = "create the P-256 group";
      return;
    }
    order_ = EC_GROUP_get0_order(group_.get());
    auto order_bytes = from_hex(profile::kOrderHex);
    std::array<std::uint8_t, profile::kScalarSize> actual{};
    if (!order_bytes ||
        BN_bn2binpad(order_, actual.data(), static_cast<int>(actual.size())) !=
            static_cast<int>(actual.size()) ||
        *order_bytes != std::vector<std::uint8_t>(actual.begin(), actual.end())) {
      init_error_ = "confirm the P-256 order of the SPAKE2 profile";
      return;
    }
    m_ = decode_constant(profile::kMHex, ctx.get());
    n_ = decode_constant(profile::kNHex, ctx.get());
    // The C strings behind these string_views are the literals of spake2_profile.hpp.
    digest_.reset(EVP_MD_fetch(nullptr, profile::kDigestName.data(), nullptr));
    mac_.reset(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
    kdf_.reset(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
    if (!m_ || !n_ || !digest_ || !mac_ || !kdf_)
      init_error_ = "set up the constants and primitives of " + std::string(profile::kSuiteName);
  }

  [[nodiscard]] std::string_view name() const override { return profile::kSuiteName; }
  [[nodiscard]] std::size_t public_value_size() const override { return profile::kPublicValueSize; }
  [[nodiscard]] std::size_t confirmation_size() const override {
    return profile::kConfirmationSize;
  }
  [[nodiscard]] std::size_t scalar_size() const override { return profile::kScalarSize; }
  [[nodiscard]] std::size_t hash_size() const override { return profile::kHashSize; }
  [[nodiscard]] std::size_t confirmation_keys_size() const override {
    return profile::kConfirmationKeysSize;
  }
  [[nodiscard]] std::string_view confirmation_keys_info() const override {
    return profile::kConfirmationKeysInfo;
  }

  [[nodiscard]] Result<SecretBytes> reduce_to_scalar(
      std::span<const std::uint8_t> bytes) const override {
    LP2P_TRY(ready());
    const BigNumContext ctx(BN_CTX_secure_new());
    const BigNum value = secret_number(bytes);
    const BigNum reduced(BN_secure_new());
    if (!ctx || !value || !reduced || BN_nnmod(reduced.get(), value.get(), order_, ctx.get()) != 1)
      return openssl_failed("reduce a hash modulo the order");
    return scalar_bytes(reduced.get());
  }

  [[nodiscard]] Result<SecretBytes> random_scalar() const override {
    LP2P_TRY(ready());
    const BigNum value(BN_secure_new());
    if (!value) return openssl_failed("allocate a scalar");
    do {
      if (BN_priv_rand_range(value.get(), order_) != 1)
        return openssl_failed("draw a random scalar (CSPRNG failure)");
    } while (BN_is_zero(value.get()) == 1);
    return scalar_bytes(value.get());
  }

  [[nodiscard]] Result<SecretBytes> import_scalar(
      std::span<const std::uint8_t> bytes) const override {
    LP2P_TRY(ready());
    if (bytes.size() > profile::kScalarSize) {
      return make_error(
          Errc::invalid_argument,
          "SPAKE2: a P-256 scalar has at most 32 bytes, not " + std::to_string(bytes.size()));
    }
    const BigNum value = secret_number(bytes);
    if (!value) return openssl_failed("allocate a scalar");
    if (BN_cmp(value.get(), order_) >= 0)
      return make_error(Errc::invalid_argument, "SPAKE2: the scalar is not below the P-256 order");
    return scalar_bytes(value.get());
  }

  [[nodiscard]] Result<std::vector<std::uint8_t>> public_value(
      Spake2Role role, const SecretBytes& w, const SecretBytes& s) const override {
    LP2P_TRY(ready());
    const BigNumContext ctx(BN_CTX_secure_new());
    const BigNum w_number = secret_number(w.view());
    const BigNum s_number = secret_number(s.view());
    const Point result(EC_POINT_new(group_.get()));
    const Point blind(EC_POINT_new(group_.get()));
    const EC_POINT* own_blind = role == Spake2Role::alice ? m_.get() : n_.get();
    if (!ctx || !w_number || !s_number || !result || !blind ||
        EC_POINT_mul(group_.get(), result.get(), s_number.get(), nullptr, nullptr, ctx.get()) !=
            1 ||
        EC_POINT_mul(group_.get(), blind.get(), nullptr, own_blind, w_number.get(), ctx.get()) !=
            1 ||
        EC_POINT_add(group_.get(), result.get(), result.get(), blind.get(), ctx.get()) != 1) {
      return openssl_failed("compute the public value");
    }
    if (EC_POINT_is_at_infinity(group_.get(), result.get()) == 1)
      return make_error(Errc::invalid_argument, "SPAKE2: the public value is the identity");
    auto encoded = encode(result.get(), ctx.get());
    if (encoded.size() == 0) return openssl_failed("encode the public value");
    return std::move(encoded.bytes());
  }

  [[nodiscard]] Result<SecretBytes> shared_element(
      Spake2Role role, const SecretBytes& w, const SecretBytes& s,
      std::span<const std::uint8_t> peer) const override {
    LP2P_TRY(ready());
    if (peer.size() == 1 && peer[0] == 0x00) return bad_peer("is the point at infinity");
    if (peer.size() != profile::kPublicValueSize) {
      return bad_peer("has " + std::to_string(peer.size()) +
                      " bytes; expected 65 (an uncompressed P-256 point)");
    }
    if (peer[0] != POINT_CONVERSION_UNCOMPRESSED)
      return bad_peer("is not an uncompressed point (its first byte is not 0x04)");
    const BigNumContext ctx(BN_CTX_secure_new());
    const Point peer_point(EC_POINT_new(group_.get()));
    if (!ctx || !peer_point) return openssl_failed("allocate a point");
    if (EC_POINT_oct2point(group_.get(), peer_point.get(), peer.data(), peer.size(), ctx.get()) !=
            1 ||
        EC_POINT_is_on_curve(group_.get(), peer_point.get(), ctx.get()) != 1) {
      return bad_peer("is not a point on P-256");
    }
    if (EC_POINT_is_at_infinity(group_.get(), peer_point.get()) == 1)
      return bad_peer("is the point at infinity");

    const BigNum w_number = secret_number(w.view());
    const BigNum s_number = secret_number(s.view());
    const Point unblinded(EC_POINT_new(group_.get()));
    const Point shared(EC_POINT_new(group_.get()));
    const EC_POINT* peer_blind = role == Spake2Role::alice ? n_.get() : m_.get();
    // K = s·(peer − w·blind); the cofactor is 1.
    if (!w_number || !s_number || !unblinded || !shared ||
        EC_POINT_mul(group_.get(), unblinded.get(), nullptr, peer_blind, w_number.get(),
                     ctx.get()) != 1 ||
        EC_POINT_invert(group_.get(), unblinded.get(), ctx.get()) != 1 ||
        EC_POINT_add(group_.get(), unblinded.get(), peer_point.get(), unblinded.get(), ctx.get()) !=
            1 ||
        EC_POINT_mul(group_.get(), shared.get(), nullptr, unblinded.get(), s_number.get(),
                     ctx.get()) != 1) {
      return openssl_failed("compute the shared element K");
    }
    if (EC_POINT_is_at_infinity(group_.get(), shared.get()) == 1) {
      return make_error(Errc::protocol_error,
                        "SPAKE2: the shared element K is the identity; the exchange is aborted");
    }
    auto encoded = encode(shared.get(), ctx.get());
    if (encoded.size() == 0) return openssl_failed("encode K");
    return encoded;
  }

  [[nodiscard]] Result<SecretBytes> hash(std::span<const std::uint8_t> data) const override {
    LP2P_TRY(ready());
    SecretBytes out(profile::kHashSize);
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), out.bytes().data(), &size, digest_.get(), nullptr) !=
            1 ||
        size != out.size()) {
      return openssl_failed("hash the transcript");
    }
    return out;
  }

  [[nodiscard]] Result<SecretBytes> kdf(std::span<const std::uint8_t> ikm, std::string_view info,
                                        std::size_t size) const override {
    LP2P_TRY(ready());
    const std::unique_ptr<EVP_KDF_CTX, KdfContextDeleter> ctx(EVP_KDF_CTX_new(kdf_.get()));
    if (!ctx) return openssl_failed("create an HKDF context");
    // No salt parameter: HKDF then uses HashLen zero bytes, which RFC 5869 makes equal to "empty".
    // NOLINTBEGIN(*-const-cast): OSSL_PARAM has non-const pointers; OpenSSL only reads these.
    std::array<OSSL_PARAM, 4> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                         const_cast<char*>(profile::kDigestName.data()),
                                         profile::kDigestName.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(ikm.data()),
                                          ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                          info.size()),
        OSSL_PARAM_construct_end()};
    // NOLINTEND(*-const-cast)
    SecretBytes out(size);
    if (EVP_KDF_derive(ctx.get(), out.bytes().data(), out.size(), params.data()) != 1)
      return openssl_failed("derive the confirmation keys (HKDF)");
    return out;
  }

  [[nodiscard]] Result<std::vector<std::uint8_t>> mac(
      std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) const override {
    LP2P_TRY(ready());
    const std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> ctx(EVP_MAC_CTX_new(mac_.get()));
    // NOLINTBEGIN(*-const-cast): OSSL_PARAM has non-const pointers; OpenSSL only reads these.
    std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         const_cast<char*>(profile::kDigestName.data()),
                                         profile::kDigestName.size()),
        OSSL_PARAM_construct_end()};
    // NOLINTEND(*-const-cast)
    std::vector<std::uint8_t> out(profile::kConfirmationSize);
    std::size_t size = 0;
    if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params.data()) != 1 ||
        EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &size, out.size()) != 1 || size != out.size()) {
      return openssl_failed("compute a confirmation (HMAC)");
    }
    return out;
  }

 private:
  [[nodiscard]] Result<void> ready() const {
    if (!init_error_.empty()) return openssl_failed(init_error_);
    return {};
  }

  Point decode_constant(std::string_view hex, BN_CTX* ctx) const {
    const auto bytes = from_hex(hex);
    Point point(EC_POINT_new(group_.get()));
    if (!bytes || !point ||
        EC_POINT_oct2point(group_.get(), point.get(), bytes->data(), bytes->size(), ctx) != 1) {
      return {};
    }
    return point;
  }

  [[nodiscard]] static Result<SecretBytes> scalar_bytes(const BIGNUM* value) {
    SecretBytes out(profile::kScalarSize);
    if (BN_bn2binpad(value, out.bytes().data(), static_cast<int>(out.size())) !=
        static_cast<int>(out.size())) {
      return openssl_failed("encode a scalar");
    }
    return out;
  }

  [[nodiscard]] SecretBytes encode(const EC_POINT* point, BN_CTX* ctx) const {
    SecretBytes out(profile::kPublicValueSize);
    if (EC_POINT_point2oct(group_.get(), point, POINT_CONVERSION_UNCOMPRESSED, out.bytes().data(),
                           out.size(), ctx) != out.size()) {
      return {};
    }
    return out;
  }

  std::unique_ptr<EC_GROUP, GroupDeleter> group_;
  const BIGNUM* order_ = nullptr;  // owned by group_
  Point m_;
  Point n_;
  std::unique_ptr<EVP_MD, DigestDeleter> digest_;
  std::unique_ptr<EVP_MAC, MacDeleter> mac_;
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf_;
  std::string init_error_;  // empty when the suite is usable
};

}  // namespace

const Spake2Suite& p256_sha256_suite() {
  static const P256Suite suite;
  return suite;
}

}  // namespace lp2p::auth

#include "auth/spake2.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "auth/psk_code.hpp"
#include "auth/spake2_suite.hpp"

namespace lp2p::auth {
namespace {

const std::vector<std::uint8_t>& no_bytes() {
  static const std::vector<std::uint8_t> empty;
  return empty;
}

Result<const Spake2GroupSuite*> group_suite(const Spake2Suite& suite) {
  const auto* group = dynamic_cast<const Spake2GroupSuite*>(&suite);
  if (group == nullptr) {
    return make_error(Errc::invalid_argument,
                      "SPAKE2: suite " + std::string(suite.name()) + " is not implemented here");
  }
  return group;
}

Result<SecretBytes> derive_w(const Spake2GroupSuite& suite, std::uint64_t psk, PasswordHash hash) {
  const auto pw = psk_password(psk);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const EVP_MD* md = hash == PasswordHash::sha512 ? EVP_sha512() : EVP_sha256();
  if (EVP_Digest(pw.data(), pw.size(), digest.data(), &size, md, nullptr) != 1)
    return make_error(Errc::io_error, "SPAKE2: OpenSSL could not hash the password");
  auto w = suite.reduce_to_scalar(std::span(digest).first(size));
  OPENSSL_cleanse(digest.data(), digest.size());
  return w;
}

// RFC 9382 §3.3: each TT field is its length as 8 bytes little-endian, then the field.
void append_field(std::vector<std::uint8_t>& tt, std::span<const std::uint8_t> field) {
  std::uint64_t size = field.size();
  for (int i = 0; i < 8; ++i, size >>= 8U) tt.push_back(static_cast<std::uint8_t>(size & 0xffU));
  tt.insert(tt.end(), field.begin(), field.end());
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

struct Spake2Party::State {
  State(const Spake2GroupSuite& group, const Params& params, SecretBytes w_scalar,
        SecretBytes secret)
      : suite(&group),
        role(params.role),
        identity_a(params.identity_a),
        identity_b(params.identity_b),
        w(std::move(w_scalar)),
        scalar(std::move(secret)) {}

  Result<void> compute_public_value() {
    auto value = suite->public_value(role, w, scalar);
    if (!value) return std::move(value).error();
    public_value = std::move(*value);
    return {};
  }

  const Spake2GroupSuite* suite;
  Spake2Role role;
  std::string identity_a;
  std::string identity_b;
  SecretBytes w;
  SecretBytes scalar;  // x (Alice) or y (Bob)
  std::vector<std::uint8_t> public_value;
  bool received = false;  // receive_peer_public_value() was called
  std::vector<std::uint8_t> confirmation;
  SecretBytes expected_peer_confirmation;
  SecretBytes shared_secret;  // Ke
};

Result<std::vector<std::uint8_t>> spake2_password_scalar(const Spake2Suite& suite,
                                                         std::uint64_t psk, PasswordHash hash) {
  auto group = group_suite(suite);
  if (!group) return std::move(group).error();
  auto w = derive_w(**group, psk, hash);
  if (!w) return std::move(w).error();
  return w->bytes();
}

Result<Spake2Party> Spake2Party::start(const Spake2Suite& suite, const Params& params,
                                       std::uint64_t psk, PasswordHash hash) {
  auto group = group_suite(suite);
  if (!group) return std::move(group).error();
  auto w = derive_w(**group, psk, hash);
  if (!w) return std::move(w).error();
  auto scalar = (*group)->random_scalar();
  if (!scalar) return std::move(scalar).error();
  auto state = std::make_unique<State>(**group, params, std::move(*w), std::move(*scalar));
  LP2P_TRY(state->compute_public_value());
  return Spake2Party(std::move(state));
}

Result<Spake2Party> Spake2Party::start_with(const Spake2Suite& suite, const Params& params,
                                            std::span<const std::uint8_t> w,
                                            std::span<const std::uint8_t> scalar) {
  auto group = group_suite(suite);
  if (!group) return std::move(group).error();
  auto w_scalar = (*group)->import_scalar(w);
  if (!w_scalar) return std::move(w_scalar).error();
  auto secret = (*group)->import_scalar(scalar);
  if (!secret) return std::move(secret).error();
  auto state = std::make_unique<State>(**group, params, std::move(*w_scalar), std::move(*secret));
  LP2P_TRY(state->compute_public_value());
  return Spake2Party(std::move(state));
}

Spake2Party::Spake2Party(std::unique_ptr<State> state) : state_(std::move(state)) {}
Spake2Party::Spake2Party(Spake2Party&&) noexcept = default;
Spake2Party& Spake2Party::operator=(Spake2Party&&) noexcept = default;
Spake2Party::~Spake2Party() = default;

const std::vector<std::uint8_t>& Spake2Party::public_value() const {
  return state_ ? state_->public_value : no_bytes();
}

Result<void> Spake2Party::receive_peer_public_value(std::span<const std::uint8_t> peer) {
  if (!state_) return make_error(Errc::invalid_argument, "SPAKE2: the party was moved from");
  if (state_->received) {
    return make_error(Errc::invalid_argument,
                      "SPAKE2: the peer's public value was already received (one per attempt)");
  }
  state_->received = true;
  const Spake2GroupSuite& suite = *state_->suite;
  auto shared = suite.shared_element(state_->role, state_->w, state_->scalar, peer);
  if (!shared) return std::move(shared).error();

  const bool alice = state_->role == Spake2Role::alice;
  const std::span<const std::uint8_t> p_a = alice ? state_->public_value : peer;
  const std::span<const std::uint8_t> p_b = alice ? peer : state_->public_value;
  SecretBytes tt;
  append_field(tt.bytes(), bytes_of(state_->identity_a));
  append_field(tt.bytes(), bytes_of(state_->identity_b));
  append_field(tt.bytes(), p_a);
  append_field(tt.bytes(), p_b);
  append_field(tt.bytes(), shared->view());
  append_field(tt.bytes(), state_->w.view());

  // H(TT) = Ke || Ka; KDF(Ka, nil, info || AAD) = KcA || KcB (AAD is empty in OSP).
  auto digest = suite.hash(tt.view());
  if (!digest) return std::move(digest).error();
  const auto halves = digest->view();
  const std::size_t half = halves.size() / 2;
  auto confirmation_keys = suite.kdf(halves.subspan(half), suite.confirmation_keys_info(),
                                     suite.confirmation_keys_size());
  if (!confirmation_keys) return std::move(confirmation_keys).error();
  const auto keys = confirmation_keys->view();
  const std::size_t key_size = keys.size() / 2;
  auto c_a = suite.mac(keys.first(key_size), tt.view());
  if (!c_a) return std::move(c_a).error();
  auto c_b = suite.mac(keys.subspan(key_size), tt.view());
  if (!c_b) return std::move(c_b).error();

  state_->shared_secret = SecretBytes(halves.first(half));
  auto& ours = alice ? *c_a : *c_b;
  auto& theirs = alice ? *c_b : *c_a;
  state_->confirmation = std::move(ours);
  state_->expected_peer_confirmation = SecretBytes(theirs);
  OPENSSL_cleanse(theirs.data(), theirs.size());
  return {};
}

const std::vector<std::uint8_t>& Spake2Party::confirmation() const {
  return state_ ? state_->confirmation : no_bytes();
}

bool Spake2Party::check_peer_confirmation(std::span<const std::uint8_t> peer) const {
  if (!state_) return false;
  const auto& expected = state_->expected_peer_confirmation;
  return expected.size() != 0 && peer.size() == expected.size() &&
         CRYPTO_memcmp(peer.data(), expected.bytes().data(), expected.size()) == 0;
}

const std::vector<std::uint8_t>& Spake2Party::shared_secret() const {
  return state_ ? state_->shared_secret.bytes() : no_bytes();
}

}  // namespace lp2p::auth

// auth-capabilities, auth-spake2-handshake, auth-spake2-confirmation, auth-status
// (network_messages.cddl; type keys 1001, 1005, 1003, 1004).
#include "wire/codec_detail.hpp"

namespace lp2p::wire::detail {
namespace {

Result<AuthInitiationToken> decode_token(CborCursor& c, const Where& where) {
  AuthInitiationToken token;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(token.token, read_text(c, where.at(0, "token")));
  });
  if (!seen) return std::move(seen).error();
  return token;
}

}  // namespace

void encode_body(CborWriter& w, const AuthCapabilities& m) {
  w.map(3);
  w.uint(0);
  w.uint(m.psk_ease_of_input);
  w.uint(1);
  w.array_of(m.psk_input_methods, [&](PskInputMethod p) { w.uint(static_cast<std::uint64_t>(p)); });
  w.uint(2);
  w.uint(m.psk_min_bits_of_entropy);
}

void encode_body(CborWriter& w, const AuthSpake2Handshake& m) {
  w.map(m.public_value ? 3 : 2);
  w.uint(0);
  w.map(m.initiation_token.token ? 1 : 0);
  if (m.initiation_token.token) {
    w.uint(0);
    w.text(*m.initiation_token.token);
  }
  w.uint(1);
  w.uint(static_cast<std::uint64_t>(m.psk_status));
  if (m.public_value) {
    w.uint(2);
    w.bytes(*m.public_value);
  }
}

void encode_body(CborWriter& w, const AuthSpake2Confirmation& m) {
  w.map(1);
  w.uint(0);
  w.bytes(m.confirmation_value);
}

void encode_body(CborWriter& w, const AuthStatus& m) {
  w.map(1);
  w.uint(0);
  w.uint(static_cast<std::uint64_t>(m.result));
}

Result<Message> decode_auth_capabilities(CborCursor& c, const Where& where) {
  AuthCapabilities m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.psk_ease_of_input, read_uint(c, where.at(0, "psk-ease-of-input")));
      case 1:
        return store(m.psk_input_methods,
                     read_array<PskInputMethod>(c, where.at(1, "psk-input-methods"),
                                                read_enum<PskInputMethod>));
      case 2:
        return store(m.psk_min_bits_of_entropy,
                     read_uint(c, where.at(2, "psk-min-bits-of-entropy")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  // psk-min-bits-of-entropy is required in the CDDL but has a "default of 20" in the prose
  // (osp-brief §7 #30): a missing one is left at 0 for the auth layer to apply its default.
  LP2P_TRY(require(*seen, where, {{0, "psk-ease-of-input"}}));
  return Message{std::move(m)};
}

Result<Message> decode_auth_spake2_handshake(CborCursor& c, const Where& where) {
  AuthSpake2Handshake m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.initiation_token, decode_token(c, where.at(0, "initiation-token")));
      case 1:
        return store(m.psk_status, read_enum<PskStatus>(c, where.at(1, "psk-status")));
      case 2:
        return store(m.public_value, read_bytes(c, where.at(2, "public-value")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  // go-lp2p sends an empty token map and may omit the public value (osp-brief §4.5, §8).
  LP2P_TRY(require(*seen, where, {{1, "psk-status"}}));
  return Message{std::move(m)};
}

Result<Message> decode_auth_spake2_confirmation(CborCursor& c, const Where& where) {
  AuthSpake2Confirmation m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(m.confirmation_value, read_bytes(c, where.at(0, "confirmation-value")));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "confirmation-value"}}));
  return Message{std::move(m)};
}

Result<Message> decode_auth_status(CborCursor& c, const Where& where) {
  AuthStatus m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(m.result, read_enum<AuthStatusResult>(c, where.at(0, "result")));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "result"}}));
  return Message{m};
}

}  // namespace lp2p::wire::detail

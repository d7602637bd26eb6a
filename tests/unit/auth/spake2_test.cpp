#include "auth/spake2.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "auth/spake2_profile.hpp"
#include "common/hex.hpp"

namespace lp2p::auth {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? *bytes : Bytes{};
}

// RFC 9382 Appendix B (osp-brief §4.9): inputs and the values both sides must produce.
struct Vector {
  std::string a, b, w, x, y, p_a, p_b, ke, c_a, c_b;
};

// Ke is the first half of H(TT), as printed in the brief.
const std::vector<Vector>& rfc_vectors() {
  static const std::vector<Vector> vectors = {
      {"server", "client", "2ee57912099d31560b3a44b1184b9b4866e904c49d12ac5042c97dca461b1a5f",
       "43dd0fd7215bdcb482879fca3220c6a968e66d70b1356cac18bb26c84a78d729",
       "dcb60106f276b02606d8ef0a328c02e4b629f84f89786af5befb0bc75b6e66be",
       "04a56fa807caaa53a4d28dbb9853b9815c61a411118a6fe516a8798434751470f9010153ac33d0d5f2047ffdb1a"
       "3e42c9b4e6be662766e1eeb4116988ede5f912c",
       "0406557e482bd03097ad0cbaa5df82115460d951e3451962f1eaf4367a420676d09857ccbc522686c83d1852abf"
       "a8ed6e4a1155cf8f1543ceca528afb591a1e0b7",
       "0e0672dc86f8e45565d338b0540abe69",
       "58ad4aa88e0b60d5061eb6b5dd93e80d9c4f00d127c65b3b35b1b5281fee38f0",
       "d3e2e547f1ae04f2dbdbf0fc4b79f8ecff2dff314b5d32fe9fcef2fb26dc459b"},
      {"", "client", "0548d8729f730589e579b0475a582c1608138ddf7054b73b5381c7e883e2efae",
       "403abbe3b1b4b9ba17e3032849759d723939a27a27b9d921c500edde18ed654b",
       "903023b6598908936ea7c929bd761af6039577a9c3f9581064187c3049d87065",
       "04a897b769e681c62ac1c2357319a3d363f610839c4477720d24cbe32f5fd85f44fb92ba966578c1b712be69624"
       "98834078262caa5b441ecfa9d4a9485720e918a",
       "04e0f816fd1c35e22065d5556215c097e799390d16661c386e0ecc84593974a61b881a8c82327687d0501862970"
       "c64565560cb5671f696048050ca66ca5f8cc7fc",
       "642f05c473c2cd79909f9a841e2f30a7",
       "47d29e6666af1b7dd450d571233085d7a9866e4d49d2645e2df975489521232b",
       "3313c5cefc361d27fb16847a91c2a73b766ffa90a4839122a9b70a2f6bd1d6df"},
      {"server", "", "626e0cdc7b14c9db3e52a0b1b3a768c98e37852d5db30febe0497b14eae8c254",
       "07adb3db6bc623d3399726bfdbfd3d15a58ea776ab8a308b00392621291f9633",
       "b6a4fc8dbb629d4ba51d6f91ed1532cf87adec98f25dd153a75accafafedec16",
       "04f88fb71c99bfffaea370966b7eb99cd4be0ff1a7d335caac4211c4afd855e2e15a873b298503ad8ba1d9cbb9a"
       "392d2ba309b48bfd7879aefd0f2cea6009763b0",
       "040c269d6be017dccb15182ac6bfcd9e2a14de019dd587eaf4bdfd353f031101e7cca177f8eb362a6e83e7d5e72"
       "9c0732e1b528879c086f39ba0f31a9661bd34db",
       "005184ff460da2ce59062c87733c299c",
       "bc9f9bbe99f26d0b2260e6456e05a86196a3307ec6663a18bf6ac825736533b2",
       "c2370e1bf813b086dff0d834e74425a06e6390f48f5411900276dcccc5a297ec"},
      {"", "", "7bf46c454b4c1b25799527d896508afd5fc62ef4ec59db1efb49113063d70cca",
       "8cef65df64bb2d0f83540c53632de911b5b24b3eab6cc74a97609fd659e95473",
       "d7a66f64074a84652d8d623a92e20c9675c61cb5b4f6a0063e4648a2fdc02d53",
       "04a65b367a3f613cf9f0654b1b28a1e3a8a40387956c8ba6063e8658563890f46ca1ef6a676598889fc28de2950"
       "ab8120b79a5ef1ea4c9f44bc98f585634b46d66",
       "04589f13218822710d98d8b2123a079041052d9941b9cf88c6617ddb2fcc0494662eea8ba6b64692dc318250030"
       "c6af045cb738bc81ba35b043c3dcb46adf6f58d",
       "fc6374762ba5cf11f4b2caa08b2cd1b9",
       "dfb4db8d48ae5a675963ea5e6c19d98d4ea028d8e898dad96ea19a80ade95dca",
       "d0f0609d1613138d354f7e95f19fb556bf52d751947241e8c7118df5ef0ae175"},
  };
  return vectors;
}

Spake2Party::Params params(Spake2Role role, std::string a, std::string b) {
  return {role, std::move(a), std::move(b)};
}

Spake2Party party_with(Spake2Role role, const std::string& a, const std::string& b, const Bytes& w,
                       const Bytes& scalar) {
  auto party = Spake2Party::start_with(p256_sha256_suite(), params(role, a, b), w, scalar);
  EXPECT_TRUE(party.has_value()) << (party ? "" : party.error().describe());
  return std::move(party).value();
}

// Runs the exchange: each side receives the other's public value.
void exchange(Spake2Party& alice, Spake2Party& bob) {
  const auto alice_result = alice.receive_peer_public_value(bob.public_value());
  ASSERT_TRUE(alice_result) << alice_result.error().describe();
  const auto bob_result = bob.receive_peer_public_value(alice.public_value());
  ASSERT_TRUE(bob_result) << bob_result.error().describe();
}

TEST(Spake2Suite, NamesTheProfile) {
  const auto& suite = p256_sha256_suite();
  EXPECT_EQ(suite.name(), "SPAKE2-P256-SHA256-HKDF-HMAC");
  EXPECT_EQ(suite.public_value_size(), 65U);
  EXPECT_EQ(suite.confirmation_size(), 32U);
  EXPECT_EQ(&suite, &p256_sha256_suite());
}

class Rfc9382Vector : public testing::TestWithParam<std::size_t> {};

TEST_P(Rfc9382Vector, BothSidesMatchTheRfc) {
  const Vector& v = rfc_vectors().at(GetParam());
  auto alice = party_with(Spake2Role::alice, v.a, v.b, hex(v.w), hex(v.x));
  auto bob = party_with(Spake2Role::bob, v.a, v.b, hex(v.w), hex(v.y));
  EXPECT_EQ(to_hex(alice.public_value()), v.p_a);
  EXPECT_EQ(to_hex(bob.public_value()), v.p_b);
  EXPECT_TRUE(alice.confirmation().empty());
  EXPECT_TRUE(alice.shared_secret().empty());
  EXPECT_FALSE(alice.check_peer_confirmation(hex(v.c_b)));  // nothing to check against yet

  exchange(alice, bob);
  EXPECT_EQ(to_hex(alice.shared_secret()), v.ke);
  EXPECT_EQ(to_hex(bob.shared_secret()), v.ke);
  EXPECT_EQ(to_hex(alice.confirmation()), v.c_a);
  EXPECT_EQ(to_hex(bob.confirmation()), v.c_b);
  EXPECT_TRUE(alice.check_peer_confirmation(bob.confirmation()));
  EXPECT_TRUE(bob.check_peer_confirmation(alice.confirmation()));
  // A side never accepts its own confirmation as the peer's.
  EXPECT_FALSE(alice.check_peer_confirmation(alice.confirmation()));
  EXPECT_FALSE(bob.check_peer_confirmation(bob.confirmation()));
}

INSTANTIATE_TEST_SUITE_P(AppendixB, Rfc9382Vector, testing::Values(0U, 1U, 2U, 3U));

// osp-brief §4.10: fingerprints of keys d = 1 and d = 2, PSK 61488548833, x and y of vector 1.
constexpr const char* kAliceFingerprint = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";
constexpr const char* kBobFingerprint = "3AzmM9vMkT2vr6S4msRNjOaD/fw/YMi98hITufK1NLo=";
constexpr std::uint64_t kBriefPsk = 61488548833;

TEST(Spake2OspProfile, MatchesTheBriefsExample) {
  const auto w = spake2_password_scalar(p256_sha256_suite(), kBriefPsk);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(to_hex(*w), "a04876c62e63ae2740f0127f4e145d03dfcfab50737ebeb66a9a959b5b184725");
  const Vector& v1 = rfc_vectors().front();
  auto alice = party_with(Spake2Role::alice, kAliceFingerprint, kBobFingerprint, *w, hex(v1.x));
  auto bob = party_with(Spake2Role::bob, kAliceFingerprint, kBobFingerprint, *w, hex(v1.y));
  EXPECT_EQ(
      to_hex(alice.public_value()),
      "04f0a510aecf4cefc61dbc98bd3b11835016f43146e1446642e05e0fb2a99153daa13df8a502e84eae7edf9"
      "043f7455995d67a3cad349c5a03378b58f5ee4d5999");
  EXPECT_EQ(
      to_hex(bob.public_value()),
      "04883701d22eccd9cbb939130bc3498074102a22e49a215af863f5292a39bb305a541e1f53d88296c2ef2eb"
      "1322ddf5c339d34bd10cc3e726fd62cc465c53d9044");
  exchange(alice, bob);
  EXPECT_EQ(to_hex(alice.shared_secret()), "67e31aa648663c7c51343cb684a820b9");
  EXPECT_EQ(to_hex(alice.confirmation()),
            "50a112ee301a302a0a61e5b89eb7521fedfbfb993a0bbd199443e8dda9a8ccd1");
  EXPECT_EQ(to_hex(bob.confirmation()),
            "4c84bd7b664a200ca05f08dc0d61c84b30ee718b8e8b801589fec90e79443bdc");
  EXPECT_TRUE(alice.check_peer_confirmation(bob.confirmation()));
  EXPECT_TRUE(bob.check_peer_confirmation(alice.confirmation()));
}

TEST(Spake2OspProfile, Sha512PasswordHashMatchesTheBrief) {
  const auto w = spake2_password_scalar(p256_sha256_suite(), kBriefPsk, PasswordHash::sha512);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(to_hex(*w), "a4013d7f7284afd9bf09b5f43ce330c95200f7f0980cdc94253344ff34dec005");
  const Vector& v1 = rfc_vectors().front();
  auto alice = party_with(Spake2Role::alice, kAliceFingerprint, kBobFingerprint, *w, hex(v1.x));
  auto bob = party_with(Spake2Role::bob, kAliceFingerprint, kBobFingerprint, *w, hex(v1.y));
  exchange(alice, bob);
  EXPECT_EQ(to_hex(alice.confirmation()),
            "2c51c2dac82ea22cd2948c31d53c9a8a98f0b2657fec40ec3fcada8e0419a9c2");
  EXPECT_EQ(to_hex(bob.confirmation()),
            "6d7765b2026b9da3e073a8b4cc3254427220be567fe818908fa205c2c530229c");
}

struct Pair {
  Spake2Party alice;
  Spake2Party bob;
};

Pair start_pair(std::uint64_t alice_psk, std::uint64_t bob_psk,
                PasswordHash hash = PasswordHash::sha256) {
  const auto& suite = p256_sha256_suite();
  auto alice = Spake2Party::start(
      suite, params(Spake2Role::alice, kAliceFingerprint, kBobFingerprint), alice_psk, hash);
  auto bob = Spake2Party::start(suite, params(Spake2Role::bob, kAliceFingerprint, kBobFingerprint),
                                bob_psk, hash);
  EXPECT_TRUE(alice.has_value() && bob.has_value());
  return {std::move(alice).value(), std::move(bob).value()};
}

TEST(Spake2Party, SamePskAgrees) {
  for (const auto hash : {PasswordHash::sha256, PasswordHash::sha512}) {
    auto [alice, bob] = start_pair(kBriefPsk, kBriefPsk, hash);
    exchange(alice, bob);
    EXPECT_EQ(alice.confirmation().size(), 32U);
    EXPECT_TRUE(alice.check_peer_confirmation(bob.confirmation()));
    EXPECT_TRUE(bob.check_peer_confirmation(alice.confirmation()));
    EXPECT_EQ(alice.shared_secret(), bob.shared_secret());
    EXPECT_EQ(alice.shared_secret().size(), 16U);
  }
}

TEST(Spake2Party, WrongPskFailsBothWays) {
  auto [alice, bob] = start_pair(kBriefPsk, kBriefPsk + 1);
  exchange(alice, bob);  // public values are valid either way; only the confirmations tell
  EXPECT_FALSE(alice.check_peer_confirmation(bob.confirmation()));
  EXPECT_FALSE(bob.check_peer_confirmation(alice.confirmation()));
  EXPECT_NE(alice.shared_secret(), bob.shared_secret());
}

TEST(Spake2Party, DifferentPasswordHashesDisagree) {
  const auto& suite = p256_sha256_suite();
  auto alice = Spake2Party::start(suite, params(Spake2Role::alice, "a", "b"), kBriefPsk,
                                  PasswordHash::sha256);
  auto bob =
      Spake2Party::start(suite, params(Spake2Role::bob, "a", "b"), kBriefPsk, PasswordHash::sha512);
  ASSERT_TRUE(alice && bob);
  exchange(*alice, *bob);
  EXPECT_FALSE(bob->check_peer_confirmation(alice->confirmation()));
}

TEST(Spake2Party, DifferentIdentitiesDisagree) {
  const auto& suite = p256_sha256_suite();
  auto alice = Spake2Party::start(suite, params(Spake2Role::alice, "a", "b"), kBriefPsk);
  auto bob = Spake2Party::start(suite, params(Spake2Role::bob, "a", "mallory"), kBriefPsk);
  ASSERT_TRUE(alice && bob);
  exchange(*alice, *bob);
  EXPECT_FALSE(alice->check_peer_confirmation(bob->confirmation()));
  EXPECT_FALSE(bob->check_peer_confirmation(alice->confirmation()));
}

TEST(Spake2Party, FreshStartsDrawFreshScalars) {
  std::set<Bytes> seen;
  for (int i = 0; i < 8; ++i) {
    auto alice =
        Spake2Party::start(p256_sha256_suite(), params(Spake2Role::alice, "a", "b"), kBriefPsk);
    ASSERT_TRUE(alice.has_value());
    EXPECT_EQ(alice->public_value().size(), 65U);
    EXPECT_EQ(alice->public_value().front(), 0x04);
    EXPECT_TRUE(seen.insert(alice->public_value()).second);
  }
}

// A fresh Bob given `peer` as Alice's public value; a failure must leave him unkeyed.
Result<void> bob_receives(const Bytes& peer) {
  auto bob = Spake2Party::start(p256_sha256_suite(), params(Spake2Role::bob, "a", "b"), kBriefPsk);
  EXPECT_TRUE(bob.has_value());
  auto result = bob->receive_peer_public_value(peer);
  if (!result) {
    EXPECT_TRUE(bob->confirmation().empty());
    EXPECT_FALSE(bob->check_peer_confirmation(Bytes(32, 0)));
  }
  return result;
}

void expect_protocol_error(const Bytes& peer, std::string_view mentions) {
  const auto result = bob_receives(peer);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::protocol_error);
  EXPECT_NE(result.error().message.find(mentions), std::string::npos) << result.error().message;
}

TEST(Spake2Party, RejectsInvalidPeerValues) {
  const Bytes valid = hex(rfc_vectors().front().p_a);
  ASSERT_TRUE(bob_receives(valid));

  Bytes off_curve = valid;
  off_curve.back() ^= 0x01U;
  expect_protocol_error(off_curve, "not a point on P-256");
  expect_protocol_error(Bytes{0x00}, "point at infinity");
  expect_protocol_error(Bytes{}, "has 0 bytes");
  expect_protocol_error(Bytes(valid.begin(), valid.end() - 1), "has 64 bytes");
  Bytes longer = valid;
  longer.push_back(0);
  expect_protocol_error(longer, "has 66 bytes");
  // pA of vector 1, SEC1-compressed: a valid point in an encoding the profile does not use.
  Bytes compressed(valid.begin(), valid.begin() + 33);
  compressed[0] = (valid.back() & 1U) != 0 ? 0x03 : 0x02;
  expect_protocol_error(compressed, "has 33 bytes");
  Bytes hybrid = valid;
  hybrid[0] = 0x06;
  expect_protocol_error(hybrid, "not an uncompressed point");
  Bytes zeros(65, 0);
  zeros[0] = 0x04;
  expect_protocol_error(zeros, "not a point on P-256");
  // x = p (not reduced): the coordinates must be below the field prime.
  Bytes unreduced = valid;
  const Bytes prime = hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  std::copy(prime.begin(), prime.end(), unreduced.begin() + 1);
  expect_protocol_error(unreduced, "not a point on P-256");
}

TEST(Spake2Party, RejectsAnIdentitySharedElement) {
  // Alice sends pA = w·M exactly (x = 0 stands for an attacker who knows w): Bob's K = y·(pA − w·M)
  // is the identity, which must abort rather than key the session.
  const Vector& v = rfc_vectors().front();
  auto attacker = party_with(Spake2Role::alice, v.a, v.b, hex(v.w), Bytes{0x00});
  auto bob = party_with(Spake2Role::bob, v.a, v.b, hex(v.w), hex(v.y));
  const auto result = bob.receive_peer_public_value(attacker.public_value());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::protocol_error);
  EXPECT_NE(result.error().message.find("identity"), std::string::npos);
  EXPECT_TRUE(bob.confirmation().empty());
  EXPECT_TRUE(bob.shared_secret().empty());
}

TEST(Spake2Party, ReceivesThePeersValueOnce) {
  auto [alice, bob] = start_pair(kBriefPsk, kBriefPsk);
  exchange(alice, bob);
  const auto again = alice.receive_peer_public_value(bob.public_value());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::invalid_argument);
  EXPECT_TRUE(alice.check_peer_confirmation(bob.confirmation()));  // the first result stands

  auto [carol, dave] = start_pair(kBriefPsk, kBriefPsk);
  ASSERT_FALSE(carol.receive_peer_public_value(Bytes{0x00}));
  EXPECT_FALSE(carol.receive_peer_public_value(dave.public_value()));  // a failed attempt is over
}

TEST(Spake2Party, ConfirmationOfTheWrongLengthIsFalse) {
  auto [alice, bob] = start_pair(kBriefPsk, kBriefPsk);
  exchange(alice, bob);
  Bytes c_b = bob.confirmation();
  EXPECT_FALSE(alice.check_peer_confirmation(std::span(c_b).first(31)));
  EXPECT_FALSE(alice.check_peer_confirmation({}));
  c_b.push_back(0);
  EXPECT_FALSE(alice.check_peer_confirmation(c_b));
  Bytes doubled = bob.confirmation();
  doubled.insert(doubled.end(), doubled.begin(), doubled.end());  // 64 bytes, "CDDL size"
  EXPECT_FALSE(alice.check_peer_confirmation(doubled));
  Bytes flipped = bob.confirmation();
  flipped[7] ^= 0x80U;
  EXPECT_FALSE(alice.check_peer_confirmation(flipped));
}

TEST(Spake2Party, RejectsBadTestScalars) {
  const auto& suite = p256_sha256_suite();
  const Bytes good(32, 0x11);
  const auto p = params(Spake2Role::alice, "a", "b");
  EXPECT_FALSE(Spake2Party::start_with(suite, p, Bytes(33, 0x01), good));
  EXPECT_FALSE(Spake2Party::start_with(suite, p, good, Bytes(33, 0x01)));
  const Bytes order = hex(spake2_profile::kOrderHex);
  const auto at_order = Spake2Party::start_with(suite, p, good, order);
  ASSERT_FALSE(at_order.has_value());
  EXPECT_EQ(at_order.error().code, Errc::invalid_argument);
  EXPECT_TRUE(Spake2Party::start_with(suite, p, Bytes{0x05}, good));  // short inputs are padded
}

TEST(Spake2Party, MovedFromPartyIsInert) {
  auto [alice, bob] = start_pair(kBriefPsk, kBriefPsk);
  Spake2Party moved = std::move(alice);
  // NOLINTBEGIN(bugprone-use-after-move,clang-analyzer-cplusplus.Move): the contract under test
  EXPECT_TRUE(alice.public_value().empty());
  EXPECT_FALSE(alice.receive_peer_public_value(bob.public_value()));
  EXPECT_FALSE(alice.check_peer_confirmation(bob.confirmation()));
  // NOLINTEND(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  exchange(moved, bob);
  EXPECT_TRUE(bob.check_peer_confirmation(moved.confirmation()));
}

}  // namespace
}  // namespace lp2p::auth

// OSP's TLS profile at the handshake (osp-brief §2.2, §2.4): a certificate whose key is not
// ECDSA P-256 is refused in both directions, and credentials are checked when they are loaded.
#include "quic/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "auth/certificate.hpp"
#include "quic_test_support.hpp"

namespace lp2p::quic {
namespace {

using namespace test;

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// An agent-like identity on a key of another kind: certificate, credentials, fingerprint.
struct OtherPeer {
  Key key;
  std::vector<std::uint8_t> der;
  std::shared_ptr<TlsCredentials> credentials;
  std::string fingerprint;
  std::string hostname = "AAAAAAAAAAAAAAAAAAAAAAAAAAE.other.local";
};

OtherPeer other_peer(Key key) {
  OtherPeer p;
  p.key = std::move(key);
  auth::CertificateSerial serial;
  serial.counter = 1;
  auto der = auth::make_agent_certificate(p.key.get(), {p.hostname, "lp2p test", serial});
  if (!der) {
    ADD_FAILURE() << der.error().message;
    return p;
  }
  p.der = std::move(*der);
  auto credentials = TlsCredentials::create(p.der, p.key.get());
  if (!credentials) {
    ADD_FAILURE() << credentials.error().message;
    return p;
  }
  p.credentials = std::move(*credentials);
  const int size = i2d_PUBKEY(p.key.get(), nullptr);
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(size));
  unsigned char* out = spki.data();
  i2d_PUBKEY(p.key.get(), &out);
  p.fingerprint = auth::fingerprint_of_spki(spki);
  return p;
}

Key rsa_key() {
  return Key(EVP_RSA_gen(2048));
}
Key p384_key() {
  return Key(EVP_EC_gen("P-384"));
}

class TlsProfileTest : public testing::Test {
 protected:
  void TearDown() override { loop_.stop_all(endpoints_); }

  std::shared_ptr<Endpoint> endpoint(std::shared_ptr<TlsCredentials> credentials,
                                     const std::string& fingerprint) {
    Endpoint::Options options;
    options.own_fingerprint = fingerprint;
    auto e = Endpoint::create(loop_.io, std::move(credentials), options);
    if (!e) {
      ADD_FAILURE() << e.error().message;
      return nullptr;
    }
    endpoints_.push_back(*e);
    return *e;
  }

  // `client` dials `server` pinning `pin`; the dial must fail and the server must never hand out
  // a connection. Returns the dial's error.
  Error dial_fails(Endpoint& client, Endpoint& server, const std::string& pin) {
    int incoming = 0;
    server.on_incoming([&](const std::shared_ptr<Connection>&) { ++incoming; });
    DialOutcome dial;
    client.dial(loopback(server.port()), pin, "server.local", dial.handler());
    EXPECT_TRUE(loop_.run_until([&] { return dial.done(); }));
    EXPECT_TRUE(loop_.run_until(
        [&] { return server.connection_count() == 0 && client.connection_count() == 0; }));
    server.on_incoming(nullptr);
    EXPECT_EQ(incoming, 0) << "the server accepted the connection";
    if (!dial.result) return make_error(Errc::io_error, "no dial result");
    if (dial.result->has_value()) {
      ADD_FAILURE() << "the dial succeeded";
      return make_error(Errc::io_error, "connected");
    }
    return dial.result->error();
  }

  Loop loop_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
};

TEST_F(TlsProfileTest, ClientCertificateWithAnRsaKeyIsRefused) {
  Peer server("server");
  OtherPeer rsa = other_peer(rsa_key());
  ASSERT_TRUE(rsa.credentials);
  auto es = endpoint(server.credentials, server.fingerprint());
  auto ec = endpoint(rsa.credentials, rsa.fingerprint);
  ASSERT_TRUE(es && ec);
  const Error error = dial_fails(*ec, *es, server.fingerprint());
  // The client learns it from the server's alert.
  EXPECT_EQ(error.code, Errc::refused) << error.describe();
}

TEST_F(TlsProfileTest, ClientCertificateWithAP384KeyIsRefused) {
  Peer server("server");
  OtherPeer p384 = other_peer(p384_key());
  ASSERT_TRUE(p384.credentials);
  auto es = endpoint(server.credentials, server.fingerprint());
  auto ec = endpoint(p384.credentials, p384.fingerprint);
  ASSERT_TRUE(es && ec);
  const Error error = dial_fails(*ec, *es, server.fingerprint());
  EXPECT_EQ(error.code, Errc::refused) << error.describe();
}

TEST_F(TlsProfileTest, ServerCertificateWithAnRsaKeyIsRefusedEvenWhenPinned) {
  Peer client("client");
  OtherPeer rsa = other_peer(rsa_key());
  ASSERT_TRUE(rsa.credentials);
  auto es = endpoint(rsa.credentials, rsa.fingerprint);
  auto ec = endpoint(client.credentials, client.fingerprint());
  ASSERT_TRUE(es && ec);
  // The pin matches the RSA key: the key type alone is the reason.
  const Error error = dial_fails(*ec, *es, rsa.fingerprint);
  EXPECT_EQ(error.code, Errc::refused) << error.describe();
  EXPECT_NE(error.message.find("P-256"), std::string::npos) << error.message;
}

// The agent hostname starts with the `sn` (base64url of the serial, osp-brief §2.3) and is the
// SNI peers send. GnuTLS's server refuses a server_name outside [A-Za-z0-9.-] with
// illegal_parameter, and its parser cannot be overridden: so the serials we issue must give
// hostnames without '_' (base64url has it for about a quarter of random serials).
TEST_F(TlsProfileTest, IssuedHostnamesAreAcceptableSni) {
  for (int i = 0; i < 40; ++i) {
    Peer peer("Living Room TV");
    const std::string& host = peer.hostname();
    EXPECT_EQ(host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-"),
              std::string::npos)
        << host;
  }
}

TEST_F(TlsProfileTest, ServerRefusesAnSniWithAnUnderscore) {
  Peer server("server");
  Peer client("client");
  auto es = endpoint(server.credentials, server.fingerprint());
  auto ec = endpoint(client.credentials, client.fingerprint());
  ASSERT_TRUE(es && ec);
  std::string sni = server.hostname();
  sni[3] = '_';
  int incoming = 0;
  es->on_incoming([&](const std::shared_ptr<Connection>&) { ++incoming; });
  DialOutcome dial;
  ec->dial(loopback(es->port()), server.fingerprint(), sni, dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return dial.done(); }));
  ASSERT_FALSE(dial.result->has_value()) << "GnuTLS now takes '_' in SNI: the serial rule "
                                            "(auth/serial.hpp) could be dropped";
  EXPECT_EQ(dial.result->error().code, Errc::refused);
  EXPECT_NE(dial.result->error().message.find("Illegal parameter"), std::string::npos)
      << dial.result->error().message;
  EXPECT_EQ(incoming, 0);
  // The same dial with the real hostname connects.
  DialOutcome good;
  ec->dial(loopback(es->port()), server.fingerprint(), server.hostname(), good.handler());
  ASSERT_TRUE(loop_.run_until([&] { return good.done() && incoming == 1; }));
  EXPECT_TRUE(good.connection());
}

TEST(TlsCredentials, RefusesACertificateThatIsNotDer) {
  Key key(EVP_EC_gen("P-256"));
  ASSERT_TRUE(key);
  const std::vector<std::uint8_t> garbage{0x30, 0x03, 0x02, 0x01};
  auto credentials = TlsCredentials::create(garbage, key.get());
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().code, Errc::invalid_argument);
}

TEST(TlsCredentials, RefusesAKeyThatDoesNotMatchTheCertificate) {
  Peer a("a");
  Key other(EVP_EC_gen("P-256"));
  ASSERT_TRUE(other);
  EXPECT_TRUE(TlsCredentials::create(a.certificate.der, a.identity->key()));
  auto credentials = TlsCredentials::create(a.certificate.der, other.get());
  EXPECT_FALSE(credentials) << "a certificate loaded with someone else's key";
}

}  // namespace
}  // namespace lp2p::quic

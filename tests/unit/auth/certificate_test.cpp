#include "auth/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>

#include "auth/agent_hostname.hpp"
#include "auth/identity.hpp"

namespace lp2p::auth {
namespace {

const CertificateSerial kBriefSerial{{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56,
                                      0x42, 0x66, 0x14, 0x17, 0x40, 0x00},
                                     1};

TEST(AgentHostname, MatchesTheBriefsExample) {
  // osp-brief §2.3 / §7 #2: base64url serial, instance "Living Room TV", domain "local".
  EXPECT_EQ(agent_hostname(kBriefSerial, "Living Room TV"),
            "Ej5FZ-ibQtOkVkJmFBdAAAAAAAE.Living-Room-TV.local");
  EXPECT_EQ(agent_hostname(kBriefSerial, "TV", "local."), "Ej5FZ-ibQtOkVkJmFBdAAAAAAAE.TV.local");
}

TEST(AgentHostname, EncReplacesEachCodePointOnce) {
  EXPECT_EQ(hostname_label("Café ☕ v1.2"), "Caf----v1-2");
  EXPECT_EQ(hostname_label("a_b"), "a-b");
  EXPECT_EQ(hostname_label(std::string("x\0y", 3)), "x-y");
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

std::string common_name(X509_NAME* name) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(name, NID_commonName, buffer, sizeof buffer);
  return buffer;
}

TEST(AgentCertificate, HasEveryFieldOfTheBrief) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lp2p-cert-" + std::to_string(::getpid()));
  auto identity = Identity::load_or_create(dir);
  ASSERT_TRUE(identity) << identity.error().message;
  const std::string hostname = agent_hostname(kBriefSerial, "Living Room TV");
  auto der = make_agent_certificate(identity->key(), {hostname, "lp2p CLI", kBriefSerial});
  ASSERT_TRUE(der) << der.error().message;

  const unsigned char* p = der->data();
  const std::unique_ptr<X509, X509Deleter> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), 2);  // v3
  EXPECT_EQ(X509_verify(cert.get(), identity->key()), 1) << "self-signed with the agent key";

  // Serial: the 20 bytes, positive, no extra leading byte.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  const auto expected = kBriefSerial.bytes();
  ASSERT_EQ(serial->length, 20);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), serial->data));

  EXPECT_EQ(common_name(X509_get_subject_name(cert.get())), hostname);
  EXPECT_EQ(common_name(X509_get_issuer_name(cert.get())), "lp2p CLI");

  // The SPKI in the certificate is the identity's: the fingerprint pins the key.
  const int spki_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), nullptr);
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(spki_size));
  unsigned char* q = spki.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &q);
  EXPECT_EQ(fingerprint_of_spki(spki), identity->fingerprint());

  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()),
            static_cast<std::uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_check_host(cert.get(), hostname.c_str(), hostname.size(), 0, nullptr), 1)
      << "SAN dNSName";

  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lp2p::auth

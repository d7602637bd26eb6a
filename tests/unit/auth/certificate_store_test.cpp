// auth::load_or_issue_certificate: the agent certificate kept in the state directory, re-issued
// (same key, next serial) only when its hostname no longer matches, it is about to expire, or the
// file is unusable.
#include "auth/certificate_store.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "auth/agent_hostname.hpp"
#include "auth/certificate.hpp"

namespace lp2p::auth {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Deleter>;

Cert parse(const Bytes& der) {
  const unsigned char* p = der.data();
  return Cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

Bytes read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::filesystem::path& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// The SPKI fingerprint of the key in a certificate, computed from the certificate itself.
std::string spki_fingerprint(const Bytes& der) {
  const Cert cert = parse(der);
  if (!cert) return "(unparsable)";
  const int size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), nullptr);
  Bytes spki(static_cast<std::size_t>(size));
  unsigned char* out = spki.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &out);
  return fingerprint_of_spki(spki);
}

std::string subject_cn(const Bytes& der) {
  const Cert cert = parse(der);
  char buffer[256] = {};
  if (cert)
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, buffer,
                              sizeof buffer);
  return buffer;
}

// The counter a re-issued certificate gets: the next one whose sn is hostname-safe.
std::uint32_t next_safe_counter(CertificateSerial serial) {
  do {
    ++serial.counter;
  } while (!serial.sn_is_hostname_safe());
  return serial.counter;
}

bool hostname_safe(const std::string& hostname) {
  return hostname.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "0123456789.-") == std::string::npos;
}

// The certificate's serial as 20 big-endian bytes. DER keeps integers minimal, so a serial whose
// base starts with 0x00 (1 in 128) is stored in fewer bytes: pad it back.
Bytes serial_of(const Bytes& der) {
  const Cert cert = parse(der);
  if (!cert) return {};
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  if (serial->length > 20) return {serial->data, serial->data + serial->length};
  Bytes out(20 - static_cast<std::size_t>(serial->length), 0);
  out.insert(out.end(), serial->data, serial->data + serial->length);
  return out;
}

class CertificateStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<unsigned> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-certstore-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto identity = Identity::load_or_create(dir_);
    ASSERT_TRUE(identity) << identity.error().message;
    identity_.emplace(std::move(*identity));
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Result<AgentCertificate> issue(const std::string& name) {
    return load_or_issue_certificate(dir_, *identity_, name, "lp2p test");
  }
  [[nodiscard]] std::filesystem::path cert_file() const { return dir_ / "agent-cert.der"; }

  std::filesystem::path dir_;
  std::optional<Identity> identity_;
};

TEST_F(CertificateStoreTest, FirstCallIssuesAndWritesTheCertificate) {
  ASSERT_FALSE(std::filesystem::exists(cert_file()));
  auto cert = issue("Living Room");
  ASSERT_TRUE(cert) << cert.error().message;
  ASSERT_TRUE(std::filesystem::exists(cert_file()));
  EXPECT_EQ(read_all(cert_file()), cert->der);
  EXPECT_GE(cert->serial.counter, 1U) << "the counter is incremented before the first one";
  EXPECT_TRUE(cert->serial.sn_is_hostname_safe());
  EXPECT_TRUE(hostname_safe(cert->hostname)) << cert->hostname;
  EXPECT_EQ(cert->hostname, agent_hostname(cert->serial, "Living Room"));
  EXPECT_EQ(subject_cn(cert->der), cert->hostname);
  const auto serial_bytes = cert->serial.bytes();
  EXPECT_EQ(serial_of(cert->der), Bytes(serial_bytes.begin(), serial_bytes.end()));
  EXPECT_EQ(spki_fingerprint(cert->der), identity_->fingerprint());
}

TEST_F(CertificateStoreTest, SameNameReturnsTheStoredCertificate) {
  auto first = issue("Kitchen");
  ASSERT_TRUE(first) << first.error().message;
  const auto written = std::filesystem::last_write_time(cert_file());
  auto second = issue("Kitchen");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->der, first->der) << "re-issued although nothing changed";
  EXPECT_EQ(second->serial, first->serial);
  EXPECT_EQ(second->hostname, first->hostname);
  EXPECT_EQ(std::filesystem::last_write_time(cert_file()), written);
}

TEST_F(CertificateStoreTest, NewInstanceNameReissuesWithTheNextSerialAndTheSameKey) {
  auto first = issue("Kitchen");
  ASSERT_TRUE(first) << first.error().message;
  auto renamed = issue("Den TV");
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_NE(renamed->der, first->der);
  EXPECT_EQ(renamed->serial.base, first->serial.base);
  EXPECT_EQ(renamed->serial.counter, next_safe_counter(first->serial));
  EXPECT_TRUE(hostname_safe(renamed->hostname)) << renamed->hostname;
  EXPECT_NE(renamed->serial.sn(), first->serial.sn()) << "the sn TXT value changes";
  EXPECT_EQ(renamed->hostname, agent_hostname(renamed->serial, "Den TV"));
  EXPECT_NE(renamed->hostname.find(".Den-TV."), std::string::npos) << renamed->hostname;
  EXPECT_EQ(subject_cn(renamed->der), renamed->hostname);
  EXPECT_EQ(read_all(cert_file()), renamed->der);
  // The identity is the key: the fingerprint stays.
  EXPECT_EQ(spki_fingerprint(renamed->der), identity_->fingerprint());
  EXPECT_EQ(spki_fingerprint(first->der), spki_fingerprint(renamed->der));
  // And it sticks: asked again with the new name, nothing changes.
  auto again = issue("Den TV");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->der, renamed->der);
  EXPECT_EQ(again->serial.counter, renamed->serial.counter);
  // Back to the old name: a third certificate, not the first one again.
  auto back = issue("Kitchen");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->serial.counter, next_safe_counter(renamed->serial));
  EXPECT_NE(back->der, first->der);
}

TEST_F(CertificateStoreTest, CorruptedFileIsReplaced) {
  auto first = issue("Kitchen");
  ASSERT_TRUE(first);
  write_all(cert_file(), Bytes{0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef});
  auto replaced = issue("Kitchen");
  ASSERT_TRUE(replaced) << replaced.error().message;
  ASSERT_TRUE(parse(replaced->der)) << "the result is a certificate";
  EXPECT_EQ(read_all(cert_file()), replaced->der) << "the file holds the new certificate";
  EXPECT_EQ(spki_fingerprint(replaced->der), identity_->fingerprint());
  EXPECT_EQ(replaced->hostname, agent_hostname(replaced->serial, "Kitchen"));
  EXPECT_GT(replaced->serial.counter, first->serial.counter) << "a new certificate, a new serial";
  // An empty file too.
  write_all(cert_file(), {});
  auto from_empty = issue("Kitchen");
  ASSERT_TRUE(from_empty) << from_empty.error().message;
  EXPECT_EQ(read_all(cert_file()), from_empty->der);
  ASSERT_TRUE(parse(from_empty->der));
}

TEST_F(CertificateStoreTest, CertificateOfAnotherKeyIsReplaced) {
  // A state directory whose key was replaced (or a certificate copied from another agent).
  auto first = issue("Kitchen");
  ASSERT_TRUE(first);
  const auto other_dir = dir_ / "other";
  std::filesystem::create_directories(other_dir);
  auto other = Identity::load_or_create(other_dir);
  ASSERT_TRUE(other);
  auto foreign =
      make_agent_certificate(other->key(), {first->hostname, "lp2p test", first->serial});
  ASSERT_TRUE(foreign);
  write_all(cert_file(), *foreign);
  auto replaced = issue("Kitchen");
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(spki_fingerprint(replaced->der), identity_->fingerprint());
  EXPECT_EQ(read_all(cert_file()), replaced->der);
}

TEST_F(CertificateStoreTest, CertificateAboutToExpireIsRenewed) {
  auto first = issue("Kitchen");
  ASSERT_TRUE(first);
  // The same certificate, issued 345 days ago: it expires in 20 days (validity: one year).
  auto old = make_agent_certificate(
      identity_->key(), {first->hostname, "lp2p test", first->serial,
                         std::chrono::system_clock::now() - std::chrono::hours(24 * 345)});
  ASSERT_TRUE(old);
  write_all(cert_file(), *old);
  auto renewed = issue("Kitchen");
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_NE(renewed->der, *old);
  EXPECT_EQ(renewed->serial.counter, next_safe_counter(first->serial));
  EXPECT_EQ(spki_fingerprint(renewed->der), identity_->fingerprint());
  // Valid for a good while from now.
  const Cert cert = parse(renewed->der);
  ASSERT_TRUE(cert);
  std::time_t in_300_days = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                                 std::chrono::hours(24 * 300));
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &in_300_days), 0);
  // One issued 300 days ago (65 days left) is kept.
  auto older_but_fine = make_agent_certificate(
      identity_->key(), {renewed->hostname, "lp2p test", renewed->serial,
                         std::chrono::system_clock::now() - std::chrono::hours(24 * 300)});
  ASSERT_TRUE(older_but_fine);
  write_all(cert_file(), *older_but_fine);
  auto kept = issue("Kitchen");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->der, *older_but_fine);
  EXPECT_EQ(kept->serial.counter, renewed->serial.counter);
}

}  // namespace
}  // namespace lp2p::auth

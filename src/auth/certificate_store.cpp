#include "auth/certificate_store.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>

#include "auth/agent_hostname.hpp"
#include "auth/certificate.hpp"

namespace lp2p::auth {
namespace {

constexpr auto kRenewBefore = std::chrono::hours(24 * 30);
constexpr const char* kFileName = "agent-cert.der";

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

// True when `der` is a certificate for `hostname` on `identity`'s key, valid for a while yet.
bool still_good(const std::vector<std::uint8_t>& der, const Identity& identity,
                const std::string& hostname) {
  const unsigned char* p = der.data();
  const std::unique_ptr<X509, X509Deleter> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return false;
  if (X509_check_host(cert.get(), hostname.data(), hostname.size(), 0, nullptr) != 1) return false;
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), identity.key()) != 1) return false;
  std::time_t renew_at =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + kRenewBefore);
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &renew_at) > 0;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Result<void> write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& data) {
  const auto temporary = std::filesystem::path(path).concat(".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    if (!out) return make_error(Errc::io_error, "cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<AgentCertificate> load_or_issue_certificate(const std::filesystem::path& dir,
                                                   const Identity& identity,
                                                   const std::string& instance_name,
                                                   const std::string& model_name) {
  auto serial = load_or_create_serial(dir);
  if (!serial) return serial.error();
  const auto path = dir / kFileName;
  AgentCertificate result;
  result.serial = *serial;
  result.hostname = agent_hostname(*serial, instance_name);
  const bool exists = std::filesystem::exists(path);
  if (exists) {
    result.der = read_file(path);
    if (still_good(result.der, identity, result.hostname)) return result;
    // A new certificate needs a new serial (its counter is incremented before each one).
    serial = next_serial(dir);
    if (!serial) return serial.error();
    result.serial = *serial;
    result.hostname = agent_hostname(*serial, instance_name);
    spdlog::info("re-issuing the agent certificate (serial counter {}); the fingerprint stays",
                 serial->counter);
  }
  auto der = make_agent_certificate(identity.key(), {result.hostname, model_name, result.serial});
  if (!der) return der.error();
  result.der = std::move(*der);
  LP2P_TRY(write_file(path, result.der));
  return result;
}

}  // namespace lp2p::auth

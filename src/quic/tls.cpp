#include "quic/tls.hpp"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "auth/identity.hpp"

namespace lp2p::quic {
namespace {

// TLS 1.3 only, without the middlebox-compatibility mode that RFC 9001 §8.4 forbids (NOTES §6),
// with the AEADs and groups QUIC stacks commonly offer.
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%DISABLE_TLS13_COMPAT_MODE";

Error gnutls_error(const std::string& what, int code) {
  return make_error(Errc::io_error, what + ": " + gnutls_strerror(code));
}

TlsSessionContext& context_of(gnutls_session_t session) {
  return *static_cast<TlsSessionContext*>(gnutls_session_get_ptr(session));
}

std::string pem_of(int (*write)(BIO*, void*), void* object) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || write(bio.get(), object) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

Result<std::string> key_pem(EVP_PKEY* key) {
  auto pem = pem_of(
      [](BIO* bio, void* k) {
        return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0,
                                        nullptr, nullptr);
      },
      key);
  if (pem.empty()) return make_error(Errc::invalid_argument, "cannot export the agent key");
  return pem;
}

Result<std::string> certificate_pem(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())), X509_free);
  if (!x509) return make_error(Errc::invalid_argument, "the agent certificate is not valid DER");
  auto pem = pem_of(
      [](BIO* bio, void* c) { return PEM_write_bio_X509(bio, static_cast<X509*>(c)); }, x509.get());
  if (pem.empty()) return make_error(Errc::invalid_argument, "cannot export the certificate");
  return pem;
}

struct PubkeyDeleter {
  void operator()(gnutls_pubkey_st* key) const { gnutls_pubkey_deinit(key); }
};

// The fingerprint of the peer's leaf certificate, if its key is ECDSA P-256 (osp-brief §2.2).
Result<std::string> peer_fingerprint(gnutls_session_t session) {
  unsigned count = 0;
  const gnutls_datum_t* certificates = gnutls_certificate_get_peers(session, &count);
  if (certificates == nullptr || count == 0) {
    return make_error(Errc::refused, "the peer sent no certificate");
  }
  gnutls_pubkey_t raw = nullptr;
  if (gnutls_pubkey_init(&raw) < 0) return make_error(Errc::io_error, "out of memory");
  const std::unique_ptr<gnutls_pubkey_st, PubkeyDeleter> key(raw);
  if (gnutls_pubkey_import_x509_raw(key.get(), &certificates[0], GNUTLS_X509_FMT_DER, 0) < 0) {
    return make_error(Errc::refused, "the peer's certificate cannot be parsed");
  }
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gnutls_datum_t x{};
  gnutls_datum_t y{};
  const bool ecdsa = gnutls_pubkey_get_pk_algorithm(key.get(), nullptr) == GNUTLS_PK_ECDSA &&
                     gnutls_pubkey_export_ecc_raw(key.get(), &curve, &x, &y) == 0;
  gnutls_free(x.data);
  gnutls_free(y.data);
  if (!ecdsa || curve != GNUTLS_ECC_CURVE_SECP256R1) {
    return make_error(Errc::refused, "the peer's certificate key is not ECDSA P-256");
  }
  gnutls_datum_t spki{};
  if (gnutls_pubkey_export2(key.get(), GNUTLS_X509_FMT_DER, &spki) < 0) {
    return make_error(Errc::refused, "the peer's public key cannot be exported");
  }
  std::string fingerprint = auth::fingerprint_of_spki({spki.data, spki.size});
  gnutls_free(spki.data);
  return fingerprint;
}

// Runs on both sides during the handshake (NOTES §8): the dialer pins, the listener records.
int verify_peer(gnutls_session_t session) {
  TlsSessionContext& context = context_of(session);
  auto fingerprint = peer_fingerprint(session);
  if (!fingerprint) {
    context.failure = fingerprint.error();
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  context.peer_fingerprint = *fingerprint;
  if (!context.expected_fingerprint.empty() && *fingerprint != context.expected_fingerprint) {
    context.failure = make_error(
        Errc::peer_mismatch,
        "the peer's certificate has fingerprint " + *fingerprint + " but " +
            context.expected_fingerprint +
            " was expected: this is not the device that was discovered or paired (someone may "
            "be impersonating it)");
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  return 0;
}

// GNUTLS_ALPN_MANDATORY refuses a mismatching ALPN but not a missing one (NOTES §7).
int require_alpn(gnutls_session_t session, unsigned /*type*/, unsigned /*when*/,
                 unsigned /*incoming*/, const gnutls_datum_t* /*message*/) {
  gnutls_datum_t selected{};
  if (gnutls_alpn_get_selected_protocol(session, &selected) != 0) {
    context_of(session).failure =
        make_error(Errc::refused, "the client offered no ALPN protocol (OSP needs \"osp\")");
    return GNUTLS_E_NO_APPLICATION_PROTOCOL;
  }
  return 0;
}

}  // namespace

Result<std::shared_ptr<TlsCredentials>> TlsCredentials::create(
    std::span<const std::uint8_t> certificate_der, EVP_PKEY* key) {
  auto cert = certificate_pem(certificate_der);
  if (!cert) return cert.error();
  auto private_key = key_pem(key);
  if (!private_key) return private_key.error();
  std::shared_ptr<TlsCredentials> result(new TlsCredentials());
  if (int rv = gnutls_certificate_allocate_credentials(&result->credentials_); rv < 0) {
    return gnutls_error("gnutls credentials", rv);
  }
  const gnutls_datum_t cert_datum{reinterpret_cast<unsigned char*>(cert->data()),
                                  static_cast<unsigned>(cert->size())};
  const gnutls_datum_t key_datum{reinterpret_cast<unsigned char*>(private_key->data()),
                                 static_cast<unsigned>(private_key->size())};
  if (int rv = gnutls_certificate_set_x509_key_mem2(result->credentials_, &cert_datum, &key_datum,
                                                    GNUTLS_X509_FMT_PEM, nullptr, 0);
      rv < 0) {
    return gnutls_error("loading the agent certificate into GnuTLS", rv);
  }
  gnutls_certificate_set_verify_function(result->credentials_, verify_peer);
  return result;
}

TlsCredentials::~TlsCredentials() {
  if (credentials_ != nullptr) gnutls_certificate_free_credentials(credentials_);
}

Result<TlsSession> make_tls_session(bool server, const TlsCredentials& credentials,
                                    TlsSessionContext& context,
                                    const std::vector<std::string>& alpns, const std::string& sni) {
  // No tickets: a resumed session would skip the certificates, hence the peer's identity (§7 #18).
  const unsigned flags =
      (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA | GNUTLS_NO_TICKETS;
  gnutls_session_t raw = nullptr;
  if (int rv = gnutls_init(&raw, flags); rv < 0) return gnutls_error("gnutls_init", rv);
  TlsSession session(raw);
  if (int rv = gnutls_priority_set_direct(raw, kPriority, nullptr); rv < 0) {
    return gnutls_error("TLS priorities", rv);
  }
  const int configured = server ? ngtcp2_crypto_gnutls_configure_server_session(raw)
                                : ngtcp2_crypto_gnutls_configure_client_session(raw);
  if (configured != 0) return make_error(Errc::io_error, "ngtcp2 could not configure GnuTLS");
  gnutls_session_set_ptr(raw, &context);
  if (int rv = gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, credentials.get()); rv < 0) {
    return gnutls_error("TLS credentials", rv);
  }
  // gnutls_datum_t is not const-correct; gnutls_alpn_set_protocols copies the protocol names.
  std::vector<gnutls_datum_t> protocols;
  for (std::size_t i = 0; i < (server ? alpns.size() : std::min<std::size_t>(1, alpns.size()));
       ++i) {
    protocols.push_back(
        {reinterpret_cast<unsigned char*>(const_cast<char*>(alpns[i].data())),  // NOLINT
         static_cast<unsigned>(alpns[i].size())});
  }
  if (int rv = gnutls_alpn_set_protocols(
          raw, protocols.data(), static_cast<unsigned>(protocols.size()), GNUTLS_ALPN_MANDATORY);
      rv < 0) {
    return gnutls_error("ALPN", rv);
  }
  if (server) {
    gnutls_certificate_server_set_request(raw, GNUTLS_CERT_REQUIRE);
    gnutls_handshake_set_hook_function(raw, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST,
                                       require_alpn);
  } else if (!sni.empty()) {
    if (int rv = gnutls_server_name_set(raw, GNUTLS_NAME_DNS, sni.data(), sni.size()); rv < 0) {
      return gnutls_error("SNI", rv);
    }
  }
  return session;
}

std::string selected_alpn(gnutls_session_t session) {
  gnutls_datum_t selected{};
  if (gnutls_alpn_get_selected_protocol(session, &selected) != 0) return {};
  return {reinterpret_cast<const char*>(selected.data), selected.size};
}

std::string describe_tls(gnutls_session_t session) {
  const char* version = gnutls_protocol_get_name(gnutls_protocol_get_version(session));
  const char* cipher = gnutls_cipher_get_name(gnutls_cipher_get(session));
  const char* group = gnutls_group_get_name(gnutls_group_get(session));
  auto text = [](const char* s) { return std::string(s != nullptr ? s : "?"); };
  return text(version) + " / " + text(cipher) + " / " + text(group);
}

}  // namespace lp2p::quic

// TLS 1.3 for OSP's QUIC connections (osp-brief §2.1, §2.4; ../shared/NGTCP2-NOTES.md §5–§9) with
// GnuTLS, as ngtcp2's crypto backend: mutual certificates, ALPN required, no resumption, no 0-RTT,
// no middlebox-compatibility mode, and no PKI — the peer is identified by the fingerprint of its
// certificate's key, which the dialer pins and the listener records.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lp2p/result.hpp"

using EVP_PKEY = struct evp_pkey_st;

namespace lp2p::quic {

// The agent certificate and its key, loaded once and shared by every session.
class TlsCredentials {
 public:
  // `certificate_der`: the agent certificate (auth/certificate.hpp); `key`: its private key.
  static Result<std::shared_ptr<TlsCredentials>> create(
      std::span<const std::uint8_t> certificate_der, EVP_PKEY* key);
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;
  TlsCredentials(TlsCredentials&&) = delete;
  TlsCredentials& operator=(TlsCredentials&&) = delete;
  ~TlsCredentials();
  [[nodiscard]] gnutls_certificate_credentials_t get() const { return credentials_; }

 private:
  TlsCredentials() = default;
  gnutls_certificate_credentials_t credentials_ = nullptr;
};

// What one session learns about, and demands of, its peer's certificate. The first member is the
// ngtcp2_crypto_conn_ref that ngtcp2 requires gnutls_session_get_ptr() to return (NOTES §5.4).
struct TlsSessionContext {
  ngtcp2_crypto_conn_ref conn_ref{};
  std::string expected_fingerprint;  // dialer: the pin; empty on the listening side
  std::string peer_fingerprint;      // set during the handshake once the certificate is checked
  std::optional<Error> failure;      // why the handshake was aborted on our side, if it was
};

struct TlsSessionDeleter {
  void operator()(gnutls_session_int* session) const { gnutls_deinit(session); }
};
using TlsSession = std::unique_ptr<gnutls_session_int, TlsSessionDeleter>;

// A client or server session wired for ngtcp2. `context` must outlive the session and already
// hold the conn_ref. `alpns`: the client offers the first; a server accepts any of them.
// `sni` (client only) is the server's agent hostname.
Result<TlsSession> make_tls_session(bool server, const TlsCredentials& credentials,
                                    TlsSessionContext& context,
                                    const std::vector<std::string>& alpns, const std::string& sni);

// The ALPN protocol the handshake selected ("" when none).
std::string selected_alpn(gnutls_session_t session);

// "TLS1.3 / AES-128-GCM / SECP256R1" — for diagnostics.
std::string describe_tls(gnutls_session_t session);

}  // namespace lp2p::quic

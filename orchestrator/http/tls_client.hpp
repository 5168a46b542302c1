// The client side of TLS as `target.tls` configures it, in one place for everything that
// speaks HTTPS to the target: the OpenSSL context the lean transport uses, the same
// settings applied to libcurl (health probe and curl transport), and a failed handshake
// explained in words (OpenSSL's reason, the certificate's subject, issuer and expiry, and
// the setting that fixes it) so a run can stop at once instead of waiting for a health
// timeout.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "core/units.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace orch {

// --- Interface ---

struct TlsContextDeleter {
    void operator()(ssl_ctx_st* context) const noexcept;
};
/// An OpenSSL SSL_CTX, shared by the connections of one transport.
using TlsContext = std::unique_ptr<ssl_ctx_st, TlsContextDeleter>;

/// A client context for `target`: TLS 1.2 or 1.3 (`tls.min_version` up), ALPN http/1.1,
/// verification on (unless `target.insecure`) against OpenSSL's default paths (the system
/// store, SSL_CERT_FILE, SSL_CERT_DIR) plus `ca_file`/`ca_dir`, the client certificate and
/// key when set, a client session cache (sessions are kept by the caller, see
/// `tls_take_session`). Errors (invalid_input): a file OpenSSL cannot read as PEM, a key
/// that does not match the certificate or cannot be decrypted.
Result<TlsContext> make_tls_context(const TargetSpec& target);

/// Sets up `ssl` for a connection to `host` (as in the URL): SNI and the name verified are
/// `tls.server_name` or `host` (an IP literal is verified against the certificate's IP
/// addresses and sent without SNI). `problem` receives the certificate problem the verify
/// callback sees, and must outlive the handshake. False when OpenSSL refused a setting.
bool tls_prepare_connection(ssl_st* ssl, const TargetSpec& target, std::string_view host,
                            std::string* problem);

/// Why a handshake failed, in words, built from `ssl_error` (SSL_get_error's answer, or
/// 0), OpenSSL's error queue (emptied), errno and the `problem` the verify callback saw:
/// "certificate verify failed: unable to get local issuer certificate (certificate:
/// subject CN=..., issuer CN=..., valid until 2027-01-01 00:00:00 UTC; fix: trust the
/// issuing CA with target.tls.ca_file ...)". `definite` is set when retrying cannot help
/// (a verification failure, an alert from the server, a peer that does not speak TLS);
/// not for a connection that was reset or closed mid-handshake.
std::string tls_failure_text(int ssl_error, const std::string& problem, bool& definite);

/// Applies `target.tls` and `target.insecure` to a libcurl easy handle (`curl` is a CURL*):
/// verification; trust as close to the lean transport's as libcurl allows without parsing a
/// bundle per connection (CA file: ca_file, else SSL_CERT_FILE, else libcurl's bundle; CA
/// folder: ca_dir, else SSL_CERT_DIR, else OpenSSL's default folder); client certificate,
/// key and passphrase; minimum version. `server_name` is not applied (libcurl takes SNI
/// from the URL).
void tls_apply_to_curl(void* curl, const TargetSpec& target);

/// The outcome of one blocking handshake with `host`:`port` as `target` configures it
/// (at most `timeout` in all): `definite` when it failed in a way retrying cannot fix,
/// with `text` saying why (tls_failure_text); `text` also holds lesser failures.
struct TlsDiagnosis {
    bool definite = false;
    std::string text;
};
TlsDiagnosis tls_diagnose(const TargetSpec& target, const std::string& host, int port,
                          Duration timeout);

}  // namespace orch

// `target.tls` as environment variables for the external load tools (k6, command
// executor), so they trust and present what stagegate's own transports do, where the tool
// reads such variables.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

/// The variables for `target` (none when TLS is left at its defaults):
/// - ca_file: SSL_CERT_FILE (OpenSSL, Go and so k6), CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS,
///   REQUESTS_CA_BUNDLE, STAGEGATE_TLS_CA_FILE. For OpenSSL and Go, SSL_CERT_FILE replaces
///   the system bundle rather than adding to it;
/// - ca_dir: SSL_CERT_DIR, STAGEGATE_TLS_CA_DIR;
/// - client_cert / client_key: STAGEGATE_TLS_CLIENT_CERT, STAGEGATE_TLS_CLIENT_KEY (the
///   passphrase is not exported);
/// - server_name: STAGEGATE_TLS_SERVER_NAME; min_version: STAGEGATE_TLS_MIN_VERSION;
/// - insecure: STAGEGATE_TLS_INSECURE=true and K6_INSECURE_SKIP_TLS_VERIFY=true.
std::vector<std::pair<std::string, std::string>> tls_tool_environment(const TargetSpec& target);

}  // namespace orch

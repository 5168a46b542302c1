#include "config/tls_environment.hpp"

namespace orch {

std::vector<std::pair<std::string, std::string>> tls_tool_environment(const TargetSpec& target) {
    const TlsSpec& tls = target.tls;
    std::vector<std::pair<std::string, std::string>> env;
    if (!tls.ca_file.empty()) {
        for (const char* name : {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                                 "REQUESTS_CA_BUNDLE", "STAGEGATE_TLS_CA_FILE"}) {
            env.emplace_back(name, tls.ca_file.string());
        }
    }
    if (!tls.ca_dir.empty()) {
        env.emplace_back("SSL_CERT_DIR", tls.ca_dir.string());
        env.emplace_back("STAGEGATE_TLS_CA_DIR", tls.ca_dir.string());
    }
    if (!tls.client_cert.empty()) {
        env.emplace_back("STAGEGATE_TLS_CLIENT_CERT", tls.client_cert.string());
        env.emplace_back("STAGEGATE_TLS_CLIENT_KEY", tls.client_key.string());
    }
    if (!tls.server_name.empty()) {
        env.emplace_back("STAGEGATE_TLS_SERVER_NAME", tls.server_name);
    }
    if (tls.min_version == TlsSpec::Version::tls1_3) {
        env.emplace_back("STAGEGATE_TLS_MIN_VERSION", "1.3");
    }
    if (target.insecure) {
        env.emplace_back("STAGEGATE_TLS_INSECURE", "true");
        env.emplace_back("K6_INSECURE_SKIP_TLS_VERIFY", "true");
    }
    return env;
}

}  // namespace orch

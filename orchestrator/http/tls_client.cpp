// OpenSSL client settings for `target.tls`, and failures explained. The verify callback
// only runs its extra code when a certificate failed, so verification costs the handshake
// nothing more than OpenSSL's own checks.
#include "http/tls_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace orch {

namespace {

/// SSL ex_data slot of the `std::string*` the verify callback writes a problem into.
int problem_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::string name_text(const X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) {
        return "?";
    }
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    std::string text = bio_text(bio);
    BIO_free(bio);
    return text.empty() ? "(empty)" : text;
}

std::string time_text(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        return "?";
    }
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return text;
}

/// The DNS names and IP addresses a certificate is valid for.
std::string alt_names(X509* cert) {
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (names == nullptr) {
        return {};
    }
    std::string out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        std::string one;
        if (name->type == GEN_DNS) {
            const ASN1_STRING* dns = name->d.dNSName;
            one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                       static_cast<std::size_t>(ASN1_STRING_length(dns)));
        } else if (name->type == GEN_IPADD) {
            const ASN1_STRING* ip = name->d.iPAddress;
            char text[INET6_ADDRSTRLEN] = {0};
            int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
            if (inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text)) != nullptr) {
                one = text;
            }
        }
        if (!one.empty()) {
            out += (out.empty() ? "" : ", ") + one;
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

std::string certificate_text(X509* cert) {
    if (cert == nullptr) {
        return {};
    }
    std::string text = "certificate: subject " + name_text(X509_get_subject_name(cert)) +
                       ", issuer " + name_text(X509_get_issuer_name(cert)) + ", valid " +
                       time_text(X509_get0_notBefore(cert)) + " to " +
                       time_text(X509_get0_notAfter(cert));
    std::string names = alt_names(cert);
    if (!names.empty()) {
        text += ", names " + names;
    }
    return text;
}

std::string fix_for_verify_error(int error, const std::string& expected_name) {
    switch (error) {
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
            return "fix: trust the issuing CA with target.tls.ca_file (a PEM bundle) or "
                   "target.tls.ca_dir, or SSL_CERT_FILE; target.tls.insecure: true skips "
                   "verification";
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "fix: the certificate is not valid for \"" + expected_name +
                   "\": use a URL host it names, or target.tls.server_name: NAME to send and "
                   "verify a name it holds";
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "fix: renew the server's certificate (or check this machine's clock); "
                   "target.tls.insecure: true skips verification";
        default:
            return "fix: target.tls.ca_file / ca_dir to trust the issuer, or "
                   "target.tls.insecure: true to skip verification";
    }
}

int on_verify(int ok, X509_STORE_CTX* store) {
    if (ok == 1) {
        return 1;
    }
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* problem =
        ssl == nullptr ? nullptr : static_cast<std::string*>(SSL_get_ex_data(ssl, problem_index()));
    if (problem != nullptr && problem->empty()) {
        int error = X509_STORE_CTX_get_error(store);
        const char* host = X509_VERIFY_PARAM_get0_host(X509_STORE_CTX_get0_param(store), 0);
        std::string expected = host != nullptr ? host : "";
        if (expected.empty()) {
            char* ip = X509_VERIFY_PARAM_get1_ip_asc(X509_STORE_CTX_get0_param(store));
            if (ip != nullptr) {
                expected = ip;
                OPENSSL_free(ip);
            }
        }
        *problem = std::string(X509_verify_cert_error_string(error)) + " (" +
                   certificate_text(X509_STORE_CTX_get_current_cert(store)) + "; " +
                   fix_for_verify_error(error, expected) + ")";
    }
    return 0;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

/// OpenSSL's error queue in words (emptied); empty when it holds nothing.
std::string drain_errors(unsigned long& first_reason) {
    std::string text;
    first_reason = 0;
    while (unsigned long error = ERR_get_error()) {
        if (first_reason == 0) {
            first_reason = static_cast<unsigned long>(ERR_GET_REASON(error));
        }
        const char* reason = ERR_reason_error_string(error);
        std::string one = reason != nullptr ? reason : "error " + std::to_string(error);
        if (text.find(one) == std::string::npos) {
            text += (text.empty() ? "" : "; ") + one;
        }
    }
    return text;
}

}  // namespace

void TlsContextDeleter::operator()(ssl_ctx_st* context) const noexcept {
    SSL_CTX_free(context);
}

Result<TlsContext> make_tls_context(const TargetSpec& target) {
    const TlsSpec& tls = target.tls;
    TlsContext context(SSL_CTX_new(TLS_client_method()));
    if (!context) {
        return fail(ErrorCode::infrastructure, "cannot create a TLS context (OpenSSL)");
    }
    SSL_CTX* ctx = context.get();
    SSL_CTX_set_min_proto_version(
        ctx, tls.min_version == TlsSpec::Version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One read() takes a whole answer's records, not a 5-byte header and then its body
    // (bench/README.md "HTTPS": lean keep-alive 0.99x -> 1.02x wrk on a quiet machine).
    SSL_CTX_set_read_ahead(ctx, 1);
    static const unsigned char k_alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, k_alpn, sizeof(k_alpn));
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    unsigned long reason = 0;
    auto problem = [&](const std::string& what) {
        std::string detail = drain_errors(reason);
        return fail(ErrorCode::invalid_input,
                    what + (detail.empty() ? std::string() : ": " + detail));
    };
    if (target.insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &on_verify);
        // The system store; SSL_CERT_FILE and SSL_CERT_DIR replace it when set.
        SSL_CTX_set_default_verify_paths(ctx);
        ERR_clear_error();  // a missing default file is not an error of ours
        if (!tls.ca_file.empty() || !tls.ca_dir.empty()) {
            if (SSL_CTX_load_verify_locations(
                    ctx, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str(),
                    tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str()) != 1) {
                return problem("target.tls.ca_file/ca_dir: cannot load CA certificates from " +
                               (tls.ca_file.empty() ? tls.ca_dir : tls.ca_file).string() +
                               " (expected PEM)");
            }
        }
    }
    if (!tls.client_cert.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, tls.client_cert.c_str()) != 1) {
            return problem("target.tls.client_cert: cannot read " + tls.client_cert.string() +
                           " as a PEM certificate");
        }
        // The passphrase, if any: OpenSSL copies it into its buffer from this userdata.
        std::string password = tls.client_key_password;
        SSL_CTX_set_default_passwd_cb_userdata(ctx, password.data());
        int loaded = SSL_CTX_use_PrivateKey_file(ctx, tls.client_key.c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
        if (loaded != 1) {
            return problem("target.tls.client_key: cannot read " + tls.client_key.string() +
                           " as a PEM private key" +
                           (tls.client_key_password.empty()
                                ? " (encrypted? set target.tls.client_key_password)"
                                : " (wrong client_key_password?)"));
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            return problem("target.tls.client_key does not match target.tls.client_cert");
        }
    }
    return context;
}

bool tls_prepare_connection(ssl_st* ssl, const TargetSpec& target, std::string_view host,
                            std::string* problem) {
    std::string name = target.tls.server_name.empty() ? std::string(host) : target.tls.server_name;
    SSL_set_ex_data(ssl, problem_index(), problem);
    bool ip = is_ip_literal(name);
    // SSL_set_tlsext_host_name, without its macro's C cast.
    if (!ip && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                        const_cast<char*>(name.c_str())) != 1) {
        return false;
    }
    if (target.insecure) {
        return true;
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
        return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
    }
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) == 1;
}

std::string tls_failure_text(int ssl_error, const std::string& problem, bool& definite) {
    int saved_errno = errno;
    unsigned long reason = 0;
    std::string queue = drain_errors(reason);
    definite = false;
    if (!problem.empty()) {
        definite = true;
        return "certificate verify failed: " + problem;
    }
    if (ssl_error == SSL_ERROR_SSL || !queue.empty()) {
        definite = true;
        if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
            reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST) {
            return queue +
                   " (the server does not speak TLS here, plain HTTP perhaps; fix: use http:// "
                   "in target.base_url, or the server's HTTPS port)";
        }
        if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
            reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE || reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
            reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN) {
            return queue +
                   " (the server refused the client certificate, or wants one; fix: "
                   "target.tls.client_cert and client_key with a certificate the server trusts)";
        }
        if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
            reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
            return queue + " (fix: the server and target.tls.min_version share no TLS version)";
        }
        return (queue.empty() ? std::string("TLS handshake failed") : queue) +
               " (fix: check that the server speaks TLS 1.2 or 1.3 at this address)";
    }
    if (ssl_error == SSL_ERROR_SYSCALL) {
        return saved_errno != 0 ? std::string("TLS handshake: ") + std::strerror(saved_errno)
                                : "the server closed the connection during the TLS handshake";
    }
    return "TLS handshake failed (SSL error " + std::to_string(ssl_error) + ")";
}

void tls_apply_to_curl(void* curl_handle, const TargetSpec& target) {
    CURL* curl = static_cast<CURL*>(curl_handle);
    const TlsSpec& tls = target.tls;
    long verify = target.insecure ? 0L : 1L;
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify * 2);
    if (!target.insecure) {
        // Trust what the lean transport trusts, the way libcurl can without parsing a CA
        // bundle per connection (its CA cache keeps one per file): ca_file (else
        // SSL_CERT_FILE, which libcurl does not read itself, else libcurl's own bundle, the
        // system store) and, looked up by hash only when needed, ca_dir (else SSL_CERT_DIR,
        // else OpenSSL's default folder, the system store again).
        const char* env_file = std::getenv("SSL_CERT_FILE");
        const char* env_dir = std::getenv("SSL_CERT_DIR");
        if (!tls.ca_file.empty()) {
            curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
        } else if (env_file != nullptr && env_file[0] != '\0') {
            curl_easy_setopt(curl, CURLOPT_CAINFO, env_file);
        }
        curl_easy_setopt(curl, CURLOPT_CAPATH,
                         !tls.ca_dir.empty()                        ? tls.ca_dir.c_str()
                         : env_dir != nullptr && env_dir[0] != '\0' ? env_dir
                                                                    : X509_get_default_cert_dir());
    }
    if (!tls.client_cert.empty()) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.client_cert.c_str());
        curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.client_key.c_str());
        if (!tls.client_key_password.empty()) {
            curl_easy_setopt(curl, CURLOPT_KEYPASSWD, tls.client_key_password.c_str());
        }
    }
    curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                     tls.min_version == TlsSpec::Version::tls1_3 ? CURL_SSLVERSION_TLSv1_3
                                                                 : CURL_SSLVERSION_TLSv1_2);
}

TlsDiagnosis tls_diagnose(const TargetSpec& target, const std::string& host, int port,
                          Duration timeout) {
    TlsDiagnosis out;
    auto context = make_tls_context(target);
    if (!context) {
        out.definite = true;
        out.text = context.error().message;
        return out;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string service = std::to_string(port);
    if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
        out.text = "cannot resolve " + host;
        return out;
    }
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    timeval limit{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    bool connected = fd >= 0 &&
                     ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0 &&
                     ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) == 0 &&
                     ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) {
        out.text = std::string("cannot connect: ") + std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        return out;
    }
    SSL* ssl = SSL_new(context->get());
    std::string problem;
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1 ||
        !tls_prepare_connection(ssl, target, host, &problem)) {
        out.text = "cannot set up a TLS connection";
    } else {
        ERR_clear_error();
        errno = 0;
        int result = SSL_connect(ssl);
        if (result != 1) {
            out.text = tls_failure_text(SSL_get_error(ssl, result), problem, out.definite);
        } else {
            SSL_set_quiet_shutdown(ssl, 1);
            SSL_shutdown(ssl);
        }
    }
    SSL_free(ssl);
    ::close(fd);
    return out;
}

}  // namespace orch

// probe_health: one libcurl easy GET per call (a probe runs at most a few times a second,
// so a fresh handle keeps this thread-safe and simple), then the readiness verdict on the
// answer. Transport failures become words a person reads in a CI log.
#include "http/health_probe.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/redact.hpp"
#include "http/curl_support.hpp"
#include "http/tls_client.hpp"

namespace orch {

namespace {

constexpr std::size_t k_max_body_bytes = 64 * 1024;
constexpr std::size_t k_max_value_chars = 200;

/// Progress callback (curl calls it about once a second even while idle): a non-zero
/// return aborts the transfer.
int abort_on_stop(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

/// The host part of `url` ("" when curl cannot parse it).
std::string host_of(const std::string& url) {
    std::unique_ptr<CURLU, curl_support::Deleter> handle(curl_url());
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return {};
    }
    char* host = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) {
        return {};
    }
    std::string result(host);
    curl_free(host);
    return result;
}

struct UrlParts {
    std::string host;       ///< without IPv6 brackets
    std::string authority;  ///< host[:port] as in the URL
    int port = 0;           ///< the URL's, or the scheme's default
};

UrlParts url_parts(const std::string& url) {
    UrlParts parts;
    std::unique_ptr<CURLU, curl_support::Deleter> handle(curl_url());
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return parts;
    }
    char* text = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_HOST, &text, 0) == CURLUE_OK && text != nullptr) {
        parts.host = text;
        curl_free(text);
    }
    parts.authority = parts.host;
    text = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_PORT, &text, 0) == CURLUE_OK && text != nullptr) {
        parts.authority += std::string(":") + text;
        curl_free(text);
    }
    text = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_PORT, &text, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        text != nullptr) {
        parts.port = std::atoi(text);
        curl_free(text);
    }
    if (parts.host.size() > 2 && parts.host.front() == '[') {
        parts.host = parts.host.substr(1, parts.host.size() - 2);
    }
    return parts;
}

/// `url` with its host replaced by `host`.
std::string with_host(const std::string& url, const std::string& host) {
    std::unique_ptr<CURLU, curl_support::Deleter> handle(curl_url());
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
        curl_url_set(handle.get(), CURLUPART_HOST, host.c_str(), 0) != CURLUE_OK) {
        return url;
    }
    char* text = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_URL, &text, 0) != CURLUE_OK || text == nullptr) {
        return url;
    }
    std::string result(text);
    curl_free(text);
    return result;
}

bool is_tls_failure(CURLcode code) {
    switch (code) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CLIENTCERT:
            return true;
        default:
            return false;
    }
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" || host == "::1";
}

/// Words for a failed transfer: "connection refused", "timed out after 2s", ...
std::string transport_error(CURLcode code, long os_errno, const char* detail,
                            const std::string& url, Duration timeout) {
    std::string detail_text =
        detail != nullptr && detail[0] != '\0' ? detail : curl_easy_strerror(code);
    if (is_tls_failure(code)) {
        return "TLS error: " + detail_text;
    }
    switch (code) {
        case CURLE_COULDNT_CONNECT:
            if (os_errno == ECONNREFUSED) {
                return "connection refused";
            }
            if (os_errno == ENETUNREACH) {
                return "network unreachable";
            }
            if (os_errno == EHOSTUNREACH) {
                return "host unreachable";
            }
            return "could not connect: " + detail_text;
        case CURLE_OPERATION_TIMEDOUT:
            return "timed out after " + format_duration(timeout);
        case CURLE_COULDNT_RESOLVE_HOST:
            return "could not resolve host " + host_of(url);
        case CURLE_COULDNT_RESOLVE_PROXY:
            return "could not resolve proxy: " + detail_text;
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_USE_SSL_FAILED:
            return "TLS error: " + detail_text;
        case CURLE_GOT_NOTHING:
            return "connection closed without a response";
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
            if (os_errno == ECONNRESET) {
                return "connection reset";
            }
            return (code == CURLE_RECV_ERROR ? "receive error: " : "send error: ") + detail_text;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return "bad URL " + url + ": " + detail_text;
        default:
            return detail_text;
    }
}

/// `value` as JSON text, cut to a readable length.
std::string show(const nlohmann::json& value) {
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > k_max_value_chars) {
        text.resize(k_max_value_chars);
        text += "...";
    }
    return text;
}

/// Equal as JSON, or the same scalar written as a string on one side (YAML `ok`/`"200"`
/// against JSON 200): pipelines should not have to match JSON types exactly.
bool json_matches(const nlohmann::json& actual, const nlohmann::json& expected) {
    if (actual == expected) {
        return true;
    }
    if (expected.is_string() && (actual.is_number() || actual.is_boolean())) {
        return actual.dump() == expected.get<std::string>();
    }
    if (actual.is_string() && (expected.is_number() || expected.is_boolean())) {
        return expected.dump() == actual.get<std::string>();
    }
    return false;
}

/// Fills `answer.healthy` and `answer.problem` from the status and the expect_json checks.
void judge(HealthAnswer& answer, const HealthSpec& health) {
    std::string problems;
    auto add = [&problems](const std::string& problem) {
        problems += problems.empty() ? problem : "; " + problem;
    };
    if (answer.status != health.expect_status) {
        add("status " + std::to_string(answer.status) + " (expected " +
            std::to_string(health.expect_status) + ")");
    }
    for (const auto& [pointer, expected] : health.expect_json) {
        if (answer.json->is_discarded() || answer.json->is_null()) {
            add("body is not JSON (expected " + pointer + " = " + show(*expected) + ")");
            break;
        }
        try {
            nlohmann::json::json_pointer where(pointer);
            if (!answer.json->contains(where)) {
                add(pointer + " is missing (expected " + show(*expected) + ")");
            } else if (!json_matches(answer.json->at(where), *expected)) {
                add(pointer + " is " + show(answer.json->at(where)) + " (expected " +
                    show(*expected) + ")");
            }
        } catch (const nlohmann::json::exception&) {
            add(pointer + " is not a valid JSON pointer");
        }
    }
    answer.healthy = problems.empty();
    answer.problem = redact(problems);
}

}  // namespace

std::string health_url(const TargetSpec& target, const HealthSpec& health) {
    const std::string& url = health.url;
    if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
        return url;
    }
    std::string base = target.base_url;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    if (url.empty()) {
        return base + "/";
    }
    return url[0] == '/' ? base + url : base + "/" + url;
}

HealthAnswer probe_health(const std::string& url, const TargetSpec& target,
                          const HealthSpec& health, Duration timeout, std::stop_token stop) {
    HealthAnswer answer;
    answer.json = nlohmann::json(nullptr);
    try {
        curl_support::init_once();
        std::unique_ptr<CURL, curl_support::Deleter> curl(curl_easy_init());
        if (!curl) {
            answer.error = answer.problem = "could not create an HTTP client (curl_easy_init)";
            return answer;
        }
        CURL* handle = curl.get();
        // The first 64 KiB is all a health check needs.
        curl_support::BoundedBody sink{k_max_body_bytes, {}, false};
        char error_buffer[CURL_ERROR_SIZE] = {0};
        std::unique_ptr<curl_slist, curl_support::Deleter> headers;
        for (const auto& header : target.headers) {
            if (!header.value.is_constant()) {
                continue;  // a {{slot}} needs a request context: not in a health check
            }
            std::string value;
            for (const auto& segment : header.value.segments) {
                value += segment.literal;
            }
            std::string line = value.empty() ? header.name + ";" : header.name + ": " + value;
            curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
            if (appended != nullptr) {
                headers.release();
                headers.reset(appended);
            }
        }
        auto timeout_ms = std::max<long>(
            1, static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(timeout).count()));
        curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a threaded program
        curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &curl_support::write_bounded);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(handle, CURLOPT_USERAGENT, "stagegate-health-check");
        if (headers) {
            curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
        }
        tls_apply_to_curl(handle, target);
        const bool https = url.size() > 8 && (url.compare(0, 8, "https://") == 0 ||
                                              url.compare(0, 8, "HTTPS://") == 0);
        const UrlParts parts = url_parts(url);
        std::string request_url = url;
        std::unique_ptr<curl_slist, curl_support::Deleter> connect_to;
        if (https && !target.tls.server_name.empty() && !parts.host.empty()) {
            // libcurl takes SNI and the verified name from the URL: ask for server_name and
            // connect to the URL's host, sending its Host header as the lean transport does.
            request_url = with_host(url, target.tls.server_name);
            std::string route = target.tls.server_name + ":" + std::to_string(parts.port) + ":" +
                                parts.host + ":" + std::to_string(parts.port);
            connect_to.reset(curl_slist_append(nullptr, route.c_str()));
            curl_easy_setopt(handle, CURLOPT_CONNECT_TO, connect_to.get());
            std::string host_line = "Host: " + parts.authority;
            curl_slist* appended = curl_slist_append(headers.get(), host_line.c_str());
            if (appended != nullptr) {
                headers.release();
                headers.reset(appended);
                curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
            }
            curl_easy_setopt(handle, CURLOPT_URL, request_url.c_str());
        }
        if (stop.stop_possible()) {
            curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &abort_on_stop);
            curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &stop);
            curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
        }
        if (is_loopback(host_of(url))) {
            // A CI runner's HTTP(S)_PROXY must not swallow requests to the local backend.
            curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
        }

        auto started = std::chrono::steady_clock::now();
        CURLcode code = curl_easy_perform(handle);
        answer.elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        if (code == CURLE_WRITE_ERROR && sink.over) {
            code = CURLE_OK;  // we stopped the transfer at 64 KiB on purpose
        }
        if (code == CURLE_ABORTED_BY_CALLBACK) {
            answer.error = answer.problem = "interrupted";
            return answer;
        }
        if (code != CURLE_OK) {
            long os_errno = 0;
            curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_errno);
            answer.error = redact(transport_error(code, os_errno, error_buffer, url, timeout));
            if (https && is_tls_failure(code) && !parts.host.empty()) {
                // Say why in OpenSSL's words and with the certificate, from one handshake of
                // our own; a failure retrying cannot fix ends the wait (tls_fatal).
                TlsDiagnosis why =
                    tls_diagnose(target, parts.host, parts.port,
                                 std::min<Duration>(timeout, Duration(std::chrono::seconds(5))));
                if (why.definite) {
                    answer.tls_fatal = true;
                    answer.error = redact("TLS handshake with " + url + " failed: " + why.text);
                }
            } else if (!https &&
                       (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_WEIRD_SERVER_REPLY) &&
                       std::string_view(error_buffer).find("HTTP/0.9") != std::string_view::npos) {
                answer.tls_fatal = true;
                answer.error = redact(url + ": the server did not answer in HTTP (" +
                                      std::string(error_buffer) +
                                      "); it may speak TLS: use https:// in target.base_url");
            }
            answer.problem = answer.error;
            return answer;
        }
        long status = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
        answer.status = static_cast<int>(status);
        answer.body = std::move(sink.body);
        if (!https && status == 400 &&
            answer.body.find("plain HTTP request was sent to HTTPS port") != std::string::npos) {
            answer.tls_fatal = true;
            answer.error = answer.problem =
                redact(url +
                       ": status 400, \"The plain HTTP request was sent to HTTPS port\": "
                       "the server speaks TLS there; fix: use https:// in target.base_url "
                       "(and target.tls settings to verify it)");
            return answer;
        }
        answer.json = nlohmann::json::parse(answer.body, nullptr, false);
        if (answer.json->is_discarded()) {
            answer.json = nlohmann::json(nullptr);
        }
        judge(answer, health);
    } catch (const std::exception& error) {
        answer.healthy = false;
        answer.error = answer.problem = std::string("health check failed: ") + error.what();
    }
    return answer;
}

std::optional<double> json_number_at(const nlohmann::json& json, const std::string& pointer) {
    try {
        nlohmann::json::json_pointer where(pointer);
        if (!json.is_structured() || !json.contains(where)) {
            return std::nullopt;
        }
        const auto& value = json.at(where);
        if (!value.is_number()) {
            return std::nullopt;
        }
        return value.get<double>();
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace orch

// One libcurl easy POST per query (a stage end asks a few questions, so a fresh handle is
// simple and thread-safe); form-encoded, so a long PromQL never meets a URL length limit.
#include "http/prometheus_client.hpp"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/redact.hpp"
#include "http/curl_support.hpp"

namespace orch {

namespace {

constexpr std::size_t k_max_answer_bytes = 16 * 1024 * 1024;
constexpr std::size_t k_max_shown_chars = 300;

/// `text` cut to a readable length, on one line.
std::string shown(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, k_max_shown_chars)) {
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    if (text.size() > k_max_shown_chars) {
        out += "...";
    }
    return out;
}

/// The string at `key` of `object`, or `fallback` (get_ptr: a null check GCC can see).
std::string string_at(const nlohmann::json& object, const char* key, std::string fallback) {
    if (!object.is_object() || !object.contains(key)) {
        return fallback;
    }
    const nlohmann::json& value = object.at(key);
    return value.is_string() ? value.get<std::string>() : fallback;
}

std::string number_text(double value) {
    return fmt::format("{:.3f}", value);
}

/// `{a="x", b="y"}`, with `__name__` written before the braces as PromQL does.
std::string labels_of(const nlohmann::json& metric) {
    std::string name;
    std::vector<std::string> labels;
    if (metric.is_object()) {
        for (const auto& [key, value] : metric.items()) {
            const auto* string = value.get_ptr<const std::string*>();
            std::string text = string != nullptr ? *string : value.dump();
            if (key == "__name__") {
                name = text;
                continue;
            }
            labels.push_back(key + "=\"" + text + "\"");
        }
    }
    return fmt::format("{}{{{}}}", name, fmt::join(labels, ", "));
}

/// A sample `[time, "value"]`; false when it is not one.
bool read_point(const nlohmann::json& sample, std::pair<double, double>& point) {
    if (!sample.is_array() || sample.size() != 2 || !sample[0].is_number()) {
        return false;
    }
    const auto* value_text = sample[1].get_ptr<const std::string*>();
    if (value_text == nullptr) {
        return false;
    }
    const std::string& text = *value_text;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) {
        return false;
    }
    point = {sample[0].get<double>(), value};
    return true;
}

Result<std::vector<PromSeries>> post(const PrometheusSpec& prometheus, const std::string& api,
                                     const std::vector<std::pair<std::string, std::string>>& form,
                                     std::string_view promql) {
    curl_support::init_once();
    std::unique_ptr<CURL, curl_support::Deleter> curl(curl_easy_init());
    std::string url = prometheus.url + api;
    std::string what = "Prometheus at " + redact(prometheus.url);
    if (!curl) {
        return fail(ErrorCode::infrastructure, what + ": cannot create a curl handle");
    }
    std::string body;
    for (const auto& [key, value] : form) {
        char* escaped = curl_easy_escape(curl.get(), value.data(), static_cast<int>(value.size()));
        if (escaped == nullptr) {
            return fail(ErrorCode::infrastructure, what + ": cannot encode the query");
        }
        body += (body.empty() ? "" : "&") + key + "=" + escaped;
        curl_free(escaped);
    }
    std::unique_ptr<curl_slist, curl_support::Deleter> headers;
    for (const auto& header : prometheus.headers) {
        if (!header.value.is_constant()) {
            continue;  // the loader refuses slots here; nothing to fill them with
        }
        std::string value = header.value.segments.empty() ? "" : header.value.segments[0].literal;
        std::string line = header.name + ": " + value;
        curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
        if (grown == nullptr) {
            return fail(ErrorCode::infrastructure, what + ": out of memory for the headers");
        }
        (void)headers.release();
        headers.reset(grown);
    }
    curl_support::BoundedBody sink{k_max_answer_bytes, {}, false};
    char detail[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_support::write_bounded);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(k_prom_connect_timeout_s));
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(k_prom_request_timeout_s));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode code = curl_easy_perform(h);
    if (sink.over) {
        return fail(ErrorCode::infrastructure,
                    what + ": the answer to " + std::string(promql) + " is larger than 16 MiB");
    }
    if (code != CURLE_OK) {
        std::string text = detail[0] != '\0' ? detail : curl_easy_strerror(code);
        return fail(ErrorCode::infrastructure,
                    what + " is unreachable: " + redact(text) + " (curl error " +
                        std::to_string(static_cast<int>(code)) +
                        "; check metrics.prometheus.url and that Prometheus runs)");
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return parse_prom_answer(status, sink.body, what);
}

Result<std::vector<PromSeries>> parse_answer(long status, std::string_view body,
                                             const std::string& what) {
    nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
    std::string api_status = string_at(json, "status", "");
    if (api_status.empty()) {
        return fail(ErrorCode::infrastructure,
                    what + " answered HTTP " + std::to_string(status) +
                        " without Prometheus' API JSON: " + redact(shown(body)) +
                        " (is metrics.prometheus.url Prometheus' base URL?)");
    }
    if (api_status != "success") {
        std::string type = string_at(json, "errorType", "error");
        std::string message = string_at(json, "error", "no error message");
        return fail(ErrorCode::infrastructure, what + " rejected the query (HTTP " +
                                                   std::to_string(status) + ", " + type +
                                                   "): " + redact(message));
    }
    auto data_it = json.find("data");
    const nlohmann::json* data = data_it != json.end() ? &*data_it : nullptr;
    if (data == nullptr || !data->is_object() || !data->contains("resultType") ||
        !data->contains("result")) {
        return fail(ErrorCode::infrastructure, what + " answered without data.result");
    }
    std::string type = string_at(*data, "resultType", "");
    const nlohmann::json& result = data->at("result");
    std::vector<PromSeries> series;
    auto malformed = [&]() {
        return fail(ErrorCode::infrastructure,
                    what + " answered a malformed " + type + ": " + redact(shown(body)));
    };
    // One [time, "value"] sample of `one`; false when it is not one.
    auto add_point = [](const nlohmann::json& sample, PromSeries& one) {
        std::pair<double, double> point;
        if (!read_point(sample, point)) {
            return false;
        }
        one.points.push_back(point);
        return true;
    };
    if (type == "scalar") {
        PromSeries one;
        one.labels = "{}";
        if (!add_point(result, one)) {
            return malformed();
        }
        series.push_back(std::move(one));
        return series;
    }
    if ((type != "vector" && type != "matrix") || !result.is_array()) {
        return fail(ErrorCode::infrastructure,
                    what + " answered a " + (type.empty() ? std::string("result") : type) +
                        ", not a number (a criterion needs a scalar or one series)");
    }
    for (const auto& element : result) {
        if (!element.is_object()) {
            return malformed();
        }
        PromSeries one;
        one.labels = labels_of(element.contains("metric") ? element["metric"] : nlohmann::json());
        if (type == "vector") {
            if (!element.contains("value") || !add_point(element["value"], one)) {
                return malformed();
            }
        } else {
            if (!element.contains("values") || !element["values"].is_array()) {
                return malformed();
            }
            for (const auto& sample : element["values"]) {
                if (!add_point(sample, one)) {
                    return malformed();
                }
            }
        }
        series.push_back(std::move(one));
    }
    return series;
}

}  // namespace

Result<std::vector<PromSeries>> parse_prom_answer(long status, std::string_view body,
                                                  const std::string& what) {
    try {
        return parse_answer(status, body, what);
    } catch (const std::exception& e) {
        // nlohmann/json's type errors on an answer of an unexpected shape.
        return fail(ErrorCode::infrastructure,
                    what + " answered JSON of an unexpected shape: " + e.what());
    }
}

Result<std::vector<PromSeries>> prom_query(const PrometheusSpec& prometheus,
                                           std::string_view promql, double time_s) {
    return post(prometheus, "/api/v1/query",
                {{"query", std::string(promql)}, {"time", number_text(time_s)}}, promql);
}

Result<std::vector<PromSeries>> prom_query_range(const PrometheusSpec& prometheus,
                                                 std::string_view promql, double start_s,
                                                 double end_s, double step_s) {
    return post(prometheus, "/api/v1/query_range",
                {{"query", std::string(promql)},
                 {"start", number_text(start_s)},
                 {"end", number_text(end_s)},
                 {"step", number_text(step_s)}},
                promql);
}

}  // namespace orch

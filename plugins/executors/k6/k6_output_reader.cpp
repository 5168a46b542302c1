#include "plugins/executors/k6/k6_output_reader.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "plugins/executors/k6/k6_error_kind.hpp"

namespace orch {

namespace {

using nlohmann::json;

// Open requests beyond this are recorded at once (k6 writes a request's nine points
// together, so in practice only one or two are ever open).
constexpr std::size_t k_max_pending = 4096;
constexpr std::size_t k_max_unknown_names = 20;
constexpr unsigned k_all_phases = (1U << k_phase_count) - 1;

// http_req_* phase metrics in PhaseTimes order.
constexpr std::array<std::string_view, k_phase_count> k_phase_metrics = {
    "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
    "http_req_sending", "http_req_waiting",    "http_req_receiving"};

constexpr std::array<std::string_view, 4> k_other_metrics = {"http_reqs", "http_req_duration",
                                                             "vus", "iterations"};

bool is_wanted(std::string_view metric) {
    return std::find(k_phase_metrics.begin(), k_phase_metrics.end(), metric) !=
               k_phase_metrics.end() ||
           std::find(k_other_metrics.begin(), k_other_metrics.end(), metric) !=
               k_other_metrics.end() ||
           metric == "dropped_iterations";
}

// Every k6 Point line starts `{"metric":"NAME","type":"Point"`: most lines (iterations'
// own metrics, data_sent, checks, custom metrics) are skipped on that prefix without being
// parsed. A line in another key order is parsed in full.
std::optional<std::string_view> metric_prefix(std::string_view line) {
    constexpr std::string_view k_prefix = R"({"metric":")";
    if (line.substr(0, k_prefix.size()) != k_prefix) {
        return std::nullopt;
    }
    auto end = line.find('"', k_prefix.size());
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    return line.substr(k_prefix.size(), end - k_prefix.size());
}

std::string tag_text(const json& tags, const char* name) {
    auto it = tags.find(name);
    if (it == tags.end() || !it->is_string()) {
        return {};
    }
    return it->get<std::string>();
}

int tag_int(const json& tags, const char* name) {
    std::string text = tag_text(tags, name);
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::int64_t ms_to_us(double ms) {
    if (!std::isfinite(ms) || ms < 0) {
        return 0;
    }
    return std::llround(ms * 1000.0);
}

// The points of one request share time and tags; these are enough to tell requests apart.
std::string request_key(const json& data) {
    const json& tags = data["tags"];
    return data.value("time", std::string()) + '\x1f' + tag_text(tags, "url") + '\x1f' +
           tag_text(tags, "method") + '\x1f' + tag_text(tags, "status");
}

}  // namespace

K6OutputReader::K6OutputReader(const std::vector<std::string>& operation_names,
                               std::string operation_tag, bool open_model)
    : m_operation_tag(std::move(operation_tag)), m_open_model(open_model) {
    for (std::size_t i = 0; i < operation_names.size(); ++i) {
        if (!operation_names[i].empty()) {
            m_operation_index.emplace(operation_names[i], static_cast<std::uint32_t>(i));
        }
    }
}

void K6OutputReader::feed_line(std::string_view line, StageMetrics& into) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.remove_suffix(1);
    }
    if (line.empty()) {
        return;
    }
    if (auto metric = metric_prefix(line); metric && !is_wanted(*metric)) {
        return;
    }
    json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        ++m_malformed;
        return;
    }
    if (doc.value("type", std::string()) != "Point") {
        return;  // a Metric declaration
    }
    const std::string metric = doc.value("metric", std::string());
    auto data_it = doc.find("data");
    if (data_it == doc.end() || !data_it->is_object()) {
        ++m_malformed;
        return;
    }
    const json& data = *data_it;
    auto value_it = data.find("value");
    if (value_it == data.end() || !value_it->is_number()) {
        ++m_malformed;
        return;
    }
    const double value = value_it->get<double>();
    if (!data.contains("tags") || !data["tags"].is_object()) {
        if (metric == "vus") {
            m_active_vus = static_cast<int>(value);
        }
        return;
    }

    if (metric == "http_req_duration") {
        open_request(request_key(data), value, data["tags"]);
        if (m_pending.size() > k_max_pending) {
            record(m_pending.front(), into);
            m_pending.pop_front();
        }
    } else if (auto phase = std::find(k_phase_metrics.begin(), k_phase_metrics.end(), metric);
               phase != k_phase_metrics.end()) {
        join_phase(request_key(data), static_cast<std::size_t>(phase - k_phase_metrics.begin()),
                   value, into);
    } else if (metric == "http_reqs") {
        m_http_reqs += static_cast<std::uint64_t>(std::llround(std::max(value, 0.0)));
    } else if (metric == "vus") {
        m_active_vus = static_cast<int>(value);
    } else if (metric == "iterations" || metric == "dropped_iterations") {
        auto n = static_cast<std::uint64_t>(std::llround(std::max(value, 0.0)));
        if (metric == "iterations") {
            into.count_iteration(n);
        } else {
            into.count_dropped(n);
        }
        if (m_open_model) {
            into.count_scheduled(n);
        }
    }
}

void K6OutputReader::open_request(const std::string& key, double value_ms, const json& tags) {
    Pending pending;
    pending.key = key;
    RequestSample& sample = pending.sample;
    const int status = tag_int(tags, "status");
    sample.status = static_cast<std::uint16_t>(std::clamp(status, 0, 999));
    std::optional<bool> expected;
    if (auto text = tag_text(tags, "expected_response"); !text.empty()) {
        expected = text == "true";
    }
    sample.error =
        k6_error_kind(status, tag_int(tags, "error_code"), tag_text(tags, "error"), expected);
    sample.latency_us = ms_to_us(value_ms);
    sample.latency_uncorrected_us = sample.latency_us;
    sample.operation = k_k6_totals_only;
    std::string operation = tag_text(tags, m_operation_tag.c_str());
    if (auto it = m_operation_index.find(operation); it != m_operation_index.end()) {
        sample.operation = it->second;
    } else {
        ++m_untagged;
        if (!operation.empty() && m_unknown_operations.size() < k_max_unknown_names &&
            std::find(m_unknown_operations.begin(), m_unknown_operations.end(), operation) ==
                m_unknown_operations.end()) {
            m_unknown_operations.push_back(operation);
        }
    }
    m_pending.push_back(std::move(pending));
}

void K6OutputReader::join_phase(const std::string& key, std::size_t phase, double value_ms,
                                StageMetrics& into) {
    // The request is nearly always the newest open one: search from the back.
    for (auto it = m_pending.rbegin(); it != m_pending.rend(); ++it) {
        if (it->key != key) {
            continue;
        }
        PhaseTimes& phases = it->sample.phases;
        std::int64_t* fields[] = {&phases.blocked, &phases.connecting, &phases.tls,
                                  &phases.sending, &phases.waiting,    &phases.receiving};
        *fields[phase] = ms_to_us(value_ms);
        it->phases_seen |= 1U << phase;
        it->sample.has_phases = true;
        if (it->phases_seen == k_all_phases) {
            record(*it, into);
            m_pending.erase(std::next(it).base());
        }
        return;
    }
}

void K6OutputReader::record(Pending& pending, StageMetrics& into) {
    into.record(pending.sample);
    ++m_recorded;
}

void K6OutputReader::finish(StageMetrics& into) {
    for (auto& pending : m_pending) {
        record(pending, into);
    }
    m_pending.clear();
}

}  // namespace orch

#include "pipeline/backend_watch.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/escape_chars.hpp"

namespace orch {

namespace {

// Every number in `json`, keyed by its JSON pointer.
void collect_numbers(const nlohmann::json& json, const std::string& pointer,
                     std::map<std::string, double>& out) {
    if (json.is_number()) {
        out[pointer.empty() ? "/" : pointer] = json.get<double>();
    } else if (json.is_object()) {
        for (const auto& [key, value] : json.items()) {
            collect_numbers(value, pointer + "/" + escape_chars(key, {{'~', "~0"}, {'/', "~1"}}),
                            out);
        }
    } else if (json.is_array()) {
        for (std::size_t i = 0; i < json.size() && i < 64; ++i) {
            collect_numbers(json[i], pointer + "/" + std::to_string(i), out);
        }
    }
}

}  // namespace

std::string health_failure_in_words(const HealthAnswer& answer) {
    std::string words;
    if (answer.status > 0) {
        words = "status " + std::to_string(answer.status);
        if (answer.json->is_object() && answer.json->contains("status")) {
            words += ", body status " + answer.json["status"].dump();
        }
    }
    std::string why = !answer.problem.empty() ? answer.problem : answer.error;
    // "status 503 (expected 200)" would only repeat the status.
    if (!why.empty() && (words.empty() || why.rfind("status ", 0) != 0)) {
        words += (words.empty() ? "" : ": ") + why;
    }
    return words.empty() ? "no answer" : words;
}

void BackendFacts::add_to(Snapshot& snapshot) const {
    snapshot.set("backend.crashes", exit ? 1.0 : 0.0);
    snapshot.set("backend.health_failures", health_failures);
    if (rss_start_mb) {
        snapshot.set("backend.rss_start", *rss_start_mb);
    }
    if (rss_end_mb) {
        snapshot.set("backend.rss_end", *rss_end_mb);
    }
    if (rss_peak_mb) {
        snapshot.set("backend.rss_peak", *rss_peak_mb);
    }
    if (rss_start_mb && rss_end_mb && *rss_start_mb > 0) {
        snapshot.set("backend.memory_growth",
                     (*rss_end_mb - *rss_start_mb) / *rss_start_mb * 100.0);
    }
    if (!last_health_json->is_null()) {
        std::map<std::string, double> numbers;
        collect_numbers(*last_health_json, "", numbers);
        for (const auto& [pointer, value] : numbers) {
            snapshot.set("backend.health." + pointer, value);
        }
    }
}

BackendWatch::BackendWatch(BackendSupervisor& supervisor, std::stop_source stop,
                           const std::atomic<int>& interrupts, HealthPolling health_polling,
                           const RunClock& clock)
    : m_supervisor(supervisor),
      m_stop(std::move(stop)),
      m_interrupts(interrupts),
      m_health_polling(health_polling),
      m_clock(clock),
      m_started_s(clock.now_s()) {
    if (auto rss = m_supervisor.rss_mb()) {
        m_facts.rss_start_mb = rss;
        m_facts.rss_end_mb = rss;
        m_facts.rss_peak_mb = rss;
        m_facts.rss_series.emplace_back(0.0, *rss);
    }
    m_exit_thread = std::jthread([this](std::stop_token own_stop) { watch_exit(own_stop); });
    m_sample_thread = std::jthread([this](std::stop_token own_stop) { sample(own_stop); });
}

BackendWatch::~BackendWatch() {
    m_exit_thread.request_stop();
    m_sample_thread.request_stop();
}

BackendFacts BackendWatch::facts() const {
    std::lock_guard lock(m_mutex);
    return m_facts;
}

void BackendWatch::wait(double seconds) {
    Stopwatch clock;
    while (clock.seconds() < seconds && !m_stop.stop_requested()) {
        double left = seconds - clock.seconds();
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
    }
}

void BackendWatch::nap(std::stop_token own_stop, double seconds) {
    std::unique_lock lock(m_nap_mutex);
    m_nap.wait_for(lock, own_stop, std::chrono::duration<double>(seconds), [] { return false; });
}

void BackendWatch::watch_exit(std::stop_token own_stop) {
    while (!own_stop.stop_requested()) {
        if (m_interrupts.load() > 0) {
            std::lock_guard lock(m_mutex);
            m_facts.interrupted = true;
            m_stop.request_stop();
        }
        if (auto error = m_supervisor.log_error()) {
            std::lock_guard lock(m_mutex);
            if (!m_facts.output_error) {
                m_facts.output_error = error;
                m_stop.request_stop();  // an output that cannot be written ends the run
            }
        }
        if (auto exit = m_supervisor.check_exit()) {
            std::lock_guard lock(m_mutex);
            if (!m_facts.exit) {
                m_facts.exit = exit;
                m_facts.exit_at_s = m_clock.now_s() - m_started_s;
            }
            m_stop.request_stop();
            return;  // nothing more to watch
        }
        nap(own_stop, 0.1);
    }
}

void BackendWatch::sample(std::stop_token own_stop) {
    double next_sample_s = 1.0;
    while (!own_stop.stop_requested()) {
        double now = m_clock.now_s() - m_started_s;
        if (now < next_sample_s) {
            nap(own_stop, std::min(next_sample_s - now, 0.05));
            continue;
        }
        next_sample_s += 1.0;
        {
            std::lock_guard lock(m_mutex);
            if (m_facts.exit) {
                return;  // a dead backend has no health or memory to sample
            }
        }
        std::optional<HealthAnswer> answer;
        if (m_health_polling == HealthPolling::every_second) {
            answer = m_supervisor.check_health();
        }
        auto rss = m_supervisor.rss_mb();
        std::lock_guard lock(m_mutex);
        if (answer && !m_facts.exit && !own_stop.stop_requested()) {
            ++m_facts.health_checks;
            if (!answer->healthy) {
                ++m_facts.health_failures;
                m_facts.last_health_problem = answer->problem;
                if (!m_facts.unhealthy_at_s) {
                    m_facts.unhealthy_at_s = m_clock.now_s() - m_started_s;
                    m_facts.unhealthy_because = health_failure_in_words(*answer);
                    m_stop.request_stop();  // the stage during which it happened fails now
                }
            }
            if (!answer->json->is_null()) {
                m_facts.last_health_json = answer->json;
            }
        }
        if (rss) {
            if (!m_facts.rss_start_mb) {
                m_facts.rss_start_mb = rss;
            }
            m_facts.rss_end_mb = rss;
            m_facts.rss_peak_mb = std::max(m_facts.rss_peak_mb.value_or(0.0), *rss);
            if (m_facts.rss_series.size() < 100000) {
                m_facts.rss_series.emplace_back(m_clock.now_s() - m_started_s, *rss);
            }
        }
    }
}

}  // namespace orch

// BackendSupervisor: the readiness loop is the only non-trivial part. It probes, then
// sleeps out health.interval in short slices so that an exited backend (`/bin/false`)
// or a SIGINT is noticed within tens of milliseconds instead of after the full timeout.
#include "pipeline/supervisor.hpp"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "process/port_check.hpp"

namespace orch {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto k_wait_slice = std::chrono::milliseconds(20);
constexpr std::size_t k_context_lines = 20;
constexpr double k_bytes_per_mb = 1024.0 * 1024.0;

std::string answer_in_words(const HealthAnswer& answer) {
    if (!answer.error.empty()) {
        return answer.error;
    }
    if (!answer.problem.empty()) {
        return answer.problem;
    }
    return answer.status > 0 ? "status " + std::to_string(answer.status) : "no answer";
}

}  // namespace

BackendSupervisor::BackendSupervisor(const Pipeline& pipeline, SupervisorOptions options)
    : m_target(pipeline.target),
      m_backend(pipeline.backend),
      m_health(pipeline.health),
      m_options(std::move(options)),
      m_host_port(host_port_of(pipeline.target.base_url)) {
    if (m_health) {
        m_health_url = health_url(m_target, *m_health);
        m_health_target = "GET " + m_health_url;
    } else if (m_host_port) {
        m_health_target = "TCP " + m_host_port->first + ":" + std::to_string(m_host_port->second);
    } else {
        m_health_target = "TCP " + m_target.base_url;
    }
}

BackendSupervisor::~BackendSupervisor() {
    stop();
}

HealthAnswer BackendSupervisor::probe_once(Duration timeout, std::stop_token interrupt) const {
    if (m_health) {
        return probe_health(m_health_url, m_target, *m_health, timeout, std::move(interrupt));
    }
    if (!m_host_port) {
        HealthAnswer answer;
        answer.error = answer.problem = m_host_port.error().message;
        return answer;
    }
    return probe_tcp_answer(m_host_port->first, m_host_port->second, timeout);
}

std::string BackendSupervisor::log_context() const {
    auto lines = log_tail(k_context_lines);
    if (lines.empty()) {
        return m_options.log_path.filename().string() + " is empty";
    }
    std::string context =
        "last " + std::to_string(lines.size()) + " lines of " + m_options.log_path.string() + ":";
    for (const auto& line : lines) {
        context += "\n  " + line;
    }
    return context;
}

Result<void> BackendSupervisor::launch() {
    if (!m_host_port) {
        return tl::unexpected(m_host_port.error());
    }
    const auto& [host, port] = *m_host_port;
    // Port preflight: a listener already there (often a backend an earlier run left
    // behind) would answer our health checks and take the load in place of ours.
    if (is_local_host(host)) {
        if (auto holder = find_listener(port)) {
            return fail(ErrorCode::infrastructure,
                        "cannot launch the backend: " + holder->describe(),
                        "stop that process, or point target.base_url and the backend at a "
                        "free port");
        }
    }
    auto process = BackendProcess::spawn(*m_backend, m_options.base_dir, m_options.log_path,
                                         m_backend->log_max);
    if (!process) {
        return tl::unexpected(process.error());
    }
    (*process)->end_orphans_on_stop();
    std::lock_guard lock(m_mutex);
    m_process = std::move(*process);
    return {};
}

Result<HealthAnswer> BackendSupervisor::start(std::stop_token interrupt) {
    {
        std::lock_guard lock(m_mutex);
        if (m_started) {
            return fail(ErrorCode::internal, "BackendSupervisor::start() called twice");
        }
        m_started = true;
    }
    const bool launch_mode = m_backend.has_value();
    if (launch_mode) {
        ORCH_TRY(launch());
    }
    const Duration timeout = launch_mode ? m_backend->startup_timeout
                             : m_health  ? m_health->startup_timeout
                                         : m_options.attach_timeout;
    const Duration interval =
        m_health ? m_health->interval : Duration(std::chrono::milliseconds(250));
    const auto deadline = SteadyClock::now() + timeout;
    spdlog::info("waiting up to {} for the backend to become healthy ({})",
                 format_duration(timeout), m_health_target);

    auto exited_error = [this](const ExitInfo& exit) {
        stop();  // ends whatever the backend left behind in its group
        return fail(ErrorCode::infrastructure,
                    "backend " + exit.describe() + " before it became healthy", log_context());
    };
    auto interrupted_error = [this]() {
        return fail(ErrorCode::interrupted,
                    "interrupted while waiting for the backend to become healthy");
    };

    std::optional<HealthAnswer> last;
    auto next_report = SteadyClock::now() + std::chrono::seconds(1);
    while (true) {
        if (interrupt.stop_requested()) {
            return interrupted_error();
        }
        if (auto exit = check_exit()) {
            return exited_error(*exit);
        }
        auto now = SteadyClock::now();
        if (now >= deadline) {
            break;
        }
        Duration left = std::chrono::duration_cast<Duration>(deadline - now);
        const bool cut_short = left < m_target.timeout;
        HealthAnswer answer = probe_once(std::min(m_target.timeout, left), interrupt);
        {
            std::lock_guard lock(m_mutex);
            m_last_answer = answer;
        }
        // A final probe cut short by the deadline that got no answer says less than the
        // answer before it ("timed out after 3ms"): the error message keeps the earlier one.
        if (!(cut_short && answer.status == 0 && last)) {
            last = answer;
        }
        if (answer.healthy) {
            spdlog::info("backend is healthy ({}, {:.0f} ms)", m_health_target, answer.elapsed_ms);
            return answer;
        }
        if (answer.tls_fatal) {
            // Waiting cannot fix a certificate or a scheme: stop now and say why.
            if (launch_mode) {
                stop();
            }
            return fail(ErrorCode::infrastructure, answer.error);
        }
        spdlog::debug("not healthy yet: {}", answer_in_words(answer));
        // Attach mode: nothing of ours is starting, so say each second what we wait for.
        if (!launch_mode && m_options.on_waiting && SteadyClock::now() >= next_report) {
            auto waited = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() -
                                                                           (deadline - timeout));
            m_options.on_waiting("waiting for " + m_health_target + " to answer healthy: " +
                                 answer_in_words(answer) + " (" + std::to_string(waited.count()) +
                                 "s of " + format_duration(timeout) + ")");
            next_report += std::chrono::seconds(1);
        }
        // Sleep out the interval in slices: exits and SIGINT are noticed at once.
        const auto next_probe = std::min(SteadyClock::now() + interval, deadline);
        while (SteadyClock::now() < next_probe) {
            if (interrupt.stop_requested()) {
                return interrupted_error();
            }
            if (auto exit = check_exit()) {
                return exited_error(*exit);
            }
            std::this_thread::sleep_for(
                std::min<SteadyClock::duration>(k_wait_slice, next_probe - SteadyClock::now()));
        }
    }

    std::string last_words = last ? answer_in_words(*last) : "no health check finished";
    std::string message = (launch_mode ? "backend did not become healthy within "
                                       : "the service did not become healthy within ") +
                          format_duration(timeout) + ": last health check (" + m_health_target +
                          "): " + last_words;
    if (!launch_mode) {
        return fail(ErrorCode::infrastructure, std::move(message),
                    "no backend block: stagegate expects the service to be running already");
    }
    stop();  // after the stop, the log tail includes the backend's last words
    return fail(ErrorCode::infrastructure, std::move(message), log_context());
}

std::optional<ExitInfo> BackendSupervisor::check_exit() {
    std::lock_guard lock(m_mutex);
    if (!m_process) {
        return std::nullopt;
    }
    return m_process->exited();
}

HealthAnswer BackendSupervisor::check_health() {
    HealthAnswer answer = probe_once(m_target.timeout, {});
    std::lock_guard lock(m_mutex);
    m_last_answer = answer;
    return answer;
}

std::optional<double> BackendSupervisor::rss_mb() {
    std::lock_guard lock(m_mutex);
    if (m_health && !m_health->memory_json.empty() && m_last_answer) {
        if (auto bytes = json_number_at(*m_last_answer->json, m_health->memory_json)) {
            return *bytes / k_bytes_per_mb;
        }
    }
    if (m_process && !m_process->exited()) {
        if (auto bytes = m_process->tree_rss_bytes()) {
            return static_cast<double>(*bytes) / k_bytes_per_mb;
        }
    }
    return std::nullopt;
}

ExitInfo BackendSupervisor::stop() {
    std::lock_guard lock(m_mutex);
    if (!m_process) {
        return ExitInfo{};
    }
    if (!m_stopped_with) {
        m_stopped_with = m_process->stop(m_backend->stop_timeout);
    }
    return *m_stopped_with;
}

std::optional<std::string> BackendSupervisor::log_error() const {
    std::lock_guard lock(m_mutex);
    return m_process ? m_process->log_error() : std::nullopt;
}

std::vector<std::string> BackendSupervisor::log_tail(std::size_t n) const {
    if (m_options.log_path.empty()) {
        return {};
    }
    return tail_lines(m_options.log_path, n);
}

bool BackendSupervisor::launched() const {
    std::lock_guard lock(m_mutex);
    return m_process != nullptr;
}

std::optional<pid_t> BackendSupervisor::pid() const {
    std::lock_guard lock(m_mutex);
    if (!m_process) {
        return std::nullopt;
    }
    return m_process->pid();
}

}  // namespace orch

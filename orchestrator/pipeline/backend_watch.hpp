// BackendWatch: watches the backend while a stage or a cooldown runs. One thread checks
// every 100 ms whether the backend exited or stagegate was interrupted (and then fires the
// stop source, so the load stops at once); a second samples RSS and, during stages, probes
// health every second (counting failures), so a slow health answer never delays noticing
// a crash. A failed health check during a stage fires the stop source too: the stage during
// which the backend turned unhealthy is the one that fails. What it saw becomes backend.*
// metrics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/json_box.hpp"
#include "metrics/snapshot.hpp"
#include "pipeline/run_clock.hpp"
#include "pipeline/supervisor.hpp"

namespace orch {

// --- Interface ---

/// What the watch saw, copied out under its lock.
struct BackendFacts {
    std::optional<ExitInfo> exit;  ///< the backend ended while watched
    double exit_at_s = 0;          ///< seconds after the watch started
    bool interrupted = false;      ///< SIGINT/SIGTERM arrived
    int health_checks = 0;
    int health_failures = 0;
    std::string last_health_problem;
    /// The first failed health check, when one failed: when (seconds after the watch
    /// started) and why ("status 503, body status \"degraded\"").
    std::optional<double> unhealthy_at_s;
    std::string unhealthy_because;
    /// backend.log could not be written ("cannot write PATH: No space left on device").
    std::optional<std::string> output_error;
    JsonBox last_health_json;  ///< last health answer's body (null if none)
    std::optional<double> rss_start_mb, rss_end_mb, rss_peak_mb;
    std::vector<std::pair<double, double>> rss_series;  ///< (t_s, MB)

    /// Adds backend.crashes, backend.health_failures, backend.rss_*, backend.memory_growth
    /// and backend.health./pointer (every number in the last health answer).
    void add_to(Snapshot& snapshot) const;
};

/// A failed health answer in words for a stage's reason: the status, the body's `status`
/// field when it has one, and the problem unless it only repeats the status ("status 503,
/// body status \"degraded\""); a transport error alone when there was no answer.
std::string health_failure_in_words(const HealthAnswer& answer);

class BackendWatch {
  public:
    enum class HealthPolling { off, every_second };

    /// Starts watching now. `stop` is fired when the backend exits, when a health check
    /// fails (HealthPolling::every_second), when backend.log cannot be written or when
    /// `interrupts` > 0. Times (exit_at_s, unhealthy_at_s, the health poll every second)
    /// are read from `clock`; its threads sleep in real time (at most 100 ms, cut short when
    /// the watch ends).
    BackendWatch(BackendSupervisor& supervisor, std::stop_source stop,
                 const std::atomic<int>& interrupts, HealthPolling health_polling,
                 const RunClock& clock = steady_run_clock());
    ~BackendWatch();  ///< stops and joins the thread
    BackendWatch(const BackendWatch&) = delete;
    BackendWatch& operator=(const BackendWatch&) = delete;

    BackendFacts facts() const;

    /// Waits up to `seconds` (a cooldown); returns early when the stop source fires.
    void wait(double seconds);

  private:
    void watch_exit(std::stop_token own_stop);
    void sample(std::stop_token own_stop);
    /// Sleeps `seconds` of real time, or less when `own_stop` fires.
    void nap(std::stop_token own_stop, double seconds);

    BackendSupervisor& m_supervisor;
    std::stop_source m_stop;
    const std::atomic<int>& m_interrupts;
    HealthPolling m_health_polling;
    const RunClock& m_clock;
    const double m_started_s;  ///< m_clock.now_s() when the watch started
    mutable std::mutex m_mutex;
    std::mutex m_nap_mutex;
    std::condition_variable_any m_nap;
    BackendFacts m_facts;
    std::jthread m_exit_thread;
    std::jthread m_sample_thread;
};

}  // namespace orch

// BackendSupervisor: the whole backend side of a run for the runner. Launch mode
// (`backend:` set): port preflight, spawn, wait until healthy, watch for exits, sample
// memory, stop on every exit path. Attach mode (no `backend:`): nothing is started or
// stopped, but readiness and health are checked the same way. Without `health:` readiness
// is a TCP connect to base_url's host:port.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "http/health_probe.hpp"
#include "process/backend_process.hpp"

namespace orch {

// --- Interface ---

struct SupervisorOptions {
    std::filesystem::path base_dir;  ///< the pipeline file's folder (backend.cwd is relative to it)
    std::filesystem::path log_path;  ///< out/backend.log: the backend's stdout+stderr
    /// Attach mode without a health block: how long start() waits for a TCP connect to
    /// base_url (with one, health.startup_timeout).
    Duration attach_timeout = std::chrono::seconds(30);
    /// Attach mode: called about once a second while start() waits, with what it waits
    /// for and the last answer ("waiting for GET http://...: connection refused (3s of 30s)").
    std::function<void(const std::string&)> on_waiting;
};

/// Every member function is thread-safe (the runner may sample memory and health from a
/// second thread while the main thread watches for exits). Health probes run unlocked.
/// The members the runner and BackendWatch call are virtual for one reason: the runner's
/// unit tests (tests/unit/pipeline/runner_test.cpp) give the runner a fake backend
/// (RunOptions::backend) whose health and exits they script, with no process or socket.
class BackendSupervisor {
  public:
    BackendSupervisor(const Pipeline& pipeline, SupervisorOptions options);
    /// Stops the backend if still running (as stop()).
    virtual ~BackendSupervisor();
    BackendSupervisor(const BackendSupervisor&) = delete;
    BackendSupervisor& operator=(const BackendSupervisor&) = delete;

    /// Launch mode: fails (infrastructure) when base_url's port already has a listener,
    /// else spawns the backend and probes health every health.interval until healthy.
    /// Fails when the backend exits first (message names the exit code or signal), or
    /// when startup_timeout passes (message carries the last health answer or error);
    /// both carry the last 20 lines of backend.log as context, and the backend is stopped.
    /// Attach mode: probes until healthy or health.startup_timeout (attach_timeout without
    /// a health block), reporting each second to on_waiting. A stop request on `interrupt`
    /// (SIGINT) ends the wait within about a second with an `interrupted` error; the
    /// backend then still runs until stop() (or the destructor).
    /// Call it once, from a thread that lives as long as the backend (the main thread):
    /// the backend gets SIGKILL when that thread ends (BackendProcess::spawn).
    virtual Result<HealthAnswer> start(std::stop_token interrupt = {});

    /// Launch mode: how the backend ended, or nullopt while it runs (non-blocking).
    /// Attach mode and before start(): nullopt.
    virtual std::optional<ExitInfo> check_exit();

    /// One probe now, with target.timeout (before each stage, and during stages).
    virtual HealthAnswer check_health();

    /// Backend memory in MB (2^20 bytes): health.memory_json from the latest health answer
    /// when configured and present (call check_health() for a fresh value), else the RSS
    /// of the whole process tree from /proc (launch mode, while running); nullopt
    /// otherwise (e.g. attach mode without memory_json).
    virtual std::optional<double> rss_mb();

    /// Launch mode: stops the backend (SIGTERM, stop_timeout, SIGKILL; see
    /// BackendProcess::stop) and returns how it ended. Idempotent. Attach mode, or never
    /// launched: a default ExitInfo.
    virtual ExitInfo stop();

    /// The first failed write to backend.log ("cannot write PATH: No space left on
    /// device"), else nullopt.
    virtual std::optional<std::string> log_error() const;

    /// The last `n` lines of backend.log, redacted (empty when there is none).
    virtual std::vector<std::string> log_tail(std::size_t n) const;

    /// True once start() spawned a backend.
    virtual bool launched() const;
    virtual std::optional<pid_t> pid() const;

    /// What readiness checks: "GET http://127.0.0.1:8080/health" or "TCP 127.0.0.1:8080".
    const std::string& health_target() const { return m_health_target; }

  private:
    HealthAnswer probe_once(Duration timeout, std::stop_token interrupt) const;
    Result<void> launch();
    std::string log_context() const;

    TargetSpec m_target;
    std::optional<BackendSpec> m_backend;
    std::optional<HealthSpec> m_health;
    SupervisorOptions m_options;
    std::string m_health_url;                         ///< empty without a health block
    std::string m_health_target;                      ///< for messages
    Result<std::pair<std::string, int>> m_host_port;  ///< of base_url

    mutable std::mutex m_mutex;  ///< guards the members below
    std::unique_ptr<BackendProcess> m_process;
    std::optional<HealthAnswer> m_last_answer;
    std::optional<ExitInfo> m_stopped_with;
    bool m_started = false;
};

}  // namespace orch

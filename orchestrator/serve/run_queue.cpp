#include "serve/run_queue.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "core/clock.hpp"

extern char** environ;

namespace orch::serve {

namespace {

std::string now_iso() {
    return iso8601_utc(std::chrono::system_clock::now());
}

/// Starts `argv` in a new process group with default signal dispositions and an empty
/// signal mask (serve blocks SIGTERM/SIGINT in its threads), stdin from /dev/null and
/// stdout+stderr into `log`. Returns the pid, or -1 with errno's text in `problem`.
pid_t spawn_run(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::string& problem) {
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) {
        sigaddset(&defaults, sig);
    }
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        problem = std::strerror(rc);
        return -1;
    }
    return pid;
}

}  // namespace

RunQueue::RunQueue(QueueConfig config) : m_config(std::move(config)) {
    m_dispatcher = std::thread([this] { dispatch(); });
}

RunQueue::~RunQueue() {
    stop();
}

std::string RunQueue::new_id_locked() const {
    static thread_local std::mt19937 random{std::random_device{}()};
    for (;;) {
        std::string id = fmt::format("{}-{:04x}", compact_utc(std::chrono::system_clock::now()),
                                     static_cast<unsigned>(random() & 0xffff));
        if (m_runs.count(id) == 0) {
            return id;
        }
    }
}

RunQueue::Submitted RunQueue::submit(const std::string& pipeline,
                                     const std::filesystem::path& pipeline_file,
                                     std::vector<std::string> overrides,
                                     const std::string& checksum, const std::string& origin) {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
        return {Outcome::stopping, {}};
    }
    if (auto it = m_latest.find(pipeline); it != m_latest.end()) {
        const RunRecord& last = m_runs.at(it->second);
        if (last.state == "queued" || last.state == "running") {
            return {Outcome::busy, last.id};
        }
    }
    bool something_runs = m_child != 0 || !m_waiting.empty();
    if (something_runs && m_waiting.size() >= m_config.max_queued) {
        return {Outcome::full, {}};
    }
    RunRecord run;
    run.id = new_id_locked();
    run.pipeline = pipeline;
    run.checksum = checksum;
    run.origin = origin;
    run.overrides = std::move(overrides);
    run.created_at = now_iso();
    m_files[run.id] = pipeline_file;
    m_latest[pipeline] = run.id;
    if (!checksum.empty()) {
        m_by_checksum[{pipeline, checksum}] = run.id;
    }
    m_waiting.push_back(run.id);
    std::string id = run.id;
    m_runs.emplace(id, std::move(run));
    m_wake.notify_all();
    return {Outcome::accepted, id};
}

std::optional<RunRecord> RunQueue::get(const std::string& id) const {
    std::lock_guard lock(m_mutex);
    auto it = m_runs.find(id);
    if (it == m_runs.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<RunRecord> RunQueue::latest(const std::string& pipeline) const {
    std::lock_guard lock(m_mutex);
    auto it = m_latest.find(pipeline);
    if (it == m_latest.end()) {
        return std::nullopt;
    }
    return m_runs.at(it->second);
}

std::optional<RunRecord> RunQueue::for_checksum(const std::string& pipeline,
                                                const std::string& checksum) const {
    std::lock_guard lock(m_mutex);
    auto it = m_by_checksum.find({pipeline, checksum});
    if (it == m_by_checksum.end()) {
        return std::nullopt;
    }
    return m_runs.at(it->second);
}

void RunQueue::dispatch() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stopping || !m_waiting.empty(); });
        if (m_stopping) {
            return;
        }
        std::string id = m_waiting.front();
        m_waiting.pop_front();
        RunRecord& run = m_runs.at(id);
        std::filesystem::path out = m_config.out_dir / "runs" / id;
        std::vector<std::string> argv{m_config.program.string(),
                                      "run",
                                      m_files.at(id).string(),
                                      "--out",
                                      out.string(),
                                      "--no-progress"};
        for (const auto& text : run.overrides) {
            argv.push_back("--set");
            argv.push_back(text);
        }
        std::error_code ec;
        std::filesystem::create_directories(out, ec);
        std::string problem = ec ? ec.message() : std::string();
        pid_t pid = ec ? -1 : spawn_run(argv, out / "console.log", problem);
        run.started_at = now_iso();
        if (pid < 0) {
            run.state = "finished";
            run.exit_code = 3;
            run.finished_at = now_iso();
            fmt::print(stderr, "stagegate serve: run {} could not start: {}\n", id, problem);
            continue;
        }
        run.state = "running";
        m_child = pid;
        lock.unlock();
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        lock.lock();
        m_child = 0;
        RunRecord& done = m_runs.at(id);
        done.state = "finished";
        done.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        done.finished_at = now_iso();
        m_child_done.notify_all();
    }
}

void RunQueue::hurry() {
    std::lock_guard lock(m_mutex);
    if (m_child != 0) {
        ::kill(-m_child, SIGTERM);
    }
}

void RunQueue::stop() {
    std::unique_lock lock(m_mutex);
    if (!m_stopping) {
        m_stopping = true;
        for (const auto& id : m_waiting) {
            RunRecord& run = m_runs.at(id);
            run.state = "cancelled";
            run.finished_at = now_iso();
        }
        m_waiting.clear();
        if (m_child != 0) {
            pid_t child = m_child;
            ::kill(-child, SIGTERM);
            if (!m_child_done.wait_for(lock, m_config.stop_grace,
                                       [this] { return m_child == 0; })) {
                ::kill(-child, SIGKILL);
            }
        }
        m_wake.notify_all();
    }
    lock.unlock();
    if (m_dispatcher.joinable() && m_dispatcher.get_id() != std::this_thread::get_id()) {
        m_dispatcher.join();
    }
}

}  // namespace orch::serve

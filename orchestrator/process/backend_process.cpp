// BackendProcess on Boost.Process 1.74 (bp::child with bp::extend::on_exec_setup for the
// child-side set-up Boost has no initializer for: the log fd on stdout+stderr, a new
// process group, reset signals, closing inherited fds, PR_SET_PDEATHSIG). The child is
// detached at once: Boost's child would kill it in its destructor and cannot signal a
// group, so waiting and stopping are plain waitpid/kill on the pid and its group.
#include "process/backend_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>

#include "core/redact.hpp"
#include "process/process_tree.hpp"

extern char** environ;

namespace orch {

namespace bp = boost::process;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string ExitInfo::describe() const {
    if (signal > 0) {
        const char* abbrev = ::sigabbrev_np(signal);
        std::string name = abbrev != nullptr ? std::string("SIG") + abbrev : "unknown signal";
        return "killed by signal " + std::to_string(signal) + " (" + name +
               (core_dumped ? ", core dumped)" : ")");
    }
    if (exit_code >= 0) {
        return "exited with code " + std::to_string(exit_code);
    }
    return "exit status unknown";
}

namespace {

constexpr auto k_poll_interval = std::chrono::milliseconds(10);
constexpr auto k_scan_interval = std::chrono::milliseconds(50);
constexpr auto k_kill_grace = std::chrono::seconds(1);
/// How long stop() keeps draining the output of a process tree that was stopped (a leftover
/// that still writes is cut off after this).
constexpr auto k_log_grace = std::chrono::milliseconds(500);

/// True when this process is a child subreaper (PR_SET_CHILD_SUBREAPER, set by the CLI):
/// then orphans of the backend's tree (daemons that double-forked) are re-parented to us,
/// not to init, and can still be found among our descendants.
bool is_child_subreaper() {
    int on = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on != 0;
}

ExitInfo exit_info_from_status(int status) {
    ExitInfo info;
    info.at = std::chrono::system_clock::now();
    if (WIFEXITED(status)) {
        info.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        info.signal = WTERMSIG(status);
        info.core_dumped = WCOREDUMP(status);
    }
    return info;
}

std::string join_command(const std::vector<std::string>& command) {
    std::string text;
    for (const auto& word : command) {
        if (!text.empty()) {
            text += ' ';
        }
        text += word;
    }
    return redact(text);
}

/// PATH the child will see: spec.env's when it sets one (last wins), else ours.
std::string child_path_variable(const BackendSpec& spec) {
    for (auto it = spec.env.rbegin(); it != spec.env.rend(); ++it) {
        if (it->first == "PATH") {
            return it->second;
        }
    }
    const char* path = std::getenv("PATH");
    return path != nullptr ? path : "";
}

/// Resolves `command[0]`: a path when it holds a slash (relative to `cwd`), else a search
/// of `path_variable` (empty entries skipped: they would mean "the cwd" by accident).
Result<fs::path> resolve_command(const std::string& name, const fs::path& cwd,
                                 const std::string& path_variable) {
    std::error_code ec;
    if (name.find('/') != std::string::npos) {
        fs::path candidate = fs::path(name).is_absolute() ? fs::path(name) : cwd / name;
        if (!fs::exists(candidate, ec)) {
            return fail(ErrorCode::infrastructure, "backend command not found: " + name +
                                                       " (looked in cwd " + cwd.string() + ")");
        }
        if (!fs::is_regular_file(candidate, ec) || ::access(candidate.c_str(), X_OK) != 0) {
            return fail(ErrorCode::infrastructure,
                        "backend command is not an executable file: " + candidate.string());
        }
        return candidate.lexically_normal();
    }
    std::vector<boost::filesystem::path> directories;
    std::size_t start = 0;
    while (start <= path_variable.size()) {
        std::size_t end = path_variable.find(':', start);
        if (end == std::string::npos) {
            end = path_variable.size();
        }
        if (end > start) {
            directories.emplace_back(path_variable.substr(start, end - start));
        }
        start = end + 1;
    }
    boost::filesystem::path found = bp::search_path(name, directories);
    if (found.empty()) {
        std::string message = "backend command not found: " + name + " (looked in cwd " +
                              cwd.string() + " and PATH=" + path_variable + ")";
        if (fs::exists(cwd / name, ec)) {
            message += "; to run the file in the cwd, write ./" + name;
        }
        return fail(ErrorCode::infrastructure, std::move(message));
    }
    return fs::path(found.string());
}

/// The child's environment: ours with `added` set on top, as the NAME=VALUE array execve
/// takes. Built by hand rather than with bp::environment, whose find()/operator[] in
/// Boost 1.74 reads past the end of shorter entries (AddressSanitizer reports it).
class ChildEnvironment {
  public:
    explicit ChildEnvironment(const std::vector<std::pair<std::string, std::string>>& added) {
        for (char** item = environ; *item != nullptr; ++item) {
            m_entries.emplace_back(*item);
        }
        for (const auto& [name, value] : added) {
            const std::string prefix = name + "=";
            auto existing = std::find_if(m_entries.begin(), m_entries.end(),
                                         [&prefix](const std::string& entry) {
                                             return entry.compare(0, prefix.size(), prefix) == 0;
                                         });
            if (existing != m_entries.end()) {
                *existing = prefix + value;
            } else {
                m_entries.push_back(prefix + value);
            }
        }
        for (auto& entry : m_entries) {
            m_pointers.push_back(entry.data());
        }
        m_pointers.push_back(nullptr);
    }
    char** envp() { return m_pointers.data(); }

  private:
    std::vector<std::string> m_entries;
    std::vector<char*> m_pointers;
};

/// The child-side set-up, run between fork and exec: only async-signal-safe calls.
/// On failure it reports through Boost's error pipe and exits, so spawn() fails cleanly.
struct ChildSetup {
    int log_fd;
    pid_t parent;

    template <class Executor>
    void operator()(Executor& exec) const {
        if (::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) {
            exec.set_error(std::error_code(errno, std::system_category()),
                           "cannot redirect output to the log file");
            ::_exit(127);
        }
        // Own process group: stop() signals the whole tree, and a Ctrl-C in the terminal
        // reaches stagegate only (which then stops the backend itself).
        if (::setpgid(0, 0) != 0) {
            exec.set_error(std::error_code(errno, std::system_category()),
                           "cannot create a process group");
            ::_exit(127);
        }
        // stagegate may block or ignore signals (a signal-handling thread, SIGPIPE); a
        // blocked SIGTERM would make the backend deaf to stop().
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2}) {
            ::sigaction(sig, &default_action, nullptr);
        }
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);  // stagegate died before prctl took effect
        }
        // No stagegate descriptor (sockets, the results file...) leaks into the backend.
        // Best effort: close_range needs Linux 5.11.
        ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    }
};

}  // namespace

BackendProcess::BackendProcess(pid_t pid, fs::path log_path)
    : m_pid(pid), m_log_path(std::move(log_path)) {}

Result<std::unique_ptr<BackendProcess>> BackendProcess::spawn(
    const BackendSpec& spec, const fs::path& base_dir, const fs::path& log_path,
    std::optional<std::uint64_t> bounded_log) {
    if (spec.command.empty() || spec.command[0].empty()) {
        return fail(ErrorCode::invalid_input, "backend.command is empty");
    }
    std::error_code ec;
    fs::path cwd =
        spec.cwd.empty() ? base_dir : (spec.cwd.is_absolute() ? spec.cwd : base_dir / spec.cwd);
    cwd = fs::absolute(cwd, ec).lexically_normal();
    if (!fs::is_directory(cwd, ec)) {
        return fail(ErrorCode::infrastructure, "backend cwd is not a directory: " + cwd.string());
    }
    auto executable = resolve_command(spec.command[0], cwd, child_path_variable(spec));
    if (!executable) {
        return tl::unexpected(executable.error());
    }

    std::unique_ptr<LogSink> sink;
    int log_fd = -1;
    if (bounded_log) {
        auto opened = LogSink::open(log_path, *bounded_log);
        if (!opened) {
            return tl::unexpected(opened.error());
        }
        sink = std::move(*opened);
        log_fd = ::fcntl(sink->write_fd(), F_DUPFD_CLOEXEC, 3);  // closed below, as a file's
    } else {
        log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    if (log_fd < 0) {
        return fail(ErrorCode::infrastructure,
                    "cannot open backend log " + log_path.string() + ": " + std::strerror(errno));
    }

    pid_t pid = 0;
    try {
        ChildEnvironment env(spec.env);
        std::vector<std::string> args(spec.command.begin() + 1, spec.command.end());
        std::error_code spawn_error;
        bp::child child(
            bp::exe = executable->string(), bp::args = args,
            bp::extend::on_setup = [&env](auto& exec) { exec.env = env.envp(); },
            bp::start_dir = cwd.string(), bp::std_in < bp::null,
            bp::extend::on_exec_setup = ChildSetup{log_fd, ::getpid()}, spawn_error);
        if (spawn_error) {
            ::close(log_fd);
            return fail(ErrorCode::infrastructure, "cannot start backend " + executable->string() +
                                                       ": " + spawn_error.message());
        }
        pid = child.id();
        child.detach();  // we wait and signal by pid ourselves (see the file comment)
    } catch (const std::exception& error) {
        ::close(log_fd);
        return fail(ErrorCode::infrastructure,
                    "cannot start backend " + executable->string() + ": " + error.what());
    }
    ::close(log_fd);

    std::unique_ptr<BackendProcess> process(new BackendProcess(pid, log_path));
    if (sink) {
        sink->start();  // the child has its copy of the write end; ours is closed
        process->m_sink = std::move(sink);
    }
    process->m_stop_timeout = spec.stop_timeout;
    if (auto entry = read_process(pid)) {
        process->m_start_time = entry->start_time;
    }
    spdlog::info("backend started (pid {}): {}", pid, join_command(spec.command));
    spdlog::debug("backend cwd {}, output appended to {}", cwd.string(), log_path.string());
    return process;
}

BackendProcess::~BackendProcess() {
    if (!m_stopped) {
        stop(m_stop_timeout);
    }
}

void BackendProcess::reap() {
    if (m_exit) {
        return;
    }
    int status = 0;
    pid_t result = 0;
    do {
        result = ::waitpid(m_pid, &status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result == m_pid) {
        m_exit = exit_info_from_status(status);
    } else if (result < 0 && errno == ECHILD) {
        // Someone else reaped it (SIGCHLD ignored?): it is gone, how is unknown.
        m_exit = ExitInfo{};
        m_exit->at = std::chrono::system_clock::now();
    }
}

std::optional<ExitInfo> BackendProcess::exited() {
    reap();
    return m_exit;
}

ExitInfo BackendProcess::stop(Duration stop_timeout) {
    // Once everything is stopped, the log gets what is still in the pipe and is completed.
    struct FinishLog {
        LogSink* sink;
        ~FinishLog() {
            if (sink != nullptr) {
                sink->finish(k_log_grace);
            }
        }
    } finish_log{m_sink.get()};
    if (m_stopped) {
        reap();
        if (m_exit) {
            return *m_exit;
        }
        ExitInfo killed;  // SIGKILLed by the first stop() but not reaped yet
        killed.signal = SIGKILL;
        return killed;
    }
    m_stopped = true;
    const auto deadline = SteadyClock::now() + stop_timeout;
    reap();
    const bool was_running = !m_exit;

    // What may be left behind: descendants (found only while the leader lives: an orphan
    // is re-parented and loses its tie to us) and members of the backend's group.
    std::vector<ProcessEntry> tracked;
    const bool subreaper = is_child_subreaper();
    const bool end_orphans = m_end_orphans && subreaper;
    auto track = [&tracked](const ProcessEntry& entry) {
        for (const auto& known : tracked) {
            if (known.pid == entry.pid && known.start_time == entry.start_time) {
                return;
            }
        }
        tracked.push_back(entry);
    };
    // The group id is ours unless the pid was reused by an unrelated process (possible
    // only once the leader is reaped and its group empty).
    auto group_is_ours = [this]() {
        auto leader = read_process(m_pid);
        return !leader || leader->start_time == m_start_time;
    };
    // Rescans /proc; returns whether anything besides the leader still runs.
    auto scan_leftovers = [&]() {
        auto table = scan_processes();
        if (!m_exit) {
            for (const auto& entry : descendants_of(table, m_pid)) {
                track(entry);
            }
        }
        // Orphans re-parented to us (we are their subreaper) that started after the
        // backend: what its tree left behind. Nothing else of ours runs at teardown
        // (end_orphans_on_stop: only the backend's stop is the teardown). starttime has
        // clock-tick resolution (10 ms): ">=" counts a process of the backend's own tick as
        // its, as a wrapper's child forked at once is.
        if (end_orphans) {
            for (const auto& entry : descendants_of(table, ::getpid())) {
                if (entry.pid != m_pid && entry.start_time >= m_start_time && !entry.is_dead()) {
                    track(entry);
                }
            }
        }
        bool ours = group_is_ours();
        bool any = false;
        for (const auto& entry : table) {
            if (entry.pid == m_pid || entry.is_dead()) {
                continue;
            }
            if (entry.pgid == m_pid && ours) {
                track(entry);
                any = true;
            }
        }
        for (const auto& entry : tracked) {
            if (subreaper) {
                // Reaps it when it became our child and ended (else it stays a zombie
                // until stagegate exits); a pid that is not our child is left alone.
                int status = 0;
                ::waitpid(entry.pid, &status, WNOHANG);
            }
            if (still_running(entry)) {
                any = true;
            }
        }
        return any;
    };
    auto signal_everything = [&](int sig) {
        if (!m_exit) {
            ::kill(m_pid, sig);
        }
        if (!m_exit || group_is_ours()) {
            ::kill(-m_pid, sig);
        }
        for (const auto& entry : tracked) {
            if (entry.pgid != m_pid && still_running(entry)) {
                ::kill(entry.pid, sig);
            }
        }
    };

    bool leftovers = scan_leftovers();
    if (was_running || leftovers) {
        spdlog::info("stopping backend (pid {}): SIGTERM to its process group", m_pid);
        signal_everything(SIGTERM);
    }
    auto next_scan = SteadyClock::now() + k_scan_interval;
    while (SteadyClock::now() < deadline) {
        reap();
        if (SteadyClock::now() >= next_scan) {
            leftovers = scan_leftovers();
            next_scan = SteadyClock::now() + k_scan_interval;
        }
        if (m_exit && !leftovers) {
            break;
        }
        std::this_thread::sleep_for(k_poll_interval);
    }
    // Anything still alive now either ignored SIGTERM past stop_timeout or appeared after
    // the last scan: SIGKILL, then give the kernel a moment to deliver it.
    leftovers = scan_leftovers();
    reap();
    if (!m_exit || leftovers) {
        if (!m_exit) {
            spdlog::warn("backend (pid {}) did not stop within {} of SIGTERM: sending SIGKILL",
                         m_pid, format_duration(stop_timeout));
        } else {
            spdlog::info("backend exited; killing {} process(es) it left behind", tracked.size());
        }
        signal_everything(SIGKILL);
        const auto kill_deadline = SteadyClock::now() + k_kill_grace;
        while (!m_exit && SteadyClock::now() < kill_deadline) {
            std::this_thread::sleep_for(k_poll_interval);
            reap();
        }
    }
    if (!m_exit) {
        spdlog::warn("backend (pid {}) is still not reaped 1s after SIGKILL", m_pid);
        ExitInfo killed;
        killed.signal = SIGKILL;
        killed.at = std::chrono::system_clock::now();
        return killed;
    }
    spdlog::info("backend {}", m_exit->describe());
    return *m_exit;
}

std::optional<std::uint64_t> BackendProcess::tree_rss_bytes() const {
    if (m_exit) {
        return std::nullopt;
    }
    auto total = resident_bytes(m_pid);
    if (!total) {
        return std::nullopt;
    }
    for (const auto& entry : descendants_of(scan_processes(), m_pid)) {
        if (auto bytes = resident_bytes(entry.pid)) {
            *total += *bytes;
        }
    }
    return total;
}

std::vector<std::string> BackendProcess::log_tail(std::size_t n) const {
    return tail_lines(m_log_path, n);
}

std::optional<std::string> BackendProcess::log_error() const {
    return m_sink ? m_sink->error() : std::nullopt;
}

}  // namespace orch

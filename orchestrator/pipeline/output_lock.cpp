#include "pipeline/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orch {

namespace fs = std::filesystem;

namespace {

/// True for a file name a run writes into its output folder.
bool is_run_output(std::string_view name) {
    static constexpr std::array<std::string_view, 7> k_fixed = {
        "report.md",   "report.html",   "results.json", "junit.xml",
        "backend.log", "stagegate.log", "hooks.log"};
    for (std::string_view fixed : k_fixed) {
        if (name == fixed) {
            return true;
        }
    }
    auto starts = [name](std::string_view prefix) { return name.rfind(prefix, 0) == 0; };
    auto ends = [name](std::string_view suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // Executor artifacts, one set per stage.
    if ((starts("k6-") || starts("command-")) &&
        (ends(".json") || ends(".ndjson") || ends(".log"))) {
        return true;
    }
    // backend.log's tail segments, and temp files of atomic writes cut short (NAME.tmp.PID).
    if (starts(".backend.log.")) {
        return true;
    }
    std::size_t tmp = name.rfind(".tmp.");
    if (tmp != std::string_view::npos && tmp > 0) {
        std::string_view pid = name.substr(tmp + 5);
        return !pid.empty() && pid.find_first_not_of("0123456789") == std::string_view::npos;
    }
    return false;
}

std::string holder_of(int fd) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text.empty() || text.find_first_not_of("0123456789") != std::string::npos
               ? std::string("unknown pid")
               : "pid " + text;
}

}  // namespace

Result<OutputLock> OutputLock::acquire(const fs::path& dir) {
    const fs::path path = dir / k_output_lock_name;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(ErrorCode::infrastructure, "cannot open the lock file " + path.string() + ": " +
                                                   std::strerror(errno) +
                                                   " (choose another folder with --out)");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        std::string holder = holder_of(fd);
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return fail(ErrorCode::infrastructure,
                        "output folder " + dir.string() + " is in use by another stagegate run (" +
                            holder + ", lock " + path.string() +
                            "); wait for it to finish or choose another folder with --out");
        }
        return fail(ErrorCode::infrastructure,
                    "cannot lock " + path.string() + ": " + std::strerror(err));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        int err = errno;
        ::close(fd);
        return fail(ErrorCode::infrastructure,
                    "cannot write " + path.string() + ": " + std::strerror(err) +
                        " (free some space or choose another folder with --out)");
    }
    return OutputLock(fd);
}

OutputLock::OutputLock(OutputLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

OutputLock::~OutputLock() {
    if (m_fd >= 0) {
        ::close(m_fd);  // closing the last descriptor releases the flock
    }
}

Result<void> clear_previous_outputs(const fs::path& dir) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        return fail(ErrorCode::infrastructure,
                    "cannot list output folder " + dir.string() + ": " + ec.message());
    }
    std::vector<fs::path> stale;  // collected first: no removal while the folder is read
    for (const auto& entry : it) {
        if (is_run_output(entry.path().filename().string()) && entry.is_regular_file(ec)) {
            stale.push_back(entry.path());
        }
    }
    for (const auto& path : stale) {
        if (!fs::remove(path, ec) && ec) {
            return fail(ErrorCode::infrastructure, "cannot remove " + path.string() +
                                                       " of an earlier run: " + ec.message() +
                                                       " (choose another folder with --out)");
        }
    }
    return {};
}

}  // namespace orch

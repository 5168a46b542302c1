#include "process/log_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <vector>

namespace orch {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_buffer_bytes = 64 * 1024;
constexpr int k_quiet_ms = 100;
/// The newest part starts at a line: at most this much of its first line is dropped.
constexpr std::size_t k_max_line_skip = 4096;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string size_text(std::uint64_t bytes) {
    if (bytes >= 1024 * 1024) {
        return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    }
    if (bytes >= 1024) {
        return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
    }
    return fmt::format("{} bytes", bytes);
}

}  // namespace

LogSink::LogSink(fs::path path, int log_fd, int read_fd, int write_fd, std::uint64_t max_bytes)
    : m_path(std::move(path)),
      m_log_fd(log_fd),
      m_read_fd(read_fd),
      m_write_fd(write_fd),
      m_head_max(max_bytes == 0 ? UINT64_MAX : max_bytes / 2),
      m_segment_max(max_bytes == 0 ? UINT64_MAX : std::max<std::uint64_t>(max_bytes / 4, 1)) {}

Result<std::unique_ptr<LogSink>> LogSink::open(const fs::path& path, std::uint64_t max_bytes) {
    int log_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        return fail(ErrorCode::infrastructure,
                    "cannot open backend log " + path.string() + ": " + std::strerror(errno));
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        int err = errno;
        ::close(log_fd);
        return fail(ErrorCode::infrastructure,
                    std::string("cannot create the backend's output pipe: ") + std::strerror(err));
    }
    // A bigger pipe absorbs bursts while the disk is slow (best effort).
    ::fcntl(fds[0], F_SETPIPE_SZ, 1024 * 1024);
    return std::unique_ptr<LogSink>(new LogSink(path, log_fd, fds[0], fds[1], max_bytes));
}

LogSink::~LogSink() {
    finish(Duration::zero());
}

void LogSink::start() {
    if (m_write_fd >= 0) {
        ::close(m_write_fd);
        m_write_fd = -1;
    }
    m_thread = std::thread([this] { drain(); });
}

fs::path LogSink::segment_path(int index) const {
    fs::path p = m_path;
    p.replace_filename("." + m_path.filename().string() + ".tail-" + std::to_string(index));
    return p;
}

bool LogSink::write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
    {
        std::lock_guard lock(m_error_mutex);
        if (m_error) {
            return false;  // after a failed write the rest is dropped, not half-written
        }
    }
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            std::lock_guard lock(m_error_mutex);
            if (!m_error) {
                m_error = "cannot write " + path.string() + ": " + std::strerror(err);
            }
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

void LogSink::store(const char* data, std::size_t size) {
    if (m_head_bytes < m_head_max) {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_head_max - m_head_bytes));
        write_all(m_log_fd, data, n, m_path);
        m_head_bytes += n;
        data += n;
        size -= n;
    }
    while (size > 0) {
        if (m_current < 0 || m_segment_bytes[m_current] >= m_segment_max) {
            // Take turns: the older segment's bytes become skipped and it starts again.
            int next = m_current < 0 ? 0 : 1 - m_current;
            if (m_segment_fd[next] < 0) {
                fs::path p = segment_path(next);
                m_segment_fd[next] =
                    ::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (m_segment_fd[next] < 0) {
                    std::lock_guard lock(m_error_mutex);
                    if (!m_error) {
                        m_error = "cannot write " + p.string() + ": " + std::strerror(errno);
                    }
                    return;
                }
            } else {
                m_skipped += m_segment_bytes[next];
                if (::ftruncate(m_segment_fd[next], 0) != 0 ||
                    ::lseek(m_segment_fd[next], 0, SEEK_SET) != 0) {
                    std::lock_guard lock(m_error_mutex);
                    if (!m_error) {
                        m_error = "cannot write " + segment_path(next).string() + ": " +
                                  std::strerror(errno);
                    }
                    return;
                }
            }
            m_segment_bytes[next] = 0;
            m_current = next;
        }
        auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>(size, m_segment_max - m_segment_bytes[m_current]));
        write_all(m_segment_fd[m_current], data, n, segment_path(m_current));
        m_segment_bytes[m_current] += n;
        data += n;
        size -= n;
    }
}

void LogSink::drain() {
    std::vector<char> buffer(k_buffer_bytes);
    while (true) {
        pollfd pfd{m_read_fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, k_quiet_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (m_stopping.load() && (ready == 0 || now_ns() >= m_deadline_ns.load())) {
            return;  // quiet, or a leftover writer that will not stop: the run goes on
        }
        if (ready <= 0) {
            continue;
        }
        ssize_t n = ::read(m_read_fd, buffer.data(), buffer.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return;  // every writer closed the pipe
        }
        m_received.fetch_add(static_cast<std::uint64_t>(n));
        store(buffer.data(), static_cast<std::size_t>(n));
    }
}

void LogSink::complete_file() {
    if (m_current < 0) {
        return;  // everything fit
    }
    // Oldest kept segment first.
    std::vector<int> order;
    if (m_segment_fd[1 - m_current] >= 0 && m_segment_bytes[1 - m_current] > 0) {
        order.push_back(1 - m_current);
    }
    order.push_back(m_current);
    // The newest part starts at a line: drop its first (partial) line.
    std::uint64_t start = 0;
    {
        std::vector<char> probe(k_max_line_skip);
        ssize_t n = ::pread(m_segment_fd[order[0]], probe.data(), probe.size(), 0);
        if (n > 0) {
            auto* newline =
                static_cast<char*>(std::memchr(probe.data(), '\n', static_cast<std::size_t>(n)));
            if (newline != nullptr && static_cast<std::uint64_t>(newline - probe.data() + 1) <
                                          m_segment_bytes[order[0]]) {
                start = static_cast<std::uint64_t>(newline - probe.data() + 1);
            }
        }
    }
    std::uint64_t kept = 0;
    for (int index : order) {
        kept += m_segment_bytes[index];
    }
    kept -= start;
    const std::uint64_t skipped = m_skipped + start;
    std::string marker;
    char last = '\n';
    if (m_head_bytes > 0 &&
        ::pread(m_log_fd, &last, 1, static_cast<off_t>(m_head_bytes - 1)) == 1 && last != '\n') {
        marker = "\n";
    }
    marker += "[stagegate: " + std::to_string(skipped) + " bytes (" + size_text(skipped) +
              ") of backend output skipped here: backend.log keeps the first " +
              size_text(m_head_bytes) + " and the newest " + size_text(kept) +
              " (backend.log_max)]\n";
    write_all(m_log_fd, marker.data(), marker.size(), m_path);
    std::vector<char> buffer(k_buffer_bytes);
    for (std::size_t k = 0; k < order.size(); ++k) {
        int fd = m_segment_fd[order[k]];
        off_t offset = k == 0 ? static_cast<off_t>(start) : 0;
        while (true) {
            ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
            if (n <= 0) {
                break;
            }
            if (!write_all(m_log_fd, buffer.data(), static_cast<std::size_t>(n), m_path)) {
                break;
            }
            offset += n;
        }
    }
}

void LogSink::finish(Duration grace) {
    if (m_finished) {
        return;
    }
    m_finished = true;
    m_deadline_ns.store(now_ns() +
                        std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count());
    m_stopping.store(true);
    if (m_thread.joinable()) {
        m_thread.join();
    }
    complete_file();
    for (int index = 0; index < 2; ++index) {
        if (m_segment_fd[index] >= 0) {
            ::close(m_segment_fd[index]);
            std::error_code ec;
            fs::remove(segment_path(index), ec);
        }
    }
    for (int* fd : {&m_log_fd, &m_read_fd, &m_write_fd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

std::optional<std::string> LogSink::error() const {
    std::lock_guard lock(m_error_mutex);
    return m_error;
}

}  // namespace orch

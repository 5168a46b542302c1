// LogSink: drains a child's stdout+stderr pipe into a log file at any rate (one thread, one
// fixed 64 KiB buffer, so the child never blocks on a full pipe and stagegate's memory does
// not grow with the output), bounded: past `max_bytes` the file keeps its first half and
// the newest part, with one line saying how many bytes were skipped between them. The
// newest part lives in two segment files beside the log (.NAME.tail-0/1) that take turns;
// finish() appends them to the log and removes them.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "core/units.hpp"

namespace orch {

// --- Interface ---

class LogSink {
  public:
    /// Creates (truncates) `path` and the pipe. `max_bytes` 0: no bound.
    static Result<std::unique_ptr<LogSink>> open(const std::filesystem::path& path,
                                                 std::uint64_t max_bytes);
    ~LogSink();  ///< finish(0)
    LogSink(const LogSink&) = delete;
    LogSink& operator=(const LogSink&) = delete;

    /// The pipe's write end, for the child's stdout and stderr (close-on-exec).
    int write_fd() const { return m_write_fd; }
    /// Closes our copy of the write end and starts draining: call once the child has it.
    void start();

    /// Drains until every writer closed the pipe, or nothing arrived for 100 ms, or `grace`
    /// passed; then completes the file (head, skipped-bytes line, newest part). Idempotent.
    void finish(Duration grace);

    /// The first failed write, in words naming the file and the error ("cannot write
    /// out/backend.log: No space left on device"); output after it is read and dropped.
    std::optional<std::string> error() const;

    /// Bytes the child wrote so far.
    std::uint64_t bytes_received() const { return m_received.load(); }

  private:
    LogSink(std::filesystem::path path, int log_fd, int read_fd, int write_fd,
            std::uint64_t max_bytes);
    void drain();
    void store(const char* data, std::size_t size);
    bool write_all(int fd, const char* data, std::size_t size, const std::filesystem::path& path);
    void complete_file();
    std::filesystem::path segment_path(int index) const;

    std::filesystem::path m_path;
    int m_log_fd;
    int m_read_fd;
    int m_write_fd;
    const std::uint64_t m_head_max;     ///< bytes kept from the start (max/2)
    const std::uint64_t m_segment_max;  ///< bytes per tail segment (max/4)
    std::uint64_t m_head_bytes = 0;
    int m_segment_fd[2] = {-1, -1};
    std::uint64_t m_segment_bytes[2] = {0, 0};
    int m_current = -1;  ///< segment being written, -1 before the head is full
    std::uint64_t m_skipped = 0;
    std::atomic<std::uint64_t> m_received{0};
    std::atomic<bool> m_stopping{false};
    std::atomic<std::int64_t> m_deadline_ns{0};
    mutable std::mutex m_error_mutex;
    std::optional<std::string> m_error;
    std::thread m_thread;
    bool m_finished = false;
};

}  // namespace orch

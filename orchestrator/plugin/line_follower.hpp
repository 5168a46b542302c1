// Follows a file another process is still appending to (k6's `--out json` NDJSON; any tool's
// line output, as tool_run.hpp streams it while the tool runs) and hands
// out each complete line once, as `tail -f` would. Memory stays bounded whatever the file's
// size: it holds one read chunk plus at most one unfinished line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

class LineFollower {
  public:
    /// Follows `path`, which need not exist yet. Lines longer than `max_line_bytes` are
    /// skipped (and counted).
    explicit LineFollower(std::filesystem::path path, std::size_t max_line_bytes = 1 << 20);
    ~LineFollower();
    LineFollower(const LineFollower&) = delete;
    LineFollower& operator=(const LineFollower&) = delete;

    /// Calls `on_line` (without the newline) for every line completed since the last call.
    /// Returns how many lines it handed out.
    std::size_t poll(const std::function<void(std::string_view)>& on_line);

    /// Reads to the end, then hands out an unterminated last line too (the writer is done).
    std::size_t finish(const std::function<void(std::string_view)>& on_line);

    std::uint64_t bytes_read() const { return m_offset; }
    std::uint64_t overlong_lines() const { return m_overlong; }

  private:
    bool open_if_needed();

    std::filesystem::path m_path;
    std::size_t m_max_line_bytes;
    int m_fd = -1;
    std::uint64_t m_offset = 0;
    std::string m_partial;    ///< the unfinished line so far
    bool m_skipping = false;  ///< inside an overlong line: drop bytes up to its newline
    std::uint64_t m_overlong = 0;
};

}  // namespace orch

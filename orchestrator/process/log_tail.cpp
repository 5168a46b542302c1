// tail_lines: the last lines of a log that may be large (backend.log after a long run):
// read backwards from the end in chunks until enough lines are in, never the whole file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/redact.hpp"
#include "process/backend_process.hpp"

namespace orch {

namespace {

constexpr off_t k_chunk_bytes = 16 * 1024;
constexpr off_t k_max_read_bytes = 1024 * 1024;
constexpr std::size_t k_max_line_chars = 4096;

bool read_exactly_at(int fd, char* out, std::size_t size, off_t offset) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd, out + done, size - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::vector<std::string> tail_lines(const std::filesystem::path& path, std::size_t n) {
    std::vector<std::string> lines;
    if (n == 0) {
        return lines;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return lines;
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    off_t start = size < 0 ? 0 : size;
    std::string data;  // the file from `start` to its end
    while (start > 0 && size - start < k_max_read_bytes) {
        off_t step = std::min(k_chunk_bytes, start);
        std::string chunk(static_cast<std::size_t>(step), '\0');
        if (!read_exactly_at(fd, chunk.data(), chunk.size(), start - step)) {
            break;
        }
        start -= step;
        data.insert(0, chunk);
        // n complete lines need n newlines before the last line's end.
        std::size_t body = data.size() - (data.back() == '\n' ? 1 : 0);
        if (static_cast<std::size_t>(std::count(
                data.begin(), data.begin() + static_cast<std::ptrdiff_t>(body), '\n')) >= n) {
            break;
        }
    }
    ::close(fd);

    std::size_t pos = 0;
    if (start > 0) {
        // The first line was cut by where reading began: skip it.
        std::size_t newline = data.find('\n');
        pos = newline == std::string::npos ? data.size() : newline + 1;
    }
    while (pos < data.size()) {
        std::size_t end = data.find('\n', pos);
        if (end == std::string::npos) {
            end = data.size();
        }
        std::string line = data.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(std::move(line));
        pos = end + 1;
    }
    if (lines.size() > n) {
        lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
    }
    for (auto& line : lines) {
        line = redact(line);  // before cutting, so no secret survives half-cut
        if (line.size() > k_max_line_chars) {
            line.resize(k_max_line_chars);
            line += " [...]";
        }
    }
    return lines;
}

}  // namespace orch

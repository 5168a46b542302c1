#include "plugin/line_follower.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace orch {

namespace {

constexpr std::size_t k_chunk_bytes = 64 * 1024;

}  // namespace

LineFollower::LineFollower(std::filesystem::path path, std::size_t max_line_bytes)
    : m_path(std::move(path)), m_max_line_bytes(max_line_bytes) {}

LineFollower::~LineFollower() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool LineFollower::open_if_needed() {
    if (m_fd < 0) {
        m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    }
    return m_fd >= 0;
}

std::size_t LineFollower::poll(const std::function<void(std::string_view)>& on_line) {
    if (!open_if_needed()) {
        return 0;
    }
    std::size_t lines = 0;
    std::array<char, k_chunk_bytes> chunk;
    for (;;) {
        ssize_t n = ::pread(m_fd, chunk.data(), chunk.size(), static_cast<off_t>(m_offset));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        m_offset += static_cast<std::uint64_t>(n);
        std::string_view data(chunk.data(), static_cast<std::size_t>(n));
        while (!data.empty()) {
            auto newline = data.find('\n');
            std::string_view piece = data.substr(0, newline);
            if (!m_skipping) {
                if (m_partial.size() + piece.size() > m_max_line_bytes) {
                    m_skipping = true;
                    m_partial.clear();
                    ++m_overlong;
                } else if (newline != std::string_view::npos && m_partial.empty()) {
                    on_line(piece);  // the common case: a whole line inside the chunk
                    ++lines;
                } else {
                    m_partial.append(piece);
                    if (newline != std::string_view::npos) {
                        on_line(m_partial);
                        ++lines;
                        m_partial.clear();
                    }
                }
            }
            if (newline == std::string_view::npos) {
                break;
            }
            m_skipping = false;
            data.remove_prefix(newline + 1);
        }
    }
    return lines;
}

std::size_t LineFollower::finish(const std::function<void(std::string_view)>& on_line) {
    std::size_t lines = poll(on_line);
    if (!m_partial.empty() && !m_skipping) {
        on_line(m_partial);
        ++lines;
    }
    m_partial.clear();
    m_skipping = false;
    return lines;
}

}  // namespace orch

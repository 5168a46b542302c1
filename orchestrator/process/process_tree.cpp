// Reads /proc/PID/stat with plain open/read into a stack buffer: the supervisor scans the
// whole table once a second for the tree RSS, so this stays allocation-light.
#include "process/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace orch {

namespace {

/// Reads up to `buffer.size() - 1` bytes of a /proc file; returns the text read (empty on error).
template <std::size_t N>
std::string_view read_proc_file(const char* path, std::array<char, N>& buffer) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    std::size_t total = 0;
    while (total < buffer.size() - 1) {
        ssize_t n = ::read(fd, buffer.data() + total, buffer.size() - 1 - total);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return std::string_view(buffer.data(), total);
}

/// Splits off the next space-separated field of `text`.
std::string_view next_field(std::string_view& text) {
    std::size_t start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        text = {};
        return {};
    }
    text.remove_prefix(start);
    std::size_t end = text.find(' ');
    std::string_view field = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    return field;
}

template <class Int>
bool parse_int(std::string_view text, Int& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

std::optional<ProcessEntry> parse_stat(pid_t pid, std::string_view stat) {
    // "PID (COMM) STATE PPID PGRP SESSION ... STARTTIME(22nd) ...": COMM may hold spaces
    // and parentheses, so the fields start after the LAST ')'.
    std::size_t close = stat.rfind(')');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view rest = stat.substr(close + 1);
    ProcessEntry entry;
    entry.pid = pid;
    std::string_view state = next_field(rest);
    if (state.empty()) {
        return std::nullopt;
    }
    entry.state = state[0];
    if (!parse_int(next_field(rest), entry.ppid) || !parse_int(next_field(rest), entry.pgid)) {
        return std::nullopt;
    }
    // Fields 6..21 (session .. itrealvalue) are skipped; field 22 is starttime.
    for (int i = 6; i <= 21; ++i) {
        next_field(rest);
    }
    if (!parse_int(next_field(rest), entry.start_time)) {
        return std::nullopt;
    }
    return entry;
}

}  // namespace

std::optional<ProcessEntry> read_process(pid_t pid) {
    if (pid <= 0) {
        return std::nullopt;
    }
    std::array<char, 64> path{};
    fmt::format_to_n(path.data(), path.size() - 1, "/proc/{}/stat", static_cast<int>(pid));
    std::array<char, 1024> buffer{};
    std::string_view text = read_proc_file(path.data(), buffer);
    if (text.empty()) {
        return std::nullopt;
    }
    return parse_stat(pid, text);
}

std::vector<ProcessEntry> scan_processes() {
    std::vector<ProcessEntry> table;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) {
        return table;
    }
    while (const dirent* item = ::readdir(dir)) {
        pid_t pid = 0;
        if (!parse_int(std::string_view(item->d_name), pid)) {
            continue;  // not a process directory ("self", "net", ...)
        }
        if (auto entry = read_process(pid)) {
            table.push_back(*entry);
        }
    }
    ::closedir(dir);
    return table;
}

std::vector<ProcessEntry> descendants_of(const std::vector<ProcessEntry>& table, pid_t root) {
    std::unordered_multimap<pid_t, const ProcessEntry*> children;
    children.reserve(table.size());
    for (const auto& entry : table) {
        children.emplace(entry.ppid, &entry);
    }
    std::vector<ProcessEntry> result;
    std::vector<pid_t> queue{root};
    // Breadth-first; the visited bound guards against a cycle in a torn /proc read.
    while (!queue.empty() && result.size() <= table.size()) {
        pid_t parent = queue.back();
        queue.pop_back();
        auto [begin, end] = children.equal_range(parent);
        for (auto it = begin; it != end; ++it) {
            if (it->second->pid == root) {
                continue;
            }
            result.push_back(*it->second);
            queue.push_back(it->second->pid);
        }
    }
    return result;
}

bool still_running(const ProcessEntry& entry) {
    auto now = read_process(entry.pid);
    return now && now->start_time == entry.start_time && !now->is_dead();
}

std::optional<std::uint64_t> resident_bytes(pid_t pid) {
    std::array<char, 64> path{};
    fmt::format_to_n(path.data(), path.size() - 1, "/proc/{}/statm", static_cast<int>(pid));
    std::array<char, 256> buffer{};
    std::string_view text = read_proc_file(path.data(), buffer);
    next_field(text);  // size
    std::uint64_t pages = 0;
    std::string_view resident = next_field(text);
    if (!parse_int(resident, pages)) {
        return std::nullopt;
    }
    static const long page_size = ::sysconf(_SC_PAGESIZE);
    return pages * static_cast<std::uint64_t>(page_size > 0 ? page_size : 4096);
}

}  // namespace orch

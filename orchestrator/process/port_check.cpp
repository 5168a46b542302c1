// Reads the kernel's socket tables: a line of /proc/net/tcp{,6} in state 0A (LISTEN) whose
// local port matches is a listener; its inode, found as a `socket:[INODE]` link under some
// /proc/PID/fd, names the owner.
#include "process/port_check.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>

namespace orch {

namespace {

/// The inode of a socket listening on `port` in `table` (/proc/net/tcp or tcp6); nullopt
/// when none listens there.
std::optional<unsigned long> listening_inode(const char* table, int port) {
    std::ifstream in(table);
    if (!in) {
        return std::nullopt;
    }
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
              timeout >> inode)) {
            continue;
        }
        if (state != "0A") {
            continue;
        }
        std::size_t colon = local.rfind(':');
        if (colon == std::string::npos) {
            continue;
        }
        int local_port = 0;
        std::string_view hex = std::string_view(local).substr(colon + 1);
        auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), local_port, 16);
        if (ec == std::errc() && local_port == port) {
            return inode;
        }
    }
    return std::nullopt;
}

/// The pid whose open files include socket `inode`, or 0 (best effort: other users'
/// processes are unreadable).
pid_t socket_owner(unsigned long inode) {
    const std::string wanted = "socket:[" + std::to_string(inode) + "]";
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) {
        return 0;
    }
    pid_t owner = 0;
    while (owner == 0) {
        const dirent* item = ::readdir(proc);
        if (item == nullptr) {
            break;
        }
        std::string_view name(item->d_name);
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c));
            })) {
            continue;
        }
        std::string fd_dir = "/proc/" + std::string(name) + "/fd";
        DIR* fds = ::opendir(fd_dir.c_str());
        if (fds == nullptr) {
            continue;
        }
        std::array<char, 64> target{};
        while (const dirent* fd = ::readdir(fds)) {
            std::string link = fd_dir + "/" + fd->d_name;
            ssize_t n = ::readlink(link.c_str(), target.data(), target.size());
            if (n > 0 && std::string_view(target.data(), static_cast<std::size_t>(n)) == wanted) {
                std::from_chars(name.data(), name.data() + name.size(), owner);
                break;
            }
        }
        ::closedir(fds);
    }
    ::closedir(proc);
    return owner;
}

std::string process_name_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

}  // namespace

std::string PortHolder::describe() const {
    std::string text = "port " + std::to_string(port) + " is already in use";
    if (pid <= 0) {
        return text + " (by a process stagegate cannot see)";
    }
    text += " by pid " + std::to_string(pid);
    if (!process_name.empty()) {
        text += " (" + process_name + ")";
    }
    return text;
}

std::optional<PortHolder> find_listener(int port) {
    auto inode = listening_inode("/proc/net/tcp", port);
    if (!inode) {
        inode = listening_inode("/proc/net/tcp6", port);
    }
    if (!inode) {
        return std::nullopt;
    }
    PortHolder holder;
    holder.port = port;
    if (*inode != 0) {
        holder.pid = socket_owner(*inode);
    }
    if (holder.pid > 0) {
        holder.process_name = process_name_of(holder.pid);
    }
    return holder;
}

Result<std::pair<std::string, int>> host_port_of(const std::string& url) {
    auto invalid = [&url](const std::string& why) {
        return fail(ErrorCode::invalid_input, "\"" + url + "\" is not a usable URL: " + why);
    };
    std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return invalid("no scheme (try http://" + url + ")");
    }
    std::string scheme = url.substr(0, scheme_end);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    int port = 0;
    if (scheme == "http") {
        port = 80;
    } else if (scheme == "https") {
        port = 443;
    } else {
        return invalid("the scheme must be http or https");
    }
    std::string authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (std::size_t at = authority.rfind('@'); at != std::string::npos) {
        authority.erase(0, at + 1);
    }
    std::string host;
    std::string port_text;
    if (!authority.empty() && authority[0] == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string::npos) {
            return invalid("unclosed [ in the host");
        }
        host = authority.substr(1, close - 1);
        std::string rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') {
                return invalid("unexpected text after ]");
            }
            port_text = rest.substr(1);
        }
    } else {
        std::size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string::npos) {
            port_text = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return invalid("no host");
    }
    if (!port_text.empty()) {
        auto [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            return invalid("port \"" + port_text + "\" is not a number from 1 to 65535");
        }
    }
    return std::make_pair(host, port);
}

bool is_local_host(const std::string& host) {
    std::string lower = host;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower == "localhost" || lower.rfind("127.", 0) == 0 || lower == "::1" ||
           lower == "0.0.0.0" || lower == "::" || lower == "0:0:0:0:0:0:0:1";
}

}  // namespace orch

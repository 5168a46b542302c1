// Port preflight: before launching a backend, is its port already taken (often by a
// backend a previous run left behind)? Answered from /proc/net/tcp{,6} and, best effort,
// the owning process from /proc/*/fd, so the error names who holds the port.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// A process listening on a TCP port.
struct PortHolder {
    int port = 0;
    pid_t pid = 0;             ///< 0 when unknown (e.g. another user's process)
    std::string process_name;  ///< /proc/PID/comm, empty when unknown
    /// "port 8080 is already in use by pid 1234 (chat-backend)", or "port 8080 is already
    /// in use (by a process stagegate cannot see)" when the owner is unknown.
    std::string describe() const;
};

/// Whether something listens on TCP `port` (IPv4 or IPv6, any address) in this network
/// namespace, with the owning process when it can be found; nullopt when the port is free
/// or /proc/net cannot be read.
std::optional<PortHolder> find_listener(int port);

/// Host and port of an http(s) URL ("http://127.0.0.1:8080/x" -> {"127.0.0.1", 8080});
/// default ports 80 and 443, IPv6 brackets removed. invalid_input for anything else.
Result<std::pair<std::string, int>> host_port_of(const std::string& url);

/// True for names of this machine a port check applies to: localhost, 127.0.0.0/8, ::1,
/// 0.0.0.0 and ::.
bool is_local_host(const std::string& host);

}  // namespace orch

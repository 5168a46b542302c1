// URL splitting for the transports (transport.hpp): done once per static URL, when the
// plan is compiled, and once per rendering for a templated one.
#include "plugins/executors/builtin/transport.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace orch::builtin {

namespace {

/// `target` as a request line takes it: "/" in front of an empty one or of a bare query.
void assign_target(std::string_view target, std::string& out) {
    out.clear();
    if (target.empty() || target.front() != '/') {
        out += '/';
    }
    out.append(target);
}

}  // namespace

bool starts_with_lower(std::string_view text, std::string_view lower_prefix) noexcept {
    if (text.size() < lower_prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != lower_prefix[i]) {
            return false;
        }
    }
    return true;
}

bool parse_http_url(std::string_view url, HttpUrl& out) noexcept {
    constexpr std::string_view k_plain = "http://";
    constexpr std::string_view k_secure = "https://";
    bool tls = starts_with_lower(url, k_secure);
    if (!tls && !starts_with_lower(url, k_plain)) {
        return false;
    }
    std::string_view rest = url.substr(tls ? k_secure.size() : k_plain.size());
    std::size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target =
        authority_end == rest.npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.empty() || authority.find('@') != authority.npos) {
        return false;
    }
    std::string_view host = authority;
    std::string_view port_text;
    if (authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == authority.npos || close == 1) {
            return false;
        }
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return false;
            }
            port_text = after.substr(1);
        }
    } else {
        std::size_t colon = authority.find(':');
        if (colon != authority.npos) {
            host = authority.substr(0, colon);
            port_text = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return false;
    }
    std::uint16_t port = tls ? 443 : 80;
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return false;
        }
        port = static_cast<std::uint16_t>(value);
    }
    std::size_t fragment = target.find('#');
    if (fragment != target.npos) {
        target = target.substr(0, fragment);
    }
    out.host = host;
    out.port = port;
    out.tls = tls;
    out.target = target;
    return true;
}

bool parse_request_url(std::string_view text, RequestUrl& out) {
    out.text.assign(text);
    HttpUrl parsed;
    out.http = parse_http_url(out.text, parsed);
    if (!out.http) {
        out.tls = false;
        out.port = 0;
        out.host.clear();
        out.authority.clear();
        out.target.clear();
        out.origin_length = 0;
        return false;
    }
    out.tls = parsed.tls;
    out.port = parsed.port;
    out.host.assign(parsed.host);
    bool ipv6 = parsed.host.find(':') != std::string_view::npos;
    out.authority.clear();
    if (ipv6) {
        out.authority += '[';
    }
    out.authority += parsed.host;
    if (ipv6) {
        out.authority += ']';
    }
    if (parsed.port != (parsed.tls ? 443 : 80)) {
        char digits[8];
        auto [end, error] = std::to_chars(digits, digits + sizeof(digits), parsed.port);
        (void)error;
        out.authority += ':';
        out.authority.append(digits, end);
    }
    std::string_view whole(out.text);
    std::size_t scheme = parsed.tls ? 8 : 7;  // "https://" or "http://"
    std::size_t authority_end = whole.find_first_of("/?#", scheme);
    out.origin_length = authority_end == whole.npos ? whole.size() : authority_end;
    assign_target(parsed.target, out.target);
    return true;
}

bool append_request_path(const RequestUrl& base, std::string_view path, RequestUrl& out) {
    bool authority_fixed =
        base.http && (base.text.size() > base.origin_length || path.empty() ||
                      path.front() == '/' || path.front() == '?' || path.front() == '#');
    if (!authority_fixed) {
        std::string text;
        text.reserve(base.text.size() + path.size());
        text.append(base.text).append(path);
        return parse_request_url(text, out);
    }
    out.text.assign(base.text).append(path);
    out.http = true;
    out.tls = base.tls;
    out.port = base.port;
    out.host.assign(base.host);
    out.authority.assign(base.authority);
    out.origin_length = base.origin_length;
    std::string_view target = std::string_view(out.text).substr(base.origin_length);
    assign_target(target.substr(0, target.find('#')), out.target);
    return true;
}

Result<WakeableEpoll> make_wakeable_epoll(std::string_view who) {
    auto failure = [who](const char* what, int error) {
        return fail(ErrorCode::infrastructure,
                    std::string(who) + " cannot " + what + ": " + std::strerror(error));
    };
    WakeableEpoll out;
    out.epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (out.epoll < 0) {
        return failure("create an epoll set", errno);
    }
    out.wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (out.wake < 0) {
        int error = errno;
        ::close(out.epoll);
        return failure("create an eventfd", error);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = k_wakeup_tag;
    if (::epoll_ctl(out.epoll, EPOLL_CTL_ADD, out.wake, &event) != 0) {
        int error = errno;
        ::close(out.wake);
        ::close(out.epoll);
        return failure("watch its eventfd", error);
    }
    return out;
}

void signal_wakeup(int wake_fd) noexcept {
    std::uint64_t one = 1;
    // A full counter already means "wake up": the write may fail harmlessly.
    [[maybe_unused]] auto written = ::write(wake_fd, &one, sizeof(one));
}

bool consume_wakeup(std::uint64_t event_data, int wake_fd) noexcept {
    if (event_data != k_wakeup_tag) {
        return false;
    }
    std::uint64_t count = 0;
    [[maybe_unused]] auto got = ::read(wake_fd, &count, sizeof(count));
    return true;
}

}  // namespace orch::builtin

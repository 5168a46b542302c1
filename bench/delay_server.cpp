// A fixed-delay HTTP/1.1 server for the latency benchmarks (bench/latency): it answers every
// request exactly --delay-ms after it read it, and records its own handling time (request
// read to response written) so a load generator's reported latency can be compared with the
// server's own. One epoll loop, one timerfd; the delay is constant, so the pending responses
// form a FIFO already sorted by due time. Optional --stall-after N --stall-ms M holds every
// response for M ms once, after the N-th request (the coordinated-omission check).
//   GET /stats        {"requests":N,"p50_ms":..,"p99_ms":..,"mean_ms":..} (not recorded)
//   GET /stats/reset  clears the recorded times
// On SIGINT/SIGTERM it prints the same JSON on stdout and exits. Loopback only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orch::bench {
namespace {

constexpr std::size_t k_max_samples = 20'000'000;

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Options {
    int port = 0;
    std::int64_t delay_ns = 10'000'000;
    std::uint64_t stall_after = 0;  ///< 0: never stall
    std::int64_t stall_ns = 500'000'000;
    std::string body = "ok\n";
};

struct Connection {
    std::uint64_t generation = 0;
    std::string in;
    std::string out;
};

struct Pending {
    int fd;
    std::uint64_t generation;
    std::int64_t read_at;
    std::int64_t due;
};

class DelayServer {
  public:
    explicit DelayServer(Options options) : m_options(std::move(options)) {}
    int run();

  private:
    void accept_all();
    void on_readable(int fd);
    void on_writable(int fd);
    void close_connection(int fd);
    void handle_request(int fd, std::string_view head);
    void send(int fd, const std::string& data);
    void flush_due();
    void arm_timer();
    std::string stats_json();

    Options m_options;
    int m_listen = -1;
    int m_epoll = -1;
    int m_timer = -1;
    int m_signal = -1;
    std::uint64_t m_next_generation = 1;
    std::unordered_map<int, Connection> m_connections;
    std::deque<Pending> m_pending;
    std::vector<std::int64_t> m_samples_ns;
    std::uint64_t m_requests_seen = 0;
    std::int64_t m_stall_until = 0;
    std::string m_response;
};

std::string DelayServer::stats_json() {
    std::vector<std::int64_t> sorted = m_samples_ns;
    std::sort(sorted.begin(), sorted.end());
    auto quantile = [&](double q) -> double {
        if (sorted.empty()) {
            return 0.0;
        }
        auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
        return static_cast<double>(sorted[index]) / 1e6;
    };
    double sum = 0.0;
    for (auto v : sorted) {
        sum += static_cast<double>(v);
    }
    double mean = sorted.empty() ? 0.0 : sum / static_cast<double>(sorted.size()) / 1e6;
    char buffer[256];
    std::snprintf(buffer, sizeof buffer,
                  "{\"requests\":%zu,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f,"
                  "\"max_ms\":%.4f}",
                  sorted.size(), quantile(0.50), quantile(0.99), mean,
                  sorted.empty() ? 0.0 : static_cast<double>(sorted.back()) / 1e6);
    return buffer;
}

void DelayServer::send(int fd, const std::string& data) {
    auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        return;
    }
    Connection& c = it->second;
    if (!c.out.empty()) {
        c.out += data;
        return;
    }
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            close_connection(fd);
            return;
        }
        n = 0;
    }
    if (static_cast<std::size_t>(n) < data.size()) {
        c.out.assign(data, static_cast<std::size_t>(n));
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.fd = fd;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
    }
}

void DelayServer::on_writable(int fd) {
    auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        return;
    }
    Connection& c = it->second;
    ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            close_connection(fd);
        }
        return;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
    if (c.out.empty()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
    }
}

void DelayServer::handle_request(int fd, std::string_view head) {
    auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    std::int64_t t = now_ns();
    if (line.find(" /stats/reset ") != std::string_view::npos) {
        m_samples_ns.clear();
        send(fd,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
             "{\"ok\":true}\n");
        return;
    }
    if (line.find(" /stats ") != std::string_view::npos) {
        std::string body = stats_json() + "\n";
        send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
        return;
    }
    ++m_requests_seen;
    if (m_options.stall_after != 0 && m_requests_seen == m_options.stall_after) {
        m_stall_until = t + m_options.stall_ns;
        std::fprintf(stderr, "delay-server: stalling %lld ms after request %llu\n",
                     static_cast<long long>(m_options.stall_ns / 1'000'000),
                     static_cast<unsigned long long>(m_requests_seen));
    }
    if (m_options.delay_ns == 0 && m_pending.empty() && t >= m_stall_until) {
        send(fd, m_response);  // no delay: answer at once (the throughput smoke target)
        if (m_samples_ns.size() < k_max_samples) {
            m_samples_ns.push_back(now_ns() - t);
        }
        return;
    }
    bool was_empty = m_pending.empty();
    m_pending.push_back(Pending{fd, m_connections[fd].generation, t, t + m_options.delay_ns});
    if (was_empty) {
        arm_timer();
    }
}

void DelayServer::on_readable(int fd) {
    auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        return;
    }
    char buffer[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            it->second.in.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close_connection(fd);
            return;
        }
        break;
    }
    // Every complete request in the buffer (pipelining allowed); a body by Content-Length.
    for (;;) {
        std::string& in = m_connections[fd].in;
        auto end = in.find("\r\n\r\n");
        if (end == std::string::npos) {
            break;
        }
        std::size_t body_length = 0;
        std::string head = in.substr(0, end);
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        auto cl = lower.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
            body_length = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
        }
        if (in.size() < end + 4 + body_length) {
            break;
        }
        in.erase(0, end + 4 + body_length);
        handle_request(fd, head);
        if (m_connections.find(fd) == m_connections.end()) {
            return;
        }
    }
}

void DelayServer::close_connection(int fd) {
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    m_connections.erase(fd);
}

void DelayServer::accept_all() {
    for (;;) {
        int fd = accept4(m_listen, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Connection& c = m_connections[fd];
        c = Connection{};
        c.generation = m_next_generation++;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
    }
}

void DelayServer::flush_due() {
    std::int64_t t = now_ns();
    if (t < m_stall_until) {
        return;
    }
    while (!m_pending.empty() && m_pending.front().due <= t) {
        Pending p = m_pending.front();
        m_pending.pop_front();
        auto it = m_connections.find(p.fd);
        if (it == m_connections.end() || it->second.generation != p.generation) {
            continue;
        }
        send(p.fd, m_response);
        if (m_samples_ns.size() < k_max_samples) {
            m_samples_ns.push_back(now_ns() - p.read_at);
        }
    }
}

void DelayServer::arm_timer() {
    itimerspec spec{};
    if (!m_pending.empty()) {
        std::int64_t due = std::max(m_pending.front().due, m_stall_until);
        spec.it_value.tv_sec = static_cast<time_t>(due / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(due % 1'000'000'000);
    }
    timerfd_settime(m_timer, TFD_TIMER_ABSTIME, &spec, nullptr);
}

int DelayServer::run() {
    // Signals are read from a signalfd in the loop: block them first, so an early SIGTERM
    // still prints the stats.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    m_response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                 std::to_string(m_options.body.size()) + "\r\n\r\n" + m_options.body;
    m_listen = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(m_options.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(m_listen, 1024) != 0) {
        std::fprintf(stderr, "delay-server: cannot listen on 127.0.0.1:%d: %s\n", m_options.port,
                     std::strerror(errno));
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("delay-server: listening on 127.0.0.1:%d, delay %.3f ms\n", ntohs(addr.sin_port),
                static_cast<double>(m_options.delay_ns) / 1e6);
    std::fflush(stdout);

    m_signal = signalfd(-1, &mask, SFD_CLOEXEC);
    m_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : {m_listen, m_timer, m_signal}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
    }

    std::vector<epoll_event> events(256);
    for (;;) {
        int n = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0 && errno != EINTR) {
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<std::size_t>(i)].data.fd;
            std::uint32_t what = events[static_cast<std::size_t>(i)].events;
            if (fd == m_signal) {
                std::printf("%s\n", stats_json().c_str());
                std::fflush(stdout);
                return 0;
            }
            if (fd == m_listen) {
                accept_all();
            } else if (fd == m_timer) {
                std::uint64_t expirations = 0;
                ssize_t ignored = read(m_timer, &expirations, sizeof expirations);
                (void)ignored;
            } else {
                if ((what & EPOLLOUT) != 0U) {
                    on_writable(fd);
                }
                if ((what & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0U) {
                    on_readable(fd);
                }
            }
        }
        flush_due();
        arm_timer();
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: delay-server [--port P] [--delay-ms MS] [--stall-after N] "
                 "[--stall-ms MS] [--body TEXT]\n");
    return 2;
}

}  // namespace
}  // namespace orch::bench

int main(int argc, char** argv) {
    orch::bench::Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            return orch::bench::usage();
        }
        const char* value = argv[++i];
        if (arg == "--port") {
            options.port = std::atoi(value);
        } else if (arg == "--delay-ms") {
            options.delay_ns = static_cast<std::int64_t>(std::atof(value) * 1e6);
        } else if (arg == "--stall-after") {
            options.stall_after = std::strtoull(value, nullptr, 10);
        } else if (arg == "--stall-ms") {
            options.stall_ns = static_cast<std::int64_t>(std::atof(value) * 1e6);
        } else if (arg == "--body") {
            options.body = value;
        } else {
            return orch::bench::usage();
        }
    }
    return orch::bench::DelayServer(options).run();
}

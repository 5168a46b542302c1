// misbehave: runs a backend (the demo chat-backend) and adds the faults the demo cannot
// produce itself, for the e2e tests of stagegate's process hygiene and crash handling.
//
//   MISBEHAVE=FAULT[,FAULT...] [MISBEHAVE_PIDS=FILE] misbehave PROGRAM [ARGS...]
//
// Without MISBEHAVE it execs PROGRAM unchanged. Otherwise it forks PROGRAM (same process
// group: it serves the traffic, health included) and stays the group leader, which is the
// process stagegate launched and watches. Faults:
//   ignore-sigterm    this wrapper ignores SIGTERM and outlives PROGRAM: only SIGKILL ends it
//   grandchild        starts a child (in the group) that starts a grandchild which calls
//                     setsid(): a new session and group, so a group signal misses it
//   orphan            as grandchild, but the child exits at once: the grandchild is a daemon
//                     (re-parented away from the backend's tree)
//   exit-when-idle=S  once PROGRAM has served load requests (GET /stats on 127.0.0.1:$PORT),
//                     and then none for S seconds: kills PROGRAM and exits with code 3 (a
//                     crash while stagegate waits out a cooldown)
//   flood-log=RATE   writes numbered log lines to stdout at RATE bytes per second ("flood
//                     line N ..." 100 bytes each, in 10 ms batches; the first line is
//                     "misbehave: flood starts") until the process ends: a backend that
//                     logs far faster than anyone reads (backend.log_max, the bench)
// MISBEHAVE_PIDS: every pid this starts is appended there, one a line ("role pid"), so a
// test can check by pid that all are gone.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

struct Faults {
    bool ignore_sigterm = false;
    bool grandchild = false;
    bool orphan = false;
    std::optional<double> exit_when_idle_s;
    std::optional<double> flood_bytes_per_s;
};

Faults parse_faults(const std::string& text) {
    Faults faults;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string item = text.substr(start, end - start);
        if (item == "ignore-sigterm") {
            faults.ignore_sigterm = true;
        } else if (item == "grandchild") {
            faults.grandchild = true;
        } else if (item == "orphan") {
            faults.orphan = true;
        } else if (item.rfind("exit-when-idle=", 0) == 0) {
            faults.exit_when_idle_s = std::atof(item.c_str() + std::strlen("exit-when-idle="));
        } else if (item.rfind("flood-log=", 0) == 0) {
            faults.flood_bytes_per_s = std::atof(item.c_str() + std::strlen("flood-log="));
        } else if (!item.empty()) {
            std::fprintf(stderr, "misbehave: unknown fault \"%s\"\n", item.c_str());
            std::exit(2);
        }
        start = end + 1;
    }
    return faults;
}

void record_pid(const char* role, pid_t pid) {
    if (const char* file = std::getenv("MISBEHAVE_PIDS"); file != nullptr && *file != '\0') {
        std::ofstream(file, std::ios::app) << role << ' ' << pid << '\n';
    }
}

[[noreturn]] void sleep_forever() {
    for (;;) {
        ::pause();
    }
}

/// A child in the backend's group whose own child leaves the group with setsid();
/// with `orphan` the child exits as soon as the grandchild is on its own.
void start_grandchild(bool orphan) {
    pid_t child = ::fork();
    if (child != 0) {
        record_pid(orphan ? "orphan-parent" : "child", child);
        return;
    }
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
        ::setsid();
        record_pid(orphan ? "orphan" : "grandchild", ::getpid());
        sleep_forever();
    }
    if (orphan) {
        // Give the grandchild time to record itself, then leave it behind.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ::_exit(0);
    }
    sleep_forever();
}

/// Load requests PROGRAM has served: every route but the observability ones.
std::optional<long> load_requests(httplib::Client& client) {
    auto answer = client.Get("/stats");
    if (!answer || answer->status != 200) {
        return std::nullopt;
    }
    auto stats = nlohmann::json::parse(answer->body, nullptr, false);
    if (!stats.is_object() || !stats.contains("requests_by_route")) {
        return std::nullopt;
    }
    long total = 0;
    for (const auto& [route, count] : stats["requests_by_route"].items()) {
        if (route != "GET /health" && route != "GET /stats" && count.is_number()) {
            total += count.get<long>();
        }
    }
    return total;
}

/// flood-log's first line, written before PROGRAM is started: were it written by the flood
/// thread, PROGRAM's own start-up output could come first.
void flood_log_first_line() {
    std::string first = "misbehave: flood starts\n";
    (void)!::write(STDOUT_FILENO, first.data(), first.size());
}

/// flood-log: ~`bytes_per_s` of 100-byte numbered lines to stdout, in 10 ms batches, with
/// one write() per batch; a write that blocks (nobody drains the pipe) slows it down.
void flood_log(double bytes_per_s) {
    std::thread([bytes_per_s] {
        constexpr std::size_t k_line = 100;
        std::string batch;
        unsigned long long line = 0;
        auto next = std::chrono::steady_clock::now();
        double owed = 0;
        for (;;) {
            owed += bytes_per_s / 100.0;
            batch.clear();
            while (owed >= static_cast<double>(k_line)) {
                char text[k_line + 1];
                int n = std::snprintf(text, sizeof text, "flood line %llu ", ++line);
                std::string one(text, static_cast<std::size_t>(n));
                one.append(k_line - 1 - one.size(), 'x');
                one += '\n';
                batch += one;
                owed -= static_cast<double>(k_line);
            }
            const char* data = batch.data();
            std::size_t left = batch.size();
            while (left > 0) {
                ssize_t n = ::write(STDOUT_FILENO, data, left);
                if (n <= 0) {
                    if (n < 0 && errno == EINTR) {
                        continue;
                    }
                    return;  // stdout closed: nothing more to flood
                }
                data += n;
                left -= static_cast<std::size_t>(n);
            }
            next += std::chrono::milliseconds(10);
            std::this_thread::sleep_until(next);
        }
    }).detach();
}

[[noreturn]] void exit_when_idle(pid_t program, double idle_s) {
    const char* port = std::getenv("PORT");
    httplib::Client client("127.0.0.1", port != nullptr ? std::atoi(port) : 8080);
    client.set_connection_timeout(std::chrono::seconds(1));
    client.set_read_timeout(std::chrono::seconds(2));
    long last = 0;
    auto last_change = std::chrono::steady_clock::now();
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        int status = 0;
        if (::waitpid(program, &status, WNOHANG) == program) {
            std::fprintf(stderr, "misbehave: the program ended first\n");
            std::_Exit(4);
        }
        auto now = std::chrono::steady_clock::now();
        if (auto served = load_requests(client); served && *served != last) {
            last = *served;
            last_change = now;
        }
        if (last > 0 && std::chrono::duration<double>(now - last_change).count() >= idle_s) {
            std::fprintf(stderr,
                         "misbehave: no load request for %gs after %ld: killing the backend and "
                         "exiting with code 3\n",
                         idle_s, last);
            ::kill(program, SIGKILL);
            std::_Exit(3);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: MISBEHAVE=FAULT[,FAULT...] misbehave PROGRAM [ARGS...]\n");
        return 2;
    }
    const char* spec = std::getenv("MISBEHAVE");
    if (spec == nullptr || *spec == '\0') {
        ::execv(argv[1], argv + 1);
        std::perror("misbehave: exec");
        return 127;
    }
    Faults faults = parse_faults(spec);
    record_pid("wrapper", ::getpid());
    if (faults.grandchild) {
        start_grandchild(false);
    }
    if (faults.orphan) {
        start_grandchild(true);
    }
    if (faults.flood_bytes_per_s) {
        flood_log_first_line();
    }
    pid_t program = ::fork();
    if (program == 0) {
        ::execv(argv[1], argv + 1);
        std::perror("misbehave: exec");
        std::_Exit(127);
    }
    record_pid("program", program);
    if (faults.ignore_sigterm) {
        ::signal(SIGTERM, SIG_IGN);
    }
    if (faults.flood_bytes_per_s) {
        flood_log(*faults.flood_bytes_per_s);
    }
    if (faults.exit_when_idle_s) {
        exit_when_idle(program, *faults.exit_when_idle_s);
    }
    int status = 0;
    while (::waitpid(program, &status, 0) < 0 && errno == EINTR) {
    }
    if (faults.ignore_sigterm) {
        std::fprintf(stderr, "misbehave: the program ended; ignoring SIGTERM until SIGKILL\n");
        sleep_forever();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

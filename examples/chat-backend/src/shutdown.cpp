#include "shutdown.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace chat {
namespace {

// Wakes the watcher thread when main finishes without a signal having arrived.
constexpr int k_wake_signal = SIGUSR2;
// After stop(): how long in-flight requests may take before the process exits anyway.
constexpr auto k_max_drain = std::chrono::seconds(5);
// Once no request is in flight, how long main may take to return on its own. cpp-httplib's
// listen() returns ~10 ms after stop() (~60 ms under ASan) unless an idle keep-alive connection
// holds a worker for up to its 5 s timeout; only then does the watcher end the process itself.
constexpr auto k_clean_exit_grace = std::chrono::milliseconds(500);

}  // namespace

void log_shutdown(int signal, std::uint64_t requests_served) {
    std::printf("chat-backend: received %s, shutting down (served %llu requests)\n",
                signal == SIGINT ? "SIGINT" : "SIGTERM",
                static_cast<unsigned long long>(requests_served));
    std::fflush(stdout);
}

SignalWatcher::SignalWatcher() {
    sigemptyset(&m_signals);
    sigaddset(&m_signals, SIGINT);
    sigaddset(&m_signals, SIGTERM);
    sigaddset(&m_signals, k_wake_signal);
    pthread_sigmask(SIG_BLOCK, &m_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

SignalWatcher::~SignalWatcher() {
    finish();
}

std::optional<int> SignalWatcher::sleep_unless_signalled(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    for (;;) {
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
            return std::nullopt;
        }
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                         static_cast<long>(ns % 1'000'000'000)};
        const int signal = sigtimedwait(&m_signals, nullptr, &timeout);
        if (signal == SIGINT || signal == SIGTERM) {
            return signal;
        }
        // EAGAIN (timeout), EINTR or a stray wake signal: re-check the deadline.
    }
}

void SignalWatcher::start(Callbacks callbacks) {
    m_callbacks = std::move(callbacks);
    m_thread = std::thread([this] { watch(); });
}

void SignalWatcher::finish() {
    {
        std::lock_guard lock(m_mutex);
        if (m_finished && !m_thread.joinable()) {
            return;
        }
        m_finished = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) {
        pthread_kill(m_thread.native_handle(), k_wake_signal);
        m_thread.join();
    }
}

void SignalWatcher::watch() {
    int signal = 0;
    for (;;) {
        if (sigwait(&m_signals, &signal) != 0) {
            continue;
        }
        if (signal == SIGINT || signal == SIGTERM) {
            break;
        }
        std::lock_guard lock(m_mutex);
        if (m_finished) {
            return;  // main is done, nothing to watch any more
        }
    }

    log_shutdown(signal, m_callbacks.requests_served());
    m_callbacks.stop_server();

    const auto started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> drained_at;
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (m_cv.wait_for(lock, std::chrono::milliseconds(10), [this] { return m_finished; })) {
            return;  // clean shutdown: main returns 0 itself
        }
        const auto now = std::chrono::steady_clock::now();
        if (!drained_at && m_callbacks.in_flight() == 0) {
            drained_at = now;
        }
        const bool idle_too_long = drained_at && now - *drained_at >= k_clean_exit_grace;
        if (idle_too_long || now - started >= k_max_drain) {
            // Only idle keep-alive connections are left (or draining took too long).
            std::fflush(stdout);
            std::fflush(stderr);
            std::_Exit(0);
        }
    }
}

}  // namespace chat

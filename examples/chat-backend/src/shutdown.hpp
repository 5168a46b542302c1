// Graceful SIGTERM/SIGINT handling without async-signal-unsafe handlers: the signals are blocked
// in every thread and a dedicated thread receives them with sigwait(), then stops the server.
// Idle keep-alive connections would hold cpp-httplib's shutdown for up to 5 s, so once no request
// is in flight the watcher ends the process itself with exit status 0.
#pragma once

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace chat {

class SignalWatcher {
  public:
    struct Callbacks {
        std::function<void()> stop_server;
        std::function<std::int64_t()> in_flight;
        std::function<std::uint64_t()> requests_served;
    };

    // Blocks SIGINT/SIGTERM in the calling thread and in all threads created afterwards, so it
    // must be constructed before any other thread starts.
    SignalWatcher();
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

    // Sleeps for `duration` unless SIGINT/SIGTERM arrives first; returns that signal.
    std::optional<int> sleep_unless_signalled(std::chrono::milliseconds duration);

    // Starts the watcher thread.
    void start(Callbacks callbacks);

    // Called by main once the server has returned; joins the watcher thread.
    void finish();

  private:
    void watch();

    sigset_t m_signals{};
    Callbacks m_callbacks;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_finished = false;
};

// "chat-backend: received SIGTERM, shutting down (served N requests)"
void log_shutdown(int signal, std::uint64_t requests_served);

}  // namespace chat

// Delivers SIGINT/SIGTERM to the run without polling: the CLI's signal handler writes a byte
// to a pipe (the self-pipe trick: write() is async-signal-safe), and one thread sleeps in
// poll() on that pipe until it is readable, then calls back (the runner fires its stop
// source, which every wait of the run already listens to). Ending the relay wakes the
// thread through a second pipe of its own.
#pragma once

#include <functional>
#include <thread>

namespace orch {

// --- Interface ---

class InterruptRelay {
  public:
    /// Calls `on_interrupt` once, from its own thread, when `interrupt_fd` becomes readable.
    /// `interrupt_fd` < 0: nothing to wait for (no thread is started).
    InterruptRelay(int interrupt_fd, std::function<void()> on_interrupt);
    /// Wakes the thread and joins it; `on_interrupt` is not called after this returns.
    ~InterruptRelay();
    InterruptRelay(const InterruptRelay&) = delete;
    InterruptRelay& operator=(const InterruptRelay&) = delete;

  private:
    int m_wake[2] = {-1, -1};  ///< read end polled by the thread, write end written to end it
    std::thread m_thread;
};

}  // namespace orch

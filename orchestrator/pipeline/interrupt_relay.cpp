#include "pipeline/interrupt_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace orch {

InterruptRelay::InterruptRelay(int interrupt_fd, std::function<void()> on_interrupt) {
    if (interrupt_fd < 0 || ::pipe2(m_wake, O_CLOEXEC) != 0) {
        m_wake[0] = m_wake[1] = -1;
        return;
    }
    m_thread =
        std::thread([interrupt_fd, wake = m_wake[0], on_interrupt = std::move(on_interrupt)] {
            pollfd fds[2] = {{interrupt_fd, POLLIN, 0}, {wake, POLLIN, 0}};
            for (;;) {
                int ready = ::poll(fds, 2, -1);
                if (ready < 0 && errno == EINTR) {
                    continue;  // the signal itself may land on this thread
                }
                if (ready < 0 || (fds[1].revents != 0)) {
                    return;  // ended (or poll failed: then the atomic counter still stops stages)
                }
                if (fds[0].revents != 0) {
                    on_interrupt();
                    return;
                }
            }
        });
}

InterruptRelay::~InterruptRelay() {
    if (m_thread.joinable()) {
        char byte = 1;
        while (::write(m_wake[1], &byte, 1) < 0 && errno == EINTR) {
        }
        m_thread.join();
    }
    for (int fd : m_wake) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

}  // namespace orch

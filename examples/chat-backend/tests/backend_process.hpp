// Test harness: runs the real chat-backend binary as a child process on a free loopback port,
// with a controlled environment and stdout/stderr captured to files. Cleanup kills the child by
// its PID (never by name) and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http.hpp"

namespace chat::test {

using Env = std::map<std::string, std::string>;

struct ExitStatus {
    bool exited = false;  // false: killed by a signal
    int code = -1;        // exit code when exited
    int signal = 0;       // terminating signal otherwise
};

// A port that was free on 127.0.0.1 a moment ago (bound to port 0 and read back).
int pick_free_port();

class BackendProcess {
  public:
    // Starts chat-backend with `env` on top of a cleaned environment. PORT defaults to a free
    // port. When wait_ready is set, waits for GET /health to answer (retrying with another port
    // if the chosen one was taken meanwhile) and fails the test if it never does.
    explicit BackendProcess(Env env = {}, bool wait_ready = true);
    ~BackendProcess();
    BackendProcess(const BackendProcess&) = delete;
    BackendProcess& operator=(const BackendProcess&) = delete;

    int port() const { return m_port; }
    pid_t pid() const { return m_pid; }

    // A client for this backend (keep-alive off unless requested).
    std::unique_ptr<httplib::Client> client(bool keep_alive = false) const;

    // Polls /health until it answers; false if the process exits or the timeout passes.
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // Waits for the child to exit on its own; nullopt on timeout (child left running).
    std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
    void send_signal(int signal) const;

    std::string stdout_text() const;
    std::string stderr_text() const;

  private:
    void spawn(const Env& env);

    std::string m_dir;
    int m_port = 0;
    pid_t m_pid = -1;
    bool m_reaped = false;
};

// Response body parsed as JSON (a null JSON when the body is not JSON).
nlohmann::json body_json(const httplib::Result& result);

// POST /conversations/{conversation}/messages with a JSON body.
httplib::Result post_message(httplib::Client& client, const std::string& conversation,
                             const nlohmann::json& body);

std::string messages_path(const std::string& conversation, const std::string& query = "");

}  // namespace chat::test

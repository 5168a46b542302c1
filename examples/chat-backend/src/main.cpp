// chat-backend entry point: read configuration, open the store, bind, serve until SIGTERM.
// Exit status: 0 after SIGTERM/SIGINT, 1 when the store or the port cannot be opened,
// 2 on a bad environment value, 3 when FAULT_CRASH_AFTER_REQUESTS fires.
#include <cstdio>
#include <string>

#include "config.hpp"
#include "faults.hpp"
#include "server.hpp"
#include "shutdown.hpp"
#include "store.hpp"

int main() {
    const chat::ConfigResult parsed = chat::parse_config(chat::process_env());
    if (!parsed.errors.empty()) {
        for (const auto& error : parsed.errors) {
            std::fprintf(stderr, "chat-backend: %s\n", error.c_str());
        }
        return 2;
    }
    const chat::Config& config = parsed.config;

    chat::SignalWatcher signals;  // before any thread exists
    chat::Faults faults(config.faults);
    if (auto signal = signals.sleep_unless_signalled(config.faults.startup_delay)) {
        chat::log_shutdown(*signal, 0);
        return 0;
    }

    try {
        chat::Store store(chat::StoreOptions{config.database_path, config.pool_size});
        chat::Server server(config, store, faults);
        std::string error;
        if (!server.bind(error)) {
            std::fprintf(stderr, "chat-backend: %s\n", error.c_str());
            return 1;
        }
        const std::string rate_limit =
            config.rate_limit_enabled ? std::to_string(config.rate_limit_per_min) + "/min" : "off";
        std::printf("chat-backend listening on %s:%d (pool=%d, rate_limit=%s)\n",
                    config.host.c_str(), server.port(), config.pool_size, rate_limit.c_str());
        std::fflush(stdout);

        signals.start({[&server] { server.stop(); }, [&server] { return server.in_flight(); },
                       [&server] { return server.stats().requests_total(); }});
        server.run();
        signals.finish();
    } catch (const chat::StoreError& e) {
        std::fprintf(stderr, "chat-backend: database error: %s\n", e.what());
        return 1;
    }
    return 0;
}

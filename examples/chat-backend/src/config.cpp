#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <system_error>

namespace chat {
namespace {

constexpr std::int64_t k_max_delay_ms = 3'600'000;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

class Parser {
  public:
    explicit Parser(const EnvLookup& lookup) : m_lookup(lookup) {}

    std::vector<std::string> take_errors() { return std::move(m_errors); }

    void string(const std::string& name, std::string& out) {
        if (auto value = get(name)) {
            out = *value;
        }
    }

    template <typename T>
    void integer(const std::string& name, T& out, std::int64_t min, std::int64_t max) {
        auto value = get(name);
        if (!value) {
            return;
        }
        std::int64_t parsed = 0;
        const char* begin = value->data();
        const char* end = begin + value->size();
        auto [ptr, ec] = std::from_chars(begin, end, parsed);
        if (ec != std::errc{} || ptr != end || parsed < min || parsed > max) {
            fail(name, *value,
                 "expected an integer between " + std::to_string(min) + " and " +
                     std::to_string(max));
            return;
        }
        out = static_cast<T>(parsed);
    }

    void millis(const std::string& name, std::chrono::milliseconds& out, std::int64_t min) {
        std::int64_t ms = out.count();
        integer(name, ms, min, k_max_delay_ms);
        out = std::chrono::milliseconds(ms);
    }

    std::optional<double> real(const std::string& name, double min, double max) {
        auto value = get(name);
        if (!value) {
            return std::nullopt;
        }
        double parsed = 0.0;
        const char* begin = value->data();
        const char* end = begin + value->size();
        auto [ptr, ec] = std::from_chars(begin, end, parsed);
        if (ec != std::errc{} || ptr != end || !(parsed >= min && parsed <= max)) {
            fail(name, *value,
                 "expected a number between " + format_number(min) + " and " + format_number(max));
            return std::nullopt;
        }
        return parsed;
    }

    void boolean(const std::string& name, bool& out) {
        auto value = get(name);
        if (!value) {
            return;
        }
        const std::string v = lower(*value);
        if (v == "1" || v == "true" || v == "yes" || v == "on") {
            out = true;
        } else if (v == "0" || v == "false" || v == "no" || v == "off") {
            out = false;
        } else {
            fail(name, *value, "expected true/false, 1/0, yes/no or on/off");
        }
    }

  private:
    std::optional<std::string> get(const std::string& name) const {
        auto value = m_lookup(name);
        if (!value || value->empty()) {
            return std::nullopt;
        }
        return value;
    }

    static std::string format_number(double value) {
        std::string text = std::to_string(value);
        while (!text.empty() && text.back() == '0') {
            text.pop_back();
        }
        if (!text.empty() && text.back() == '.') {
            text.pop_back();
        }
        return text;
    }

    void fail(const std::string& name, const std::string& value, const std::string& why) {
        m_errors.push_back("invalid " + name + "=\"" + value + "\": " + why);
    }

    const EnvLookup& m_lookup;
    std::vector<std::string> m_errors;
};

}  // namespace

ConfigResult parse_config(const EnvLookup& lookup) {
    ConfigResult result;
    Config& c = result.config;
    Parser p(lookup);

    p.string("HOST", c.host);
    p.integer("PORT", c.port, 0, 65535);
    p.string("DATABASE_PATH", c.database_path);
    p.integer("DATABASE_POOL_SIZE", c.pool_size, 1, 1000);
    p.millis("DATABASE_POOL_TIMEOUT_MS", c.pool_timeout, 0);
    bool disable_rate_limit = false;
    p.boolean("DISABLE_RATE_LIMIT", disable_rate_limit);
    c.rate_limit_enabled = !disable_rate_limit;
    p.integer("RATE_LIMIT_PER_MIN", c.rate_limit_per_min, 1, 100'000'000);
    p.integer("HTTP_THREADS", c.http_threads, 1, 4096);
    p.boolean("LOG_REQUESTS", c.log_requests);
    p.string("APP_VERSION", c.app_version);

    FaultConfig& f = c.faults;
    p.millis("FAULT_STARTUP_DELAY_MS", f.startup_delay, 0);
    p.millis("FAULT_LATENCY_MS", f.latency, 0);
    p.millis("FAULT_QUERY_DELAY_MS", f.query_delay, 0);
    if (auto rate = p.real("FAULT_ERROR_RATE", 0.0, 1.0)) {
        f.error_rate = *rate;
    }
    p.integer("FAULT_CRASH_AFTER_REQUESTS", f.crash_after_requests, 0, INT64_MAX);
    p.integer("FAULT_LEAK_KB_PER_REQUEST", f.leak_kb_per_request, 0, 1024 * 1024);
    f.unhealthy_after_s = p.real("FAULT_UNHEALTHY_AFTER_S", 0.0, 1e9);

    result.errors = p.take_errors();
    return result;
}

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

}  // namespace chat

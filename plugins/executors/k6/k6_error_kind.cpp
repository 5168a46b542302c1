#include "plugins/executors/k6/k6_error_kind.hpp"

namespace orch {

namespace {

bool contains(std::string_view text, std::string_view word) {
    return text.find(word) != std::string_view::npos;
}

ErrorKind kind_of_text(std::string_view error_text) {
    if (contains(error_text, "connection refused")) {
        return ErrorKind::connection_refused;
    }
    if (contains(error_text, "timeout") || contains(error_text, "deadline exceeded")) {
        return ErrorKind::timeout;
    }
    if (contains(error_text, "reset by peer") || contains(error_text, "broken pipe")) {
        return ErrorKind::connection_reset;
    }
    if (contains(error_text, "no such host") || contains(error_text, "lookup ")) {
        return ErrorKind::dns;
    }
    if (contains(error_text, "tls") || contains(error_text, "x509")) {
        return ErrorKind::tls;
    }
    return ErrorKind::other;
}

}  // namespace

ErrorKind k6_error_kind(int status, int error_code, std::string_view error_text,
                        std::optional<bool> expected_response) {
    if (status != 0) {
        if (expected_response.has_value()) {
            return *expected_response ? ErrorKind::none : error_kind_for_status(status);
        }
        return status >= 400 ? error_kind_for_status(status) : ErrorKind::none;
    }
    if (error_code == 1050 || error_code == 1211) {
        return ErrorKind::timeout;
    }
    if (error_code >= 1100 && error_code < 1200) {
        return ErrorKind::dns;
    }
    if (error_code == 1212) {
        return ErrorKind::connection_refused;
    }
    if (error_code == 1201 || error_code == 1220) {
        return ErrorKind::connection_reset;
    }
    if (error_code >= 1300 && error_code < 1400) {
        return ErrorKind::tls;
    }
    return kind_of_text(error_text);
}

}  // namespace orch

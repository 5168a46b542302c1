#include "plugins/executors/builtin/failure_class.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace orch::builtin {

namespace {

constexpr std::size_t k_scan_bytes = 4096;

// Lower-case markers, searched in the lower-cased body.
constexpr std::array<std::string_view, 10> k_pool_markers = {
    "p2024",                                           // Prisma: timed out fetching a connection
    "timed out fetching a new connection",             // Prisma's words
    "connection pool",                                 // most pools' messages
    "pool timeout",                                    //
    "pool exhausted",                                  //
    "too many connections",                            // MySQL
    "remaining connection slots are reserved",         // PostgreSQL
    "sorry, too many clients",                         // PostgreSQL
    "queuepool limit",                                 // SQLAlchemy
    "connection is not available, request timed out",  // HikariCP
};

constexpr std::array<std::string_view, 14> k_database_markers = {
    "unknown field",
    "unknown argument",
    "unknown column",
    "no such column",
    "no such table",
    "constraint",
    "inconsistent column data",
    "violates",
    "duplicate entry",
    "null value in column",
    "column does not exist",
    "relation does not exist",
    "invalid `prisma.",
    "sqlite_error",
};

bool has_prisma_code(std::string_view lower) {
    // P2000..P2099 other than P2024 (pool): Prisma's query-engine errors.
    for (std::size_t at = lower.find("p20"); at != std::string_view::npos;
         at = lower.find("p20", at + 1)) {
        if (at + 5 <= lower.size() &&
            std::isdigit(static_cast<unsigned char>(lower[at + 3])) != 0 &&
            std::isdigit(static_cast<unsigned char>(lower[at + 4])) != 0 &&
            (at == 0 || std::isalnum(static_cast<unsigned char>(lower[at - 1])) == 0)) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string_view failure_class_name(FailureClass kind) noexcept {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (kind) {
        case FailureClass::pool:
            return "pool";
        case FailureClass::database:
            return "database";
        case FailureClass::none:
            break;
    }
    return "none";
}

FailureClass classify_failure_body(std::string_view body) noexcept {
    if (body.empty()) {
        return FailureClass::none;
    }
    std::array<char, k_scan_bytes> buffer;
    std::size_t n = std::min(body.size(), buffer.size());
    std::transform(
        body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n), buffer.begin(),
        [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    std::string_view lower(buffer.data(), n);
    for (auto marker : k_pool_markers) {
        if (lower.find(marker) != std::string_view::npos) {
            return FailureClass::pool;
        }
    }
    for (auto marker : k_database_markers) {
        if (lower.find(marker) != std::string_view::npos) {
            return FailureClass::database;
        }
    }
    return has_prisma_code(lower) ? FailureClass::database : FailureClass::none;
}

}  // namespace orch::builtin

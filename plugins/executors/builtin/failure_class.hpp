// What a failed response's body says went wrong on the backend's side, for the hints: the
// database connection pool ran dry (more load than connections: a capacity fix) or the
// database refused the query (unknown field, constraint, bad column data: a code or
// migration fix). Two causes with two different fixes, so they are told apart by the body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace orch::builtin {

// --- Interface ---

enum class FailureClass : std::uint8_t { none, pool, database };
inline constexpr std::size_t k_failure_class_count = 3;

/// "pool", "database" ("none" for none): the key in the stage's `failure_classes` extra.
std::string_view failure_class_name(FailureClass kind) noexcept;

/// The class of a failed response's `body`: pool exhaustion (Prisma P2024, "timed out
/// fetching a new connection", "connection pool", "too many connections", ...) before
/// database/schema errors (other Prisma P2xxx codes, "Unknown field/argument/column",
/// "constraint", "no such column", "Inconsistent column data", ...); none otherwise.
/// Case-insensitive; looks at most at the first 4 KiB.
FailureClass classify_failure_body(std::string_view body) noexcept;

/// Failed responses of one class in a stage: how many, and the first one seen.
struct FailureClassStats {
    std::uint64_t count = 0;
    int status = 0;               ///< the first one's HTTP status
    std::uint32_t operation = 0;  ///< the first one's metric index
    std::string body;             ///< the first one's body (first bytes)
};

}  // namespace orch::builtin

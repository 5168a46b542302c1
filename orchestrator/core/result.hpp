// Result<T> and Error: how every fallible function below cli/ reports failure.
// Exceptions from yaml-cpp, nlohmann/json and Boost are caught at module edges and
// converted into an Error; hot paths return plain status values instead.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace orch {

// --- Interface ---

/// What kind of failure an Error is; main() maps it to an exit code (core/exit_code.hpp).
enum class ErrorCode {
    invalid_input,   ///< bad command line or pipeline: nothing was started (exit 2)
    infrastructure,  ///< backend never healthy, executor missing, port taken, I/O (exit 3)
    interrupted,     ///< SIGINT/SIGTERM (exit 130)
    internal,        ///< a bug in stagegate (exit 3)
};

/// A failure: `code` decides the exit code, `message` is one line a person reads,
/// `context` optional extra lines (the backend log tail, the last health answer...).
struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    std::string context;
};

template <class T>
using Result = tl::expected<T, Error>;

/// Builds the unexpected value for `return fail(...)`.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message, std::string context = {}) {
    return tl::unexpected<Error>(Error{code, std::move(message), std::move(context)});
}

}  // namespace orch

/// Evaluates `expr` (a Result); on error returns the error from the enclosing function.
#define ORCH_TRY(expr)                                       \
    do {                                                     \
        auto orch_try_result_ = (expr);                      \
        if (!orch_try_result_) {                             \
            return tl::unexpected(orch_try_result_.error()); \
        }                                                    \
    } while (false)

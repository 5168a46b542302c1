#include "plugins/executors/builtin/failure_class.hpp"

#include <catch2/catch.hpp>

using orch::builtin::classify_failure_body;
using orch::builtin::FailureClass;

TEST_CASE("failure bodies: pool exhaustion is told apart from database errors") {
    // The demo backend's pool timeout (Prisma P2024), and other pools' words.
    CHECK(classify_failure_body(
              R"({"error":"Invalid `prisma.message.create()` invocation: Timed out fetching a )"
              R"(new connection from the connection pool.","code":"P2024"})") ==
          FailureClass::pool);
    CHECK(classify_failure_body("FATAL: sorry, too many clients already") == FailureClass::pool);
    CHECK(classify_failure_body("HikariPool-1 - Connection is not available, request timed out "
                                "after 30000ms.") == FailureClass::pool);
    // Database and schema errors: the query is wrong, not the capacity.
    CHECK(
        classify_failure_body(R"({"error":"Invalid `prisma.message.findMany()` invocation:\n\n)"
                              R"(Inconsistent column data: Conversion failed","code":"P2023"})") ==
        FailureClass::database);
    CHECK(classify_failure_body("Unknown field `conversationID` for select statement") ==
          FailureClass::database);
    CHECK(classify_failure_body("duplicate key value violates unique constraint \"pk\"") ==
          FailureClass::database);
    CHECK(classify_failure_body(R"({"code":"P2025"})") == FailureClass::database);
    // Neither.
    CHECK(classify_failure_body("") == FailureClass::none);
    CHECK(classify_failure_body(R"({"error":"missing field: content"})") == FailureClass::none);
    CHECK(classify_failure_body("upstream timed out (P200 is not a code)") == FailureClass::none);
}

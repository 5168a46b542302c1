// stagegate's entry point: everything happens in cli::run.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
    orch::cli::Context context{std::vector<std::string>(argv + 1, argv + argc), std::cout,
                               std::cerr,
                               [](const std::string& name) -> std::optional<std::string> {
                                   const char* value = std::getenv(name.c_str());
                                   return value ? std::optional<std::string>(value) : std::nullopt;
                               },
                               ::isatty(STDOUT_FILENO) == 1};
    return orch::cli::run(context);
}

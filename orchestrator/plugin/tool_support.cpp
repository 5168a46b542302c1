#include "plugin/tool_support.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string_view>

namespace orch {

namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

fs::path pipeline_dir(const Pipeline& pipeline) {
    std::error_code ec;
    fs::path file = pipeline.file.empty() ? fs::path() : fs::absolute(pipeline.file, ec);
    return file.empty() ? fs::current_path(ec) : file.parent_path();
}

std::optional<fs::path> find_program(const std::string& name, const fs::path& base_dir) {
    if (name.find('/') != std::string::npos) {
        fs::path path = fs::path(name).is_absolute() ? fs::path(name) : base_dir / name;
        return is_executable_file(path) ? std::optional(path.lexically_normal()) : std::nullopt;
    }
    const char* path_variable = std::getenv("PATH");
    std::string_view rest = path_variable != nullptr ? path_variable : "";
    while (!rest.empty()) {
        auto colon = rest.find(':');
        std::string_view dir = rest.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        if (!dir.empty() && is_executable_file(fs::path(dir) / name)) {
            return fs::path(dir) / name;
        }
    }
    return std::nullopt;
}

void sleep_unless_stopped(std::stop_token stop, std::chrono::steady_clock::duration length) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, length, [] { return false; });
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line;
        text += '\n';
    }
    return text;
}

}  // namespace orch

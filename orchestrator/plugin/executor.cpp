#include "plugin/executor.hpp"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "core/did_you_mean.hpp"

namespace orch {

void ExecutorRegistry::add(ExecutorPlugin plugin) {
    for (const auto& section : m_sections) {
        if (section.name == plugin.section.name) {
            // A programming error, as in k6's extension registry: fail loudly at start-up.
            fmt::print(stderr, "stagegate: executor \"{}\" registered twice\n", section.name);
            std::abort();
        }
    }
    m_sections.push_back(std::move(plugin.section));
    m_factories.push_back(std::move(plugin.create));
}

Result<std::unique_ptr<Executor>> ExecutorRegistry::create(const std::string& name,
                                                           const Pipeline& pipeline) const {
    for (std::size_t i = 0; i < m_sections.size(); ++i) {
        if (m_sections[i].name == name) {
            return m_factories[i](pipeline);
        }
    }
    return fail(ErrorCode::invalid_input,
                "unknown executor \"" + name + "\" (valid executors: " + join_names(names()) + ")");
}

std::vector<std::string> ExecutorRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& section : m_sections) {
        out.push_back(section.name);
    }
    return out;
}

}  // namespace orch

#include "plugin/executor.hpp"

#include <cstdio>
#include <cstdlib>

namespace orch {

void ExecutorRegistry::add(std::string name, ExecutorFactory factory) {
    for (const auto& [existing, unused] : m_factories) {
        if (existing == name) {
            // A programming error, as in k6's extension registry: fail loudly at start-up.
            std::fprintf(stderr, "stagegate: executor \"%s\" registered twice\n", name.c_str());
            std::abort();
        }
    }
    m_factories.emplace_back(std::move(name), std::move(factory));
}

Result<std::unique_ptr<Executor>> ExecutorRegistry::create(const std::string& name,
                                                           const Pipeline& pipeline) const {
    for (const auto& [existing, factory] : m_factories) {
        if (existing == name) {
            return factory(pipeline);
        }
    }
    std::string valid;
    for (const auto& known : names()) {
        valid += (valid.empty() ? "" : ", ") + known;
    }
    return fail(ErrorCode::invalid_input,
                "unknown executor \"" + name + "\" (valid executors: " + valid + ")");
}

std::vector<std::string> ExecutorRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, unused] : m_factories) {
        out.push_back(name);
    }
    return out;
}

}  // namespace orch

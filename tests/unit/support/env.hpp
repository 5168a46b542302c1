// ScopedEnv: sets an environment variable for one scope and restores it (tests run their
// cases one at a time, so the process-wide environment is safe to change).
#pragma once

#include <stdlib.h>

#include <string>

namespace orch::test {

class ScopedEnv {
  public:
    ScopedEnv(std::string name, const std::string& value) : m_name(std::move(name)) {
        if (const char* old = ::getenv(m_name.c_str())) {
            m_old = old;
            m_had = true;
        }
        ::setenv(m_name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (m_had) {
            ::setenv(m_name.c_str(), m_old.c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string m_name;
    std::string m_old;
    bool m_had = false;
};

}  // namespace orch::test

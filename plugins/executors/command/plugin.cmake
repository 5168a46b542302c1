# This plugin's library (see plugins/CMakeLists.txt): PUBLIC what its headers include,
# DEPS what only its .cpp files use.
find_package(spdlog REQUIRED)
stagegate_plugin(executor_command PUBLIC stagegate::plugin stagegate::metrics
                 DEPS stagegate::process spdlog::spdlog)

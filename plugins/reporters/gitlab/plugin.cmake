# This plugin's library (see plugins/CMakeLists.txt): PUBLIC what its headers include,
# DEPS what only its .cpp files use.
find_package(nlohmann_json 3 REQUIRED)
stagegate_plugin(reporter_gitlab PUBLIC stagegate::plugin
                 DEPS stagegate::report nlohmann_json::nlohmann_json)

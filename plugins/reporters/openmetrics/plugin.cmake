# This plugin's library (see plugins/CMakeLists.txt): PUBLIC what its headers include,
# DEPS what only its .cpp files use.
stagegate_plugin(reporter_openmetrics PUBLIC stagegate::plugin DEPS stagegate::report)

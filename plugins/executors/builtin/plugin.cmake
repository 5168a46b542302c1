# This plugin's library (see plugins/CMakeLists.txt): PUBLIC what its headers include,
# DEPS what only its .cpp files use.
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)  # the lean transport decodes gzip/deflate answers
find_package(OpenSSL REQUIRED)  # the lean transport speaks TLS
# Debian's libhttp-parser-dev has no CMake or pkg-config file: find it by hand.
find_library(STAGEGATE_HTTP_PARSER_LIBRARY http_parser REQUIRED)
find_path(STAGEGATE_HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
add_library(stagegate_http_parser INTERFACE)
target_link_libraries(stagegate_http_parser INTERFACE "${STAGEGATE_HTTP_PARSER_LIBRARY}")
target_include_directories(stagegate_http_parser SYSTEM INTERFACE
                           "${STAGEGATE_HTTP_PARSER_INCLUDE_DIR}")
stagegate_plugin(executor_builtin PUBLIC stagegate::plugin stagegate::metrics
                 DEPS stagegate::report stagegate::http CURL::libcurl stagegate_http_parser
                 ZLIB::ZLIB OpenSSL::SSL)

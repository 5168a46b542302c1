# install() rules and the Debian package (CPack DEB), issue 14 item 1.
#   cmake --install build --prefix /usr       the files below
#   cpack --config build/CPackConfig.cmake    build/stagegate_<version>_<arch>.deb
# Depends are computed by dpkg-shlibdeps from the installed binaries; the package passes
# lintian (tests/e2e/package_deb.sh checks both and runs the installed stagegate).
include(GNUInstallDirs)

# Directories 0755 and files 0644/0755, as Debian policy (and lintian) wants, whatever the
# umask of the machine that builds the package.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

install(TARGETS stagegate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The demo backend, so the shipped example pipelines run from the package:
#   STAGEGATE_BACKEND=/usr/lib/stagegate/chat-backend stagegate run \
#     /usr/share/stagegate/pipelines/chat-quick.yaml
install(TARGETS chat-backend RUNTIME DESTINATION ${CMAKE_INSTALL_LIBDIR}/stagegate)
install(FILES schemas/pipeline.schema.json schemas/results.schema.json
              schemas/stage-result.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/stagegate/schemas)
install(DIRECTORY pipelines/ DESTINATION ${CMAKE_INSTALL_DATADIR}/stagegate/pipelines
        FILES_MATCHING PATTERN "*.yaml" PATTERN "README.md")
# The tool adapters, where the shipped pipelines find them (../plugins/adapters/...).
install(DIRECTORY plugins/adapters/ DESTINATION ${CMAKE_INSTALL_DATADIR}/stagegate/plugins/adapters
        USE_SOURCE_PERMISSIONS)

# The man page and the completions are written by the built binary (orchestrator/), from
# the same help texts and scripts `stagegate help` and `stagegate completion` print.
set(generated "${PROJECT_BINARY_DIR}/orchestrator")
install(FILES "${generated}/stagegate.1.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES "${generated}/completions/stagegate"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES "${generated}/completions/_stagegate"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES "${generated}/completions/stagegate.fish"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES packaging/copyright "${generated}/changelog.gz"
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stagegate)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "stagegate maintainers <stagegate@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "progressive load test as one CI-gate command")
# The extended description only: CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY before it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "stagegate reads a YAML pipeline, launches the backend and waits until it is\nhealthy, runs load stages of growing size with cooldowns and health checks,\njudges every stage against its criteria table and writes reports (Markdown,\nHTML, JSON, JUnit, OpenMetrics) and an exit code a CI job can gate on.")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/stagegate/stagegate")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "k6, wrk, hey, prometheus")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

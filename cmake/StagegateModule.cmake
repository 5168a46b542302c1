# stagegate_module(NAME DIR <folder> [PUBLIC <targets>...] [DEPS <targets>...])
# One static library per module, named stagegate_<NAME> with alias stagegate::<NAME>,
# from every .cpp in <folder>. The dependency rule of ARCHITECTURE.md is written here and
# in these calls, nowhere else, and the build enforces it:
#   - each module has its own include root, generated in the build tree:
#     <build>/include-roots/<NAME>/<prefix> is a symlink to <folder>, where <prefix> is
#     <folder> relative to STAGEGATE_INCLUDE_ROOT ("pipeline", "plugins/executors/k6"), so
#     sources keep writing #include "pipeline/runner.hpp";
#   - a target sees only its own root and the roots its dependencies export: a module's
#     sources cannot include a header of a module it has not declared (nor plugins/ unless
#     it declares a plugin), and the compiler says "No such file or directory";
#   - PUBLIC: the dependencies the module's own headers include (its users see them too);
#     DEPS: those only its .cpp files use (PRIVATE: its users do not see them).
# Every declaration is recorded (global properties STAGEGATE_MODULES and
# STAGEGATE_MODULE_<NAME>_{PUBLIC,DEPS}); stagegate_write_module_graph() writes them out for
# the check that ARCHITECTURE.md's dependency list is the declared one (tests/arch/).
function(stagegate_module NAME)
  cmake_parse_arguments(ARG "" "DIR" "PUBLIC;DEPS" ${ARGN})
  get_filename_component(dir "${ARG_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  file(RELATIVE_PATH prefix "${STAGEGATE_INCLUDE_ROOT}" "${dir}")
  set(root "${PROJECT_BINARY_DIR}/include-roots/${NAME}")
  get_filename_component(link_parent "${root}/${prefix}" DIRECTORY)
  file(MAKE_DIRECTORY "${link_parent}")
  if(NOT IS_SYMLINK "${root}/${prefix}")
    file(CREATE_LINK "${dir}" "${root}/${prefix}" SYMBOLIC)
  endif()

  file(GLOB sources CONFIGURE_DEPENDS "${dir}/*.cpp")
  list(FILTER sources EXCLUDE REGEX "/main\\.cpp$")
  set(target stagegate_${NAME})
  if(sources)
    add_library(${target} STATIC ${sources})
    stagegate_unity(${target})
    target_include_directories(${target} PUBLIC "${root}")
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_DEPS} stagegate::settings)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${root}")
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC} ${ARG_DEPS})
  endif()
  add_library(stagegate::${NAME} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY STAGEGATE_MODULES ${NAME})
  set_property(GLOBAL PROPERTY STAGEGATE_MODULE_${NAME}_PUBLIC ${ARG_PUBLIC})
  set_property(GLOBAL PROPERTY STAGEGATE_MODULE_${NAME}_DEPS ${ARG_DEPS})
endfunction()

# Writes FILE: one line per module, "<name>: <first-party modules it declares>" (sorted;
# third-party libraries left out), the list ARCHITECTURE.md's "Declared dependencies" block
# must equal.
function(stagegate_write_module_graph FILE)
  get_property(modules GLOBAL PROPERTY STAGEGATE_MODULES)
  list(SORT modules)
  set(text "")
  foreach(m IN LISTS modules)
    get_property(pub GLOBAL PROPERTY STAGEGATE_MODULE_${m}_PUBLIC)
    get_property(priv GLOBAL PROPERTY STAGEGATE_MODULE_${m}_DEPS)
    set(deps "")
    foreach(d IN LISTS pub priv)
      if(d MATCHES "^stagegate::(.+)$" AND NOT CMAKE_MATCH_1 STREQUAL "settings")
        list(APPEND deps "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    list(SORT deps)
    list(PREPEND deps "${m}:")
    list(JOIN deps " " line)
    string(APPEND text "${line}\n")
  endforeach()
  file(WRITE "${FILE}.tmp" "${text}")
  configure_file("${FILE}.tmp" "${FILE}" COPYONLY)
endfunction()

# stagegate_embed_text(OUT_CPP FUNCTION NAMESPACE FILE)
# Generates OUT_CPP defining `std::string_view NAMESPACE::FUNCTION()` that returns the
# bytes of FILE, regenerated when FILE changes: the JSON Schemas ship inside the binary
# (`stagegate schema`) and stay the same files the tests validate with.
function(stagegate_embed_text OUT_CPP FUNCTION NAMESPACE FILE)
  add_custom_command(
    OUTPUT "${OUT_CPP}"
    COMMAND "${CMAKE_COMMAND}" -DIN=${FILE} -DOUT=${OUT_CPP} -DFUNCTION=${FUNCTION}
            -DNAMESPACE=${NAMESPACE} -P "${PROJECT_SOURCE_DIR}/cmake/EmbedTextScript.cmake"
    DEPENDS "${FILE}" "${PROJECT_SOURCE_DIR}/cmake/EmbedTextScript.cmake"
    COMMENT "Embedding ${FILE}")
endfunction()

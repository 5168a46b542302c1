# Run by stagegate_embed_text at build time: writes the file's bytes as a char array.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
math(EXPR length "${hex_length} / 2")
file(WRITE "${OUT}.tmp"
"// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ${NAMESPACE} {\nnamespace {\nconst char k_${FUNCTION}_data[] = {${bytes} 0};\n}\nstd::string_view ${FUNCTION}() { return std::string_view(k_${FUNCTION}_data, ${length}); }\n}  // namespace ${NAMESPACE}\n")
file(RENAME "${OUT}.tmp" "${OUT}")

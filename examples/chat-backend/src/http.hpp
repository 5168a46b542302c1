// Single place that includes cpp-httplib. Debian ships it as a compiled library whose
// declarations-only header must see the same CPPHTTPLIB_* defines it was built with (they come
// from pkg-config); the pragmas keep its warnings out of our -Werror build.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#pragma GCC diagnostic ignored "-Woverloaded-virtual"
#pragma GCC diagnostic ignored "-Wcast-align"
#include <httplib.h>
#pragma GCC diagnostic pop

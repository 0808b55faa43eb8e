#pragma once
// nlohmann/json for every fnq source. GCC 12 at -O2 reports a false
// -Wnull-dereference inside the library's basic_json::is_string() where
// json::value() is inlined; it is silenced for the library's own lines here,
// and the project's warnings stay as they are.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <nlohmann/json.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

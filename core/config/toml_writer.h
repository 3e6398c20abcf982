// Deterministic TOML text for a toml++ table: keys sorted, plain [a.b] headers, arrays of tables as
// [[a]] blocks, and floats in their shortest round-trip form (0.3, not 0.29999999999999999 as the
// Debian toml++ build prints them). Parsing the text back gives an equal table.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <string>

namespace synface::core::config {

// `comment`, when given, is called with the key path of every key = value line ("a.b",
// "a[0].b" inside arrays of tables) and may return a trailing comment (without '#').
std::string ToTomlText(const toml::table& table,
                       const std::function<std::string(const std::string& path)>& comment = {});

// One value on one line: "0.3", "\"text\"", "[ 1, 2 ]", "{ a = 1 }".
std::string InlineTomlValue(const toml::node& node);

// A key as TOML writes it: bare when possible, else a quoted basic string.
std::string TomlKey(const std::string& key);

}  // namespace synface::core::config

#include "core/config/toml_writer.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include "core/config/schema.h"

namespace synface::core::config {
namespace {

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", c);
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  return out + "\"";
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest text that parses back to the same double; plain decimals (0.0001) unless they get
  // long, then exponent form (1e-300).
  char buffer[400];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), v, std::chars_format::fixed);
  std::string s(buffer, result.ptr);
  if (s.size() > 20) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), v);
    s.assign(buffer, result.ptr);
  }
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

bool IsArrayOfTables(const toml::node& node) {
  const toml::array* array = node.as_array();
  if (!array || array->empty()) return false;
  for (const toml::node& e : *array) {
    if (!e.is_table()) return false;
  }
  return true;
}

std::string Join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? TomlKey(key) : prefix + "." + TomlKey(key);
}

class Writer {
 public:
  explicit Writer(const std::function<std::string(const std::string&)>& comment)
      : comment_(comment) {}

  // `header` is the table's TOML path as written in headers; `path` the provenance path (which
  // has [i] for array elements).
  void Table(const toml::table& table, const std::string& header, const std::string& path,
             bool array_element) {
    std::vector<std::pair<std::string, const toml::node*>> simple, tables, arrays;
    for (auto&& [key, node] : table) {
      const std::string k(key.str());
      if (node.is_table()) {
        tables.emplace_back(k, &node);
      } else if (IsArrayOfTables(node)) {
        arrays.emplace_back(k, &node);
      } else {
        simple.emplace_back(k, &node);
      }
    }
    const bool header_needed =
        array_element || (!header.empty() && (!simple.empty() || table.empty()));
    if (header_needed) {
      if (!out_.empty()) out_ += '\n';
      out_ += array_element ? "[[" + header + "]]\n" : "[" + header + "]\n";
    }
    for (const auto& [key, node] : simple) {
      std::string line = TomlKey(key) + " = " + InlineTomlValue(*node);
      if (comment_) {
        const std::string c = comment_(path.empty() ? TomlKey(key) : path + "." + TomlKey(key));
        if (!c.empty()) line += "  # " + c;
      }
      out_ += line + '\n';
    }
    for (const auto& [key, node] : tables) {
      Table(*node->as_table(), Join(header, key),
            path.empty() ? TomlKey(key) : path + "." + TomlKey(key), false);
    }
    for (const auto& [key, node] : arrays) {
      const toml::array& array = *node->as_array();
      const std::string element_header = Join(header, key);
      const std::string element_path = path.empty() ? TomlKey(key) : path + "." + TomlKey(key);
      for (size_t i = 0; i < array.size(); ++i) {
        Table(*array[i].as_table(), element_header, fmt::format("{}[{}]", element_path, i), true);
      }
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  const std::function<std::string(const std::string&)>& comment_;
  std::string out_;
};

}  // namespace

std::string TomlKey(const std::string& key) { return IsBareKey(key) ? key : QuoteString(key); }

std::string InlineTomlValue(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return QuoteString(node.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return FormatFloat(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: {
      std::ostringstream out;
      node.visit([&](const auto& n) { out << n; });
      return out.str();
    }
    case toml::node_type::array: {
      const toml::array& array = *node.as_array();
      if (array.empty()) return "[]";
      std::string out = "[ ";
      for (size_t i = 0; i < array.size(); ++i) {
        if (i) out += ", ";
        out += InlineTomlValue(array[i]);
      }
      return out + " ]";
    }
    case toml::node_type::table: {
      const toml::table& table = *node.as_table();
      if (table.empty()) return "{}";
      std::string out = "{ ";
      bool first = true;
      for (auto&& [key, value] : table) {
        if (!first) out += ", ";
        first = false;
        out += TomlKey(std::string(key.str())) + " = " + InlineTomlValue(value);
      }
      return out + " }";
    }
    case toml::node_type::none:
      break;
  }
  return "";
}

std::string ToTomlText(const toml::table& table,
                       const std::function<std::string(const std::string& path)>& comment) {
  Writer writer(comment);
  writer.Table(table, "", "", false);
  return writer.Take();
}

}  // namespace synface::core::config

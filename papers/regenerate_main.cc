// bazel run //papers:regenerate [-- --runs DIR --out DIR --tables DIR --strict]
// Writes reports/report.md and reports/csv/NN_<id>.csv: every thesis table with our measured values
// beside the thesis's (papers/report.h).
#include <cstring>
#include <iostream>
#include <string>

#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "papers/report.h"

namespace {

constexpr char kUsage[] =
    "usage: regenerate [--runs DIR] [--out DIR] [--tables DIR] [--strict]\n"
    "  --runs DIR    result records, runs/<experiment>/<run_id>/result.json (default: ./runs)\n"
    "  --out DIR     report folder: report.md and csv/ (default: ./reports)\n"
    "  --tables DIR  thesis table files (default: the bundled papers/tables)\n"
    "  --strict      exit 3 when the report has warnings (unknown table/row/column, bad records)\n"
    "Relative paths resolve against the folder `bazel run` was called from.\n";

}  // namespace

int main(int argc, char** argv) {
  synface::core::InitRunfiles(argv[0]);
  synface::papers::RegenerateOptions options;
  bool strict = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const size_t n = std::strlen(flag);
      if (arg.compare(0, n, flag) == 0 && arg.size() > n && arg[n] == '=') return argv[i] + n + 1;
      if (arg == flag && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--strict") {
      strict = true;
    } else if (const char* v = value("--runs")) {
      options.runs_dir = v;
    } else if (const char* v = value("--out")) {
      options.out_dir = v;
    } else if (const char* v = value("--tables")) {
      options.tables_dir = v;
    } else {
      std::cerr << "regenerate: unknown or incomplete argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  try {
    const synface::papers::Report report = synface::papers::Regenerate(options, std::cout);
    return strict && !report.warnings.empty() ? 3 : 0;
  } catch (const synface::core::Error& e) {
    std::cerr << "regenerate: " << e.what() << "\n";
    return 1;
  }
}

#include "core/config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/config/toml_writer.h"
#include "core/testing/testing.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::config {
namespace {
namespace fs = std::filesystem;
using core::test_support::ErrorOf;
using core::test_support::TestDir;

void Write(const fs::path& path, const std::string& text) { WriteFileAtomic(path, text); }

// The message of the core::Error `f` throws (fails the test when it throws nothing).
Schema ExampleSchema() {
  Schema s;
  s.Required<std::string>("data.root", "dataset folder")
      .Optional<double>("train.lr", 1e-4, "learning rate")
      .Range("train.lr", 0.0, 1.0)
      .Optional<int64_t>("train.epochs", 90)
      .Optional<std::vector<double>>("loss.weights", {0.28, 0.22, 0.30, 0.20})
      .Optional<std::vector<int64_t>>("model.layers", {2, 2})
      .Choice("model.name", {"fsanet", "6drepnet"}, "fsanet")
      .Optional("name", "run", "run name")
      .Optional<bool>("flag", false)
      .OpenTable("extra", "free-form notes");
  return s;
}

TEST(Compose, ParentsFirstInListOrderThenTheFileThenLaterFiles) {
  const fs::path dir = TestDir("compose");
  Write(dir / "scales" / "smoke.toml",
        "[data]\n"
        "root = \"/smoke\"\n"
        "[train]\n"
        "epochs = 1\n");
  Write(dir / "exp" / "base.toml",
        "[train]\n"
        "lr = 0.5\n"
        "epochs = 10\n"
        "[model]\n"
        "layers = [1, 2, 3]\n");
  Write(dir / "exp" / "child.toml",
        "extends = [\"base.toml\", \"../scales/smoke.toml\"]\n"
        "[model]\n"
        "layers = [4]\n"
        "name = \"6drepnet\"\n");
  Write(dir / "late.toml", "[train]\nlr = 0.25\n");

  Config c = LoadConfig({dir / "exp" / "child.toml", dir / "late.toml"}, {}, ExampleSchema());
  // smoke.toml is merged after base.toml, so its epochs win; the child's own keys win over both;
  // arrays replace; the later top-level file wins over everything before it.
  EXPECT_EQ(c.Get<int64_t>("train.epochs"), 1);
  EXPECT_EQ(c.Get<std::string>("data.root"), "/smoke");
  EXPECT_EQ(c.Get<std::vector<int64_t>>("model.layers"), std::vector<int64_t>({4}));
  EXPECT_EQ(c.Get<std::string>("model.name"), "6drepnet");
  EXPECT_DOUBLE_EQ(c.Get<double>("train.lr"), 0.25);

  EXPECT_EQ(c.Source("train.epochs"), (dir / "scales" / "smoke.toml").string() + ":4");
  EXPECT_EQ(c.Source("model.layers"), (dir / "exp" / "child.toml").string() + ":3");
  EXPECT_EQ(c.Source("train.lr"), (dir / "late.toml").string() + ":2");
  EXPECT_EQ(c.Source("loss.weights"), "schema default");
  EXPECT_FALSE(c.Has("extends"));

  ASSERT_EQ(c.Files().size(), 4u);
  EXPECT_EQ(c.Files()[0].filename(), "base.toml");
  EXPECT_EQ(c.Files()[1].filename(), "smoke.toml");
  EXPECT_EQ(c.Files()[2].filename(), "child.toml");
  EXPECT_EQ(c.Files()[3].filename(), "late.toml");
}

TEST(Compose, TablesMergeRecursivelyAcrossAChain) {
  const fs::path dir = TestDir("chain");
  Write(dir / "a.toml", "[extra.deep]\nx = 1\ny = 1\n");
  Write(dir / "b.toml", "extends = \"a.toml\"\n[extra.deep]\ny = 2\n");
  Write(dir / "c.toml", "extends = [\"b.toml\"]\ndata.root = \"r\"\n[extra.deep]\nz = 3\n");
  Config c = LoadConfig({dir / "c.toml"}, {}, ExampleSchema());
  EXPECT_EQ(c.Get<int>("extra.deep.x"), 1);
  EXPECT_EQ(c.Get<int>("extra.deep.y"), 2);
  EXPECT_EQ(c.Get<int>("extra.deep.z"), 3);
}

TEST(Compose, CycleIsAnErrorNamingTheChain) {
  const fs::path dir = TestDir("cycle");
  Write(dir / "a.toml", "extends = [\"b.toml\"]\n");
  Write(dir / "b.toml", "x = 1\nextends = [\"sub/c.toml\"]\n");
  Write(dir / "sub" / "c.toml", "extends = [\"../a.toml\"]\n");
  const std::string a = (dir / "a.toml").string();
  const std::string b = (dir / "b.toml").string();
  const std::string c = (dir / "sub" / "c.toml").string();
  const std::string message = ErrorOf([&] { ComposeFiles({dir / "a.toml"}); });
  EXPECT_CONTAINS(message, "extends cycle: " + a + " -> " + b + " -> " + c + " -> " + a);
  EXPECT_CONTAINS(message, c + ":1");  // where the closing extends is written
}

TEST(Compose, DiamondIsNotACycle) {
  const fs::path dir = TestDir("diamond");
  Write(dir / "base.toml", "data.root = \"b\"\n");
  Write(dir / "l.toml", "extends = \"base.toml\"\n");
  Write(dir / "r.toml", "extends = \"base.toml\"\n");
  Write(dir / "top.toml", "extends = [\"l.toml\", \"r.toml\"]\n");
  EXPECT_EQ(LoadConfig({dir / "top.toml"}, {}, ExampleSchema()).Get<std::string>("data.root"), "b");
}

TEST(Compose, MissingParentAndMalformedExtendsNameTheLine) {
  const fs::path dir = TestDir("missing_parent");
  Write(dir / "a.toml", "# comment\nextends = [\"nope.toml\"]\n");
  std::string message = ErrorOf([&] { ComposeFiles({dir / "a.toml"}); });
  EXPECT_CONTAINS(message, (dir / "a.toml").string() + ":2: extends '");
  EXPECT_CONTAINS(message, "nope.toml': file not found");

  Write(dir / "b.toml", "\n\nextends = [1]\n");
  message = ErrorOf([&] { ComposeFiles({dir / "b.toml"}); });
  EXPECT_CONTAINS(message, (dir / "b.toml").string() + ":3");
  EXPECT_CONTAINS(message, "integer");

  message = ErrorOf([&] { ComposeFiles({dir / "absent.toml"}); });
  EXPECT_CONTAINS(message, (dir / "absent.toml").string() + ": config file not found");
}

TEST(Compose, MalformedTomlNamesFileLineAndColumn) {
  const fs::path dir = TestDir("malformed");
  Write(dir / "bad.toml", "[train]\nlr = 0.1\nepochs = = 3\n");
  const std::string message = ErrorOf([&] { LoadConfig({dir / "bad.toml"}, {}, ExampleSchema()); });
  EXPECT_CONTAINS(message, (dir / "bad.toml").string() + ":3:10: TOML syntax error");
}

TEST(Overrides, WinOverFilesAndParseAsTomlElseString) {
  const fs::path dir = TestDir("overrides");
  Write(dir / "a.toml", "data.root = \"/data\"\n[train]\nlr = 0.5\n");
  Config c = LoadConfig({dir / "a.toml"},
                        {"train.lr=1e-4", "data.root=/x/y", "model.layers=[1,2,3]",
                         "name=\"quoted str\"", "flag=true", "loss.weights=[1, 2.5]"},
                        ExampleSchema());
  EXPECT_DOUBLE_EQ(c.Get<double>("train.lr"), 1e-4);
  EXPECT_EQ(c.Get<std::string>("data.root"), "/x/y");
  EXPECT_EQ(c.Get<std::vector<int>>("model.layers"), std::vector<int>({1, 2, 3}));
  EXPECT_EQ(c.Get<std::string>("name"), "quoted str");
  EXPECT_TRUE(c.Get<bool>("flag"));
  // int -> float inside arrays, and the stored value becomes a float.
  EXPECT_EQ(c.Get<std::vector<double>>("loss.weights"), std::vector<double>({1.0, 2.5}));
  EXPECT_TRUE(c.Find("loss.weights[0]")->is_floating_point());
  EXPECT_EQ(c.Source("train.lr"), "command line override 'train.lr=1e-4'");
  EXPECT_EQ(c.Overrides().size(), 6u);
}

TEST(Overrides, LastOverrideWinsAndStringKeysTakeTheRawText) {
  Config c = LoadConfigString("data.root = \"r\"\n", "mem.toml",
                              {"train.epochs=3", "train.epochs=7", "name=123", "data.root="},
                              ExampleSchema());
  EXPECT_EQ(c.Get<int>("train.epochs"), 7);
  EXPECT_EQ(c.Get<std::string>("name"), "123");  // a string key: "123", not an error
  EXPECT_EQ(c.Get<std::string>("data.root"), "");
}

TEST(Overrides, AddAndRemove) {
  const Schema schema = ExampleSchema();
  Config c = LoadConfigString("data.root = \"r\"\n[extra]\nold = 1\n", "mem.toml",
                              {"+extra.note=\"hi\"", "~extra.old", "+train.lr=0.5"}, schema);
  EXPECT_EQ(c.Get<std::string>("extra.note"), "hi");
  EXPECT_FALSE(c.Has("extra.old"));
  EXPECT_DOUBLE_EQ(c.Get<double>("train.lr"), 0.5);

  // Removing a key brings back its default.
  c = LoadConfigString("data.root = \"r\"\ntrain.lr = 0.5\n", "mem.toml", {"~train.lr"}, schema);
  EXPECT_DOUBLE_EQ(c.Get<double>("train.lr"), 1e-4);
  EXPECT_EQ(c.Source("train.lr"), "schema default");

  // key=v cannot invent a key inside a free-form table; '+' cannot replace a set key.
  std::string message = ErrorOf(
      [&] { LoadConfigString("data.root = \"r\"\n", "mem.toml", {"extra.typo=1"}, schema); });
  EXPECT_CONTAINS(message, "command line override 'extra.typo=1'");
  EXPECT_CONTAINS(message, "+extra.typo=1");
  message = ErrorOf(
      [&] { LoadConfigString("data.root = \"r\"\n", "mem.toml", {"+data.root=x"}, schema); });
  EXPECT_CONTAINS(message, "'data.root' is already set (at mem.toml:1)");
  message =
      ErrorOf([&] { LoadConfigString("data.root = \"r\"\n", "mem.toml", {"~train.lr"}, schema); });
  EXPECT_CONTAINS(message, "nothing to remove: 'train.lr' is not set");
  // '+' does not bypass the schema.
  message = ErrorOf(
      [&] { LoadConfigString("data.root = \"r\"\n", "mem.toml", {"+train.lrr=1"}, schema); });
  EXPECT_CONTAINS(message, "command line override '+train.lrr=1': unknown key 'train.lrr'");
}

TEST(Overrides, MalformedOnesAreReported) {
  EXPECT_CONTAINS(ErrorOf([] { ParseOverride("train.lr"); }), "expected key.path=value");
  EXPECT_CONTAINS(ErrorOf([] { ParseOverride("train..lr=1"); }), "'train..lr=1'");
  EXPECT_CONTAINS(ErrorOf([] { ParseOverride("=1"); }), "not a bare TOML key");
  const std::string message = ErrorOf([] {
    LoadConfigString("data.root = \"r\"\ntrain = 5\n", "mem.toml", {"train.lr=1"}, ExampleSchema());
  });
  EXPECT_CONTAINS(message, "'train' is not a table: it holds the integer 5 set at mem.toml:2");
}

TEST(Validation, EachErrorKindNamesFileLineAndKeyAndAllAreReportedTogether) {
  const fs::path dir = TestDir("validation");
  const fs::path file = dir / "exp.toml";
  Write(file,
        "[train]\n"                             // 1
        "lrr = 0.1\n"                           // 2  unknown key, close to train.lr
        "epochs = \"ten\"\n"                    // 3  wrong type
        "[model]\n"                             // 4
        "name = \"resnet\"\n"                   // 5  not a choice
        "layers = [1,\n"                        // 6
        "  \"two\"]\n"                          // 7  wrong element type, on its own line
        "[loss]\n"                              // 8
        "weights = [1, 2]\n"                    // 9  ints where floats expected: fine
        "[extra]\n"                             // 10
        "anything = { goes = [1, \"x\"] }\n");  // 11 free-form: fine
  const std::string f = file.string();
  const std::string message = ErrorOf([&] {
    LoadConfig({file}, {"train.lr=abc", "flag=3"}, ExampleSchema());
  });
  EXPECT_CONTAINS(message, "invalid configuration (7 problems):");
  EXPECT_CONTAINS(message, "\n  " + f + ":2: unknown key 'train.lrr' (did you mean train.lr?)");
  EXPECT_CONTAINS(message, "\n  " + f + ":3: key 'train.epochs': expected integer, got string");
  EXPECT_CONTAINS(message,
                  "\n  " + f + ":5: key 'model.name': 'resnet' is not one of: fsanet, 6drepnet");
  EXPECT_CONTAINS(message, "\n  " + f + ":7: key 'model.layers[1]': expected integer, got string");
  EXPECT_CONTAINS(message,
                  "\n  command line override 'train.lr=abc': key 'train.lr': expected float, got "
                  "string \"abc\"");
  EXPECT_CONTAINS(
      message, "\n  command line override 'flag=3': key 'flag': expected boolean, got integer 3");
  EXPECT_CONTAINS(message,
                  "\n  " + f + ": missing required key 'data.root' (string: dataset folder)");
}

TEST(Validation, IntWhereStringExpectedAndRangeAndTableMismatch) {
  const fs::path dir = TestDir("validation2");
  Write(dir / "a.toml", "name = 5\ndata = \"x\"\n[train]\nlr = 2.0\n");
  const std::string f = (dir / "a.toml").string();
  const std::string message = ErrorOf([&] { LoadConfig({dir / "a.toml"}, {}, ExampleSchema()); });
  EXPECT_CONTAINS(message, f + ":1: key 'name': expected string, got integer 5");
  EXPECT_CONTAINS(message, f + ":2: key 'data': expected a table, got string");
  EXPECT_CONTAINS(message, f + ":4: key 'train.lr': 2.0 is outside the allowed range [0, 1]");
}

TEST(Validation, SuggestionsForMisplacedAndMisspeltKeys) {
  const std::string message = ErrorOf([] {
    LoadConfigString("data.root = \"r\"\nepochs = 3\n[modle]\nname = \"fsanet\"\n", "m.toml", {},
                     ExampleSchema());
  });
  EXPECT_CONTAINS(message, "m.toml:2: unknown key 'epochs' (did you mean train.epochs?)");
  EXPECT_CONTAINS(message, "m.toml:3: unknown key 'modle' (did you mean model?)");
  // Only the unknown table is reported, not each key inside it.
  EXPECT_EQ(message.find("modle.name"), std::string::npos);
}

TEST(Config, TypedGettersDefaultsAndErrors) {
  Config c =
      LoadConfigString("data.root = \"/d\"\n[train]\nepochs = 5\n", "m.toml", {}, ExampleSchema());
  EXPECT_EQ(c.Get<int>("train.epochs"), 5);
  EXPECT_EQ(c.Get<uint64_t>("train.epochs"), 5u);
  EXPECT_DOUBLE_EQ(c.Get<double>("train.epochs"), 5.0);  // ints read as floats
  EXPECT_FLOAT_EQ(c.Get<float>("train.lr"), 1e-4f);
  EXPECT_EQ(c.Get<fs::path>("data.root"), fs::path("/d"));
  EXPECT_EQ(c.Get<std::string>("model.name"), "fsanet");
  EXPECT_EQ(c.Get<std::vector<float>>("loss.weights").size(), 4u);
  EXPECT_TRUE(c.Has("train.lr"));
  EXPECT_FALSE(c.Has("extra.x"));
  EXPECT_EQ(c.GetOr<int>("extra.x", 42), 42);
  EXPECT_EQ(c.Source("train.epochs"), "m.toml:3");
  EXPECT_CONTAINS(ErrorOf([&] { c.Get<int>("train.lr"); }),
                  "schema default: config key 'train.lr' is float");
  EXPECT_CONTAINS(ErrorOf([&] { c.Get<std::string>("train.epochs"); }),
                  "m.toml:3: config key 'train.epochs' is integer 5, not a string");
  EXPECT_CONTAINS(ErrorOf([&] { c.Get<int>("extra.x"); }), "config key 'extra.x' is not set");
}

TEST(Config, MaybeKeysAreAbsentUntilSet) {
  Schema s;
  s.Maybe<std::string>("data.real_root", "optional real data");
  EXPECT_FALSE(LoadConfigString("", "m.toml", {}, s).Has("data.real_root"));
  EXPECT_EQ(
      LoadConfigString("", "m.toml", {"data.real_root=/r"}, s).Get<std::string>("data.real_root"),
      "/r");
}

TEST(Config, ResolvedConfigRoundTrips) {
  const fs::path dir = TestDir("roundtrip");
  Write(dir / "base.toml",
        "[data]\nroot = \"/data with spaces/ü\"\n[extra]\nlist = [[1, 2], [3]]\n"
        "\"odd key\" = 1\n[[extra.items]]\nname = \"a\"\n[[extra.items]]\nname = \"b\"\n");
  Write(dir / "exp.toml", "extends = [\"base.toml\"]\n[train]\nlr = 0.1\n");
  Config c = LoadConfig({dir / "exp.toml"}, {"train.epochs=3", "loss.weights=[0.1, 1e-7, 3]"},
                        ExampleSchema());
  c.WriteResolved(dir / "run" / "config.resolved.toml");
  const std::string text = ReadFile(dir / "run" / "config.resolved.toml");
  EXPECT_CONTAINS(text, "# Files, merge order: " + (dir / "base.toml").string());
  EXPECT_CONTAINS(text, "# Overrides: train.epochs=3 loss.weights=[0.1, 1e-7, 3]");

  Config reloaded = LoadConfig({dir / "run" / "config.resolved.toml"}, {}, ExampleSchema());
  EXPECT_TRUE(reloaded.Table() == c.Table());
  EXPECT_TRUE(DiffTables(reloaded.Table(), c.Table()).empty());
  EXPECT_EQ(reloaded.ToTomlString(), c.ToTomlString());
  EXPECT_EQ(reloaded.Get<std::vector<double>>("loss.weights"),
            std::vector<double>({0.1, 1e-7, 3.0}));
  // Deterministic: sorted keys, stable text.
  EXPECT_EQ(c.ToTomlString(),
            LoadConfig({dir / "exp.toml"}, {"loss.weights=[0.1, 1e-7, 3]", "train.epochs=3"},
                       ExampleSchema())
                .ToTomlString());
  EXPECT_LT(c.ToTomlString().find("flag = false"), c.ToTomlString().find("[data]"));
}

TEST(CommandLine, SplitsFilesOverridesAndTheRest) {
  const char* argv[] = {"prog",       "a.toml", "/abs/b.toml", "train.lr=1",
                        "+x.y=\"s\"", "~z",     "--help",      "model.cfg=other.toml"};
  CommandLine cl = SplitCommandLine(8, argv);
  ASSERT_EQ(cl.files.size(), 2u);
  EXPECT_TRUE(cl.files[0].is_absolute());
  EXPECT_EQ(cl.files[0].filename(), "a.toml");
  EXPECT_EQ(cl.files[1], fs::path("/abs/b.toml"));
  EXPECT_EQ(cl.overrides,
            std::vector<std::string>({"train.lr=1", "+x.y=\"s\"", "~z", "model.cfg=other.toml"}));
  EXPECT_EQ(cl.rest, std::vector<std::string>({"--help"}));
}

TEST(DiffTables, NamesEachDifferingKey) {
  toml::table a = toml::parse("x = 1\n[t]\ny = \"a\"\nz = [1]\n[u]\nq = 1\n");
  toml::table b = toml::parse("x = 1\n[t]\ny = \"b\"\nz = [1]\nw = true\n[u]\nq = 2\n");
  EXPECT_EQ(DiffTables(a, b, {"u"}),
            std::vector<std::string>({"t.w: (absent) vs true", "t.y: \"a\" vs \"b\""}));
  EXPECT_TRUE(DiffTables(a, a).empty());
}

TEST(Schema, MisuseIsReported) {
  Schema s;
  s.Optional<int64_t>("a.b", 1);
  EXPECT_CONTAINS(ErrorOf([&] { s.Optional<int64_t>("a.b", 2); }), "declared twice");
  EXPECT_CONTAINS(ErrorOf([&] { s.Optional<int64_t>("a.b.c", 2); }), "'a.b' is a key");
  EXPECT_CONTAINS(ErrorOf([&] { s.Optional<int64_t>("a", 2); }), "both as a table and a key");
  EXPECT_CONTAINS(ErrorOf([&] { s.Choice("c", {"x"}, "y"); }), "not one of its choices");
  EXPECT_CONTAINS(ErrorOf([&] { s.Range("zz", 0, 1); }), "undeclared");
  EXPECT_CONTAINS(ErrorOf([&] { s.Optional<int64_t>("bad key", 1); }), "not a bare TOML key");
  const std::string help = ExampleSchema().Describe();
  EXPECT_CONTAINS(help, "train.lr (float, default 0.0001, range [0, 1]): learning rate");
  EXPECT_CONTAINS(help, "model.name (string, default \"fsanet\", one of fsanet 6drepnet)");
  EXPECT_CONTAINS(help, "extra.* (free-form table): free-form notes");
}

TEST(TomlWriter, RoundTripsEveryKindOfValueWithShortestFloats) {
  const std::string source =
      "a = 0.3\n"
      "b = [0.1, 1e-300, -0.0, inf, 2.0]\n"
      "c = \"tab\\tquote\\\" back\\\\ ctl\\u0001 ü\"\n"
      "\"key with space\" = 1\n"
      "d = 1979-05-27T07:32:00Z\n"
      "e = [[1, 2], [\"x\"], []]\n"
      "f = [{ x = 1 }, 2]\n"
      "[empty]\n"
      "[t.u]\n"
      "v = { w = { y = true } }\n"
      "[[arr]]\n"
      "n = 1\n"
      "[arr.sub]\n"
      "m = 2\n"
      "[[arr.deep]]\n"
      "k = 3\n"
      "[[arr]]\n"
      "n = 4\n";
  const toml::table original = toml::parse(source);
  const std::string text = ToTomlText(original);
  toml::table reparsed;
  ASSERT_NO_THROW(reparsed = toml::parse(text)) << text;
  EXPECT_TRUE(reparsed == original) << text;
  EXPECT_TRUE(DiffTables(reparsed, original).empty()) << text;
  EXPECT_CONTAINS(text, "a = 0.3\n");
  EXPECT_CONTAINS(text, "b = [ 0.1, 1e-300, -0.0, inf, 2.0 ]\n");
  EXPECT_CONTAINS(text, "\"key with space\" = 1\n");
  EXPECT_CONTAINS(text, "[empty]\n");
  EXPECT_CONTAINS(text, "[[arr]]\nn = 1\n");
  EXPECT_EQ(text, ToTomlText(reparsed));  // stable
}

TEST(Schema, MergeCombinesDeclarations) {
  Schema common;
  common.Required<int64_t>("scale.threads").OpenTable("notes");
  Schema experiment;
  experiment.Optional<double>("train.lr", 0.1);
  experiment.Merge(common);
  Config c = LoadConfigString("scale.threads = 2\nnotes.x = \"free\"\n", "m.toml", {}, experiment);
  EXPECT_EQ(c.Get<int>("scale.threads"), 2);
  EXPECT_EQ(c.Get<std::string>("notes.x"), "free");
  EXPECT_DOUBLE_EQ(c.Get<double>("train.lr"), 0.1);
  Schema clash;
  clash.Optional<int64_t>("train.lr", 1);
  EXPECT_CONTAINS(ErrorOf([&] { experiment.Merge(clash); }), "'train.lr' is declared by both");
}

TEST(EditDistance, CountsTranspositionsAsOne) {
  EXPECT_EQ(EditDistance("model", "modle"), 1u);
  EXPECT_EQ(EditDistance("train.lr", "train.lrr"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("abc", "abc"), 0u);
}

}  // namespace
}  // namespace synface::core::config

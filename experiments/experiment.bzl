"""synface_experiment: one `bazel run //experiments:<name>` target per named experiment."""

def synface_experiment(name, srcs, deps = [], smoke_suite = True, data = []):
    """A named experiment binary.

    Args:
      name: experiment name; its config is configs/<name>.toml and its records go to runs/<name>/.
      srcs: the thin *_main.cc calling experiments::ExperimentMain.
      deps: the library holding the experiment.
      smoke_suite: part of the main job (tools/main.sh runs every target tagged smoke_suite).
      data: further runtime files.
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        data = ["configs/%s.toml" % name, "//core/config:scales"] + data,
        deps = deps + ["//experiments:runner"],
        tags = ["experiment"] + (["smoke_suite"] if smoke_suite else []),
    )

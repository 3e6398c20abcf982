"""@ict_facekit: the ICT Face Model (MIT) from a folder on this machine, or an empty repository.

The folder is $SYNFACE_ICT_FACEKIT when set (an absolute path to a clone of ICT-FaceKit or of the
project's subset), else `default_path` relative to the workspace root. Targets:
  @ict_facekit//:model     every file of the model (empty when the folder is absent)
  @ict_facekit//:defs.bzl  ICT_FACEKIT_AVAILABLE, ICT_FACEKIT_PATH for BUILD-time decisions
Code finds the files through runfiles under "ict_facekit/"; see core/util/runfiles.h.
"""

def _ict_facekit_impl(rctx):
    path = rctx.os.environ.get("SYNFACE_ICT_FACEKIT", "")
    if not path:
        path = str(rctx.path(Label("//:WORKSPACE")).dirname) + "/" + rctx.attr.default_path
    root = rctx.path(path)
    available = root.exists and root.get_child("FaceXModel").exists
    if available:
        for child in root.readdir():
            if child.basename not in ("BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel", ".git"):
                rctx.symlink(child, child.basename)
    rctx.file("WORKSPACE", 'workspace(name = "ict_facekit")\n')
    rctx.file("defs.bzl", "ICT_FACEKIT_AVAILABLE = %s\nICT_FACEKIT_PATH = %r\n" % (available, str(root)))
    rctx.file("BUILD.bazel", """
filegroup(
    name = "model",
    srcs = glob(["FaceXModel/**", "sample_data/**", "LICENSE", "MANIFEST.md"], allow_empty = True),
    visibility = ["//visibility:public"],
)
exports_files(["defs.bzl"])
""")

ict_facekit_repository = repository_rule(
    implementation = _ict_facekit_impl,
    attrs = {"default_path": attr.string(mandatory = True)},
    environ = ["SYNFACE_ICT_FACEKIT"],
    local = True,
)

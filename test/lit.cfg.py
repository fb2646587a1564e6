# Lit configuration of Kiln's regression tests: dialects, passes, the
# importer, the tools and end-to-end numerics.

import ctypes
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "unit",
                   "Inputs", "errors-data"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.kiln_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["kiln-opt", "kiln-compile", "kiln-run", "kiln-gen-data", "aot-model"]
llvm_config.add_tool_substitutions(tools, [config.kiln_tools_dir])

config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_examples",
                             os.path.join(config.kiln_src_root, "examples")))
config.substitutions.append(
    ("%kiln_fake_model",
     os.path.join(config.kiln_lib_dir, "kiln_fake_model.so")))
config.substitutions.append(
    ("%kiln_fake_cuda_driver",
     os.path.join(config.kiln_lib_dir, "fake-cuda", "libcuda.so.1")))

# The GPU path is assembled with ptxas for sm_80/sm_90 when the CUDA toolkit
# is present; execution needs a GPU and its driver.
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
if os.path.exists("/dev/nvidiactl"):
    config.available_features.add("cuda-device")
# Whether the real driver loads: without it, kiln-run --device cuda must say
# so. (The fake driver is never on the library path.)
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass

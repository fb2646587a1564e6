// RUN: kiln-opt %s --split-input-file --kiln-gpu-launch-through-api --verify-diagnostics

// expected-error @below {{expected one gpu.binary with the model's kernels, found 0}}
module attributes {gpu.container_module} {
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{'gpu.binary' op holds no PTX (compile the kernels with format=isa)}}
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, bin = "cubin">]
}

// -----

// The host may only allocate through the functions the pass routes to the
// runtime.
module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
  // expected-error @below {{the host code calls 'malloc', which does not allocate device memory; lower memrefs with use-generic-functions and without alignment}}
  llvm.func @malloc(i64) -> !llvm.ptr
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
  llvm.func @host(%grid: i64) {
    %one = llvm.mlir.constant(1 : i64) : i64
    // expected-error @below {{'gpu.launch_func' op has a y or z extent other than 1, which the runtime's launch entry does not take}}
    gpu.launch_func @kiln_kernels::@k blocks in (%grid, %grid, %one) threads in (%one, %one, %one) : i64
    llvm.return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
  llvm.func @host(%grid: i64, %bytes: i32) {
    %one = llvm.mlir.constant(1 : i64) : i64
    // expected-error @below {{'gpu.launch_func' op is asynchronous or uses shared memory or clusters, which the runtime's launch entry does not take}}
    gpu.launch_func @kiln_kernels::@k blocks in (%grid, %one, %one) threads in (%one, %one, %one) : i64 dynamic_shared_memory_size %bytes
    llvm.return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
  func.func @host(%grid: index) {
    %one = arith.constant 1 : index
    // expected-error @below {{'gpu.launch_func' op expected i64 sizes (run gpu-to-llvm first)}}
    gpu.launch_func @kiln_kernels::@k blocks in (%grid, %one, %one) threads in (%one, %one, %one)
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
  func.func @host(%grid: i64) {
    %one = llvm.mlir.constant(1 : i64) : i64
    // expected-error @below {{'gpu.launch_func' op expected to be in an llvm.func (run gpu-to-llvm first)}}
    gpu.launch_func @kiln_kernels::@k blocks in (%grid, %one, %one) threads in (%one, %one, %one) : i64
    return
  }
}

// -----

// expected-error @below {{kiln.signature is not a JSON object}}
module attributes {gpu.container_module, kiln.signature = "[1]"} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">]
}

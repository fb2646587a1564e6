//===- Passes.td - Kiln's GPU (NVPTX) lowering passes ------*- tablegen -*-===//
//
// Passes that turn the loops-over-buffers form shared with the CPU path
// into GPU kernels and their launches: device buffers, serial code wrapped
// into kernels, parallel loops mapped to blocks and threads, and the
// kernels gathered into one device module.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_GPU_PASSES
#define KILN_GPU_PASSES

include "mlir/Pass/PassBase.td"

def GPUDeviceBuffers : Pass<"kiln-gpu-device-buffers", "mlir::func::FuncOp"> {
  let summary = "Allocate a model function's buffers in GPU memory";
  let description = [{
    Runs on loops over buffers (after the deallocation pipeline). Every
    `memref.alloc` and `memref.dealloc` of the function becomes `gpu.alloc`
    and `gpu.dealloc`. A top-level `memref.alloca` that a loop reads or
    writes (attention's work counter) becomes a `gpu.alloc` freed at the
    end of the function; one used only by top-level loads and stores and as
    the shape of a `memref.reshape` stays on the host stack, since the host
    reads it to build descriptors. The function's arguments are device
    pointers too: the caller passes GPU memory.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPUWrapSerialCode : Pass<"kiln-gpu-wrap-serial-code",
                             "mlir::func::FuncOp"> {
  let summary = "Move host code that touches device memory into parallel "
                "loops";
  let description = [{
    After `kiln-gpu-device-buffers`, the host may not read or write device
    memory. A top-level `memref.copy` becomes an `scf.parallel` nest of
    loads and stores over the copied elements. Any other run of top-level
    ops that loads, stores or updates device memory (serial loop nests, the
    initialization of a counter) is moved into a one-iteration
    `scf.parallel`, which `kiln-gpu-map-parallel-loops` turns into a
    single-thread kernel. A value such code computes cannot be used by the
    host afterwards; that is reported as an error. A host branch, an
    `scf.if` without results on a host value whose blocks hold parallel
    loops (`kiln_pack`'s choice of the buffer to fill), stays on the host
    and its blocks are handled like the function's, so that its loops stay
    parallel and each becomes a kernel that takes only its own buffers.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def GPUMapParallelLoops : Pass<"kiln-gpu-map-parallel-loops",
                               "mlir::func::FuncOp"> {
  let summary = "Turn each top-level parallel loop nest into a gpu.launch";
  let description = [{
    Every top-level `scf.parallel` of the function (or of a host branch,
    see `kiln-gpu-wrap-serial-code`) becomes a `gpu.launch`
    with one thread per iteration: the iteration space is linearized, cut
    into blocks of `block-size` threads (one thread for a loop known to have
    one iteration), and each thread recovers its indices by delinearizing
    its global id; threads past the end do nothing. A launch is skipped
    when the loop has no iteration. Nested parallel loops stay in the
    thread's body and run sequentially. Constants and `memref.get_global`
    that the body uses are cloned into it so that kernels do not capture
    host-side values that only name data.

    A block loop, a top-level `scf.parallel` whose body allocates
    `#gpu.address_space<workgroup>` or `<private>` memory (the GEMM's form
    with `kiln-convert-to-loops gpu-gemm`), is mapped on two levels: one
    thread block per iteration (the iteration space linearized onto the
    grid), its workgroup buffers the launch's workgroup attributions, each
    private buffer `[threads, ...]` a private attribution holding one
    thread's slice, and each `scf.parallel` of its body (at its top level or
    in `scf.for` loops over them) a phase of the block's threads, as many as
    the largest phase has iterations (constant, at most 1024; threads past a
    smaller phase idle). Phases complete one before the next starts, as
    nested loops do on the CPU: a `gpu.barrier` follows each phase but the
    kernel's last. Block code outside the phases runs on every thread and
    may have no memory effects.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "128",
           "Threads per block (1 to 1024)">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def GPUMergeKernelModules : Pass<"kiln-gpu-merge-kernel-modules",
                                 "mlir::ModuleOp"> {
  let summary = "Gather every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel into its own `gpu.module`. This
    pass moves all kernels, and the globals they use, into one module named
    `module-name` and points every `gpu.launch_func` at it, so that a model
    has one PTX file (one `--emit=ptx` output, one module to load at run
    time). Kernels whose bodies print identically are merged into one.
    Every workgroup attribution gets `llvm.align = 16`: LLVM assumes 16
    bytes for a large global without an alignment and fuses shared loads
    into `ld.shared.v4` by it, which the PTX must then declare.
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", "\"kiln_kernels\"",
           "Name of the merged gpu.module">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPUApproximateMath : Pass<"kiln-gpu-approximate-math",
                              "mlir::gpu::GPUModuleOp"> {
  let summary = "Expand the kernels' f32 math functions into polynomials";
  let description = [{
    Rewrites f32 `math` functions (exp, tanh, erf, log, log1p, ...) in the
    kernels into MLIR's polynomial approximations, the same code the CPU
    kernels use, so that CPU and GPU results agree and no libdevice call is
    needed for them. What is left (fma, floor, sqrt, abs, ...) maps to
    single PTX instructions (`kiln-gpu-native-math`); f64 functions stay for
    libdevice. Math ops on vectors are then split into one op per lane,
    since `convert-gpu-to-nvvm` lowers scalar math only, and `math.fma`,
    which it does not lower, becomes LLVM's fma intrinsic.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GPUNativeMath : Pass<"kiln-gpu-native-math", "mlir::gpu::GPUModuleOp"> {
  let summary = "Replace libdevice calls that PTX has instructions for";
  let description = [{
    Runs after `convert-gpu-to-nvvm`, which turns every math op into a call
    to CUDA's libdevice (`__nv_sqrtf`, `__nv_floorf`, `__nv_fmaf`, ...).
    Those that are one PTX instruction (sqrt, floor, ceil, trunc, abs, fma,
    copysign, min, max, rounding to even) become LLVM intrinsics, which the
    NVPTX back end emits inline, and their declarations go. Kernels then
    need libdevice only for the f64 functions (RoPE's angles), which the
    driver links when it is found.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GPUEmulateLaunches : Pass<"kiln-gpu-emulate-launches",
                              "mlir::func::FuncOp"> {
  let summary = "Run gpu.launch bodies as CPU parallel loops (testing)";
  let description = [{
    Turns each `gpu.launch` of the function back into an `scf.parallel`
    over (block, thread) pairs, its `gpu.block_id`/`gpu.thread_id` x the
    loop's indices (y and z are 0); run after
    `kiln-gpu-host-allocations`. A launch with barriers or workgroup and
    private attributions (a mapped block loop) becomes an `scf.parallel`
    over blocks that allocates the block's memory (private memory with a
    slice per thread) and runs its phases, the code between barriers, one
    after the other, each as an `scf.parallel` over the block's threads;
    barriers may sit at the top of the kernel or in `scf.for` loops that all
    threads run alike. Both forms are exact. With it the CPU pipeline runs the IR of the GPU path
    (`kiln-compile --gpu-emulation`): the device buffers, the wrapped
    serial code and the thread mapping are tested against the reference
    evaluator on machines without a GPU.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect"];
}

def GPUEmulateMMA : Pass<"kiln-gpu-emulate-mma", "mlir::func::FuncOp"> {
  let summary = "Compute warp.mma per lane on the CPU (testing)";
  let description = [{
    For `kiln-compile --gpu-emulation`. Each `warp.mma` becomes its lane's
    4 dot products, read straight from the tiles: `acc[i] + Σ_k A[row][k] ·
    B[col][k]` for the row and column of accumulator element i in the PTX
    m16n8 layout, f16 and bf16 widened to f32, f32 rounded to TF32 (to
    nearest, ties away from zero, as `cvt.rna.tf32.f32`), products and sums
    in f32 in k order. A lane's result depends only on the tiles and on its
    own accumulators, so the emulated phases stay exact whatever order they
    run their threads in; only the order of the sums differs from the
    tensor core's.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def GPULowerMMA : Pass<"kiln-gpu-lower-mma", "mlir::gpu::GPUModuleOp"> {
  let summary = "Lower warp.mma to tensor-core instructions";
  let description = [{
    Runs on the kernels' `gpu.module`, before `convert-nvgpu-to-nvvm`. Each
    `warp.mma` loads its lane's fragments from the tiles and issues one
    `mma.sync`: f16 through `nvgpu.ldmatrix` and `nvgpu.mma.sync` m16n8k16;
    bf16 through the same loads and a call of LLVM's
    `llvm.nvvm.mma.m16n8k16.row.col.bf16` (declared in the module), since
    MLIR 19's MMA ops take no bf16; f32 as TF32, its elements loaded one by
    one, rounded with `cvt.rna.tf32.f32` and multiplied by
    `nvgpu.mma.sync` m16n8k8 `tf32Enabled`. `ldmatrix` reads tiles that are
    workgroup attributions of the kernel, whose `llvm.align` the pass
    raises to 16 bytes, with rows a static multiple of 16 bytes; other
    16-bit tiles are read element by element.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::nvgpu::NVGPUDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GPUHostAllocations : Pass<"kiln-gpu-host-allocations",
                              "mlir::func::FuncOp"> {
  let summary = "Turn the host's gpu.alloc/gpu.dealloc into memref ones";
  let description = [{
    Once every access to device memory is in a kernel, the only heap
    buffers the host function allocates are device buffers. This pass makes
    them `memref.alloc`/`memref.dealloc` again, so that the standard memref
    lowering handles their descriptors: with `use-generic-functions` it
    calls `_mlir_memref_to_llvm_alloc`/`_mlir_memref_to_llvm_free`, which
    `kiln-gpu-launch-through-api` routes to the runtime's device allocator
    (and `--gpu-emulation` leaves as host memory). Asynchronous allocations
    are an error: Kiln makes none.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def GPULaunchThroughAPI : Pass<"kiln-gpu-launch-through-api",
                               "mlir::ModuleOp"> {
  let summary = "Launch kernels and allocate device memory through the "
                "runtime's function table";
  let description = [{
    Runs on the host module in the LLVM dialect (after `gpu-to-llvm`),
    with the kernels compiled into a `gpu.binary`. Each `gpu.launch_func`
    becomes a call through the `launch` entry of the table the runtime
    binds with `kiln_compiled_gpu_bind` (docs/abi.md, "CUDA models"): the
    kernel's name, the grid and block sizes in x, and an array of pointers
    to the kernel's arguments, as cuLaunchKernel takes them. The memref
    lowering's allocation functions call the table's `alloc` and `free`.
    The PTX becomes `kiln_compiled_gpu_ptx()`, its arch
    `kiln_compiled_gpu_arch()`, a cubin in the binary (kiln-compile adds one
    when ptxas is installed) `kiln_compiled_gpu_cubin()`; the signature
    names `cuda`
    as the model's device, and the gpu dialect is gone, so the module
    translates to LLVM IR like a CPU model; the model library has no
    link-time CUDA dependency.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // KILN_GPU_PASSES

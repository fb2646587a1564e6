//===- Passes.td - Kiln conversion passes -----------------*- tablegen -*-===//
//
// Passes that lower Kiln's dialects to upstream MLIR and finish the LLVM
// dialect module that becomes a compiled model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PASSES
#define KILN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def PackWeights : Pass<"kiln-pack-weights", "mlir::ModuleOp"> {
  let summary = "Pack the GEMM weights that are bound parameters once, at "
                "bind time";
  let description = [{
    In a module with a `kiln.signature`, the GEMM weights (of `linear`,
    `ffn.mlp` and `ffn.glu`) that are parameters of `@kiln_main` (and of
    the generation entries `@kiln_prefill` and `@kiln_decode`, which share
    them) are packed once, when a session binds its weights: each such
    function gets a panels argument per packed buffer (after its other
    arguments, the same list for all, f32 `[P, K, NR]` for `vector-width`
    lanes), each GEMM op a `kiln.packed_panels` attribute naming, per
    weight operand, the argument that holds its panels, the module a
    `@kiln_pack(params..., panels..., which: i64)` that fills them (buffer
    `which`, or all when it is negative), and the signature a "packed" list
    and a "packed_only" list of the parameters read through packed buffers
    only (docs/abi.md). Runs on tensors, before kiln-bufferize-boundaries;
    a module without a signature, or already packed, is left as it is, and
    its weights are packed on every call.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "8",
           "f32 lanes of the target's vector registers; the same as "
           "kiln-convert-to-loops', which checks it">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::func::FuncDialect"
  ];
}

def BufferizeBoundaries : Pass<"kiln-bufferize-boundaries", "mlir::ModuleOp"> {
  let summary = "Put function boundaries on buffers: memref arguments, "
                "results as out-parameters";
  let description = [{
    The first step of bufferization. Every ranked-tensor argument of a
    function becomes a memref of the same shape, read in the body through
    `bufferization.to_tensor`; every ranked-tensor result becomes a
    trailing out-parameter, written by
    `bufferization.materialize_in_destination`. This is the
    destination-passing form of the compiled-model ABI (docs/abi.md). The
    body stays on tensors: `kiln-bufferize-ops` then gives each op's
    results their buffers.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def BufferizeOps : Pass<"kiln-bufferize-ops", "mlir::ModuleOp"> {
  let summary = "Choose the buffer of every result of a Kiln op";
  let description = [{
    The second step of bufferization, after `kiln-bufferize-boundaries`
    (a function whose boundary is still on tensors is an error). Each
    result of a graph, attn, scan or ffn op at the top level of the body
    gets a buffer:

    - the out-parameter it is materialized into, when that parameter is
      written by nothing else and every other reader of the result comes
      before (through a `memref.cast` where the parameter's sizes are more
      or less static than the result's): the op computes a model's
      output in place, and the logits are not copied once more. The
      caller's output buffers must not overlap its inputs (docs/abi.md),
      which the runtime checks;
    - the buffer of an operand that dies there, for an elementwise op (or a
      fused group of elementwise ops with no data movement) whose operand
      has the result's type, so each element is read before it is
      written: the operand's buffer is a `memref.alloc` of the body that
      nothing reads after the op (through views too) and no other operand
      reads;
    - else a new 64-byte aligned `memref.alloc`, sized by the op's shape
      rule (`ReifyRankedShapedTypeOpInterface`).

    A `graph.constant` that is no splat becomes a private, constant
    `memref.global` holding its value, read through `memref.get_global`
    (a splat keeps its op, which fills its buffer).

    A `graph.reshape` (`BufferView`) gets none: it becomes a view of its
    input's buffer. The ops stay on tensors: the choice is a
    `bufferization.materialize_in_destination` of the result into its
    buffer, right after the op, and the result's readers read the buffer
    through `bufferization.to_tensor`. `kiln-convert-to-loops` lowers each
    op into the buffers it was given.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def ConvertKilnToLoops : Pass<"kiln-convert-to-loops", "mlir::ModuleOp"> {
  let summary = "Lower graph, attn, scan and ffn ops to loops over buffers";
  let description = [{
    Runs after `kiln-bufferize-ops` (a function whose boundary is still on
    tensors, or an op result without its buffer, is an error) and lowers
    every Kiln op from tensors to memrefs. Each op fills the buffers
    `kiln-bufferize-ops` chose for its results with
    scf loops (outer loops `scf.parallel`, so they can run on threads) of
    vector/arith/math code for `vector-width` f32 lanes: projections as a
    register-tiled GEMM, attention as a blocked flash kernel with
    register-tiled products (with `flash-attention`, the GPU's form: a
    query tile per thread block, key and value tiles in workgroup memory;
    with `row-attention`, a flash kernel per query row, its state in
    registers; with `gpu-gemm`, GEMMs
    as thread blocks that share tiles in workgroup memory, the form
    `kiln-gpu-map-parallel-loops` maps to blocks and threads), scans vectorized across
    channels. `bufferization.to_tensor` becomes its buffer, and
    `bufferization.materialize_in_destination` nothing when its source was
    computed in its destination, else a copy (a returned argument or
    view).

    The stateful ops of the generation entries (`attn.decode_attention`,
    the `*_step` ops, `graph.ring_store`) read and write their state
    arguments in place.

    A GEMM weight with `kiln.packed_panels` (kiln-pack-weights) is read
    from its panels argument, which must have the panel width of
    `vector-width`; any other weight is packed on every call.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "8",
           "f32 lanes of the target's vector registers (16 for AVX-512, "
           "8 for AVX2, 4 for SSE)">,
    Option<"rowAttention", "row-attention", "bool", "false",
           "Lower attention with one parallel iteration per query row, its "
           "query and output in registers (the GPU: a thread per row), "
           "where the head dims are static and at most 256">,
    Option<"flashAttention", "flash-attention", "bool", "false",
           "Lower attention to flash-attention thread blocks: a query tile "
           "per block, key and value tiles staged in workgroup memory, the "
           "online softmax in registers (the GPU's form), where the head "
           "dims are static and at most 256; tried before row-attention">,
    Option<"chunkedScans", "chunked-scans", "bool", "false",
           "Lower selective scans (static N up to 16), linear recurrences "
           "and linear attention (static head dim up to 64) without packed "
           "sequences as chunks of time in three parallel loops, one "
           "channel (or column of the state) per iteration (the GPU: a "
           "thread per channel and chunk)">,
    Option<"gpuGemm", "gpu-gemm", "bool", "false",
           "Lower GEMMs (linear, matmul, mlp, glu) to thread blocks: an "
           "scf.parallel over output tiles whose body stages A and B tiles "
           "in workgroup memory and runs phases of per-thread work as "
           "nested scf.parallel loops (the GPU's form)">,
    Option<"gpuMMA", "gpu-mma", "bool", "false",
           "With gpu-gemm: GEMMs whose weights (B) are f16 or bf16 stage "
           "their tiles in that type and multiply them on tensor cores "
           "(warp.mma, m16n8k16), four warps of 32 x 32 per block; with "
           "flash-attention, attention whose query, key and value are f16 "
           "or bf16 (head dims up to 128) multiplies Q.K^T and P.V on "
           "tensor cores too">,
    Option<"gpuTF32", "gpu-tf32", "bool", "false",
           "With gpu-gemm and gpu-mma: f32 GEMMs too, through TF32 "
           "tensor-core products (warp.mma on f32 tiles, m16n8k8; inputs "
           "rounded to 10 mantissa bits), and with flash-attention f32 "
           "attention whose f32 tiles fit in 48 KiB (D up to 88); off, they "
           "keep SIMT FMAs">,
    Option<"blockRows", "block-rows", "bool", "false",
           "Lower layer_norm, rms_norm and softmax over the last axis with a "
           "thread block per row whose threads read it together, in phases "
           "(the GPU's form)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::func::FuncDialect",
    "mlir::gpu::GPUDialect", "kiln::warp::WarpDialect"
  ];
}

def FreeBuffersEarly : Pass<"kiln-free-buffers-early", "mlir::func::FuncOp"> {
  let summary = "Free each temporary buffer right after its last use";
  let description = [{
    The deallocation pipeline frees a function's temporary buffers at its
    end, so a 12-layer model holds every layer's activations at once. This
    pass moves each `memref.dealloc` of a buffer allocated in the function's
    body to just after the last top-level op that uses the buffer or a view
    of it. The allocator then hands the memory to the next layers' buffers:
    peak working memory follows the live activations, about one layer's.
  }];
}

def PrefetchPanels : Pass<"kiln-prefetch-panels", "mlir::func::FuncOp"> {
  let summary = "Prefetch the GEMM's weight panels some k steps ahead";
  let description = [{
    Every `vector.load` the GEMM micro-kernel marks `kiln.panel_row` (a row
    of a packed weight panel `[P, K, NR]`, indices `[p, k, c]`) gets a
    `memref.prefetch` of the same panel `distance` rows ahead before it,
    and one of the same row of the next panel into the outer caches
    (locality 1). With few rows of A (a decode step) each panel row feeds
    few FMAs, and the loads wait on memory without them; the second stream
    keeps more cache-line requests in flight than one stream gets from the
    hardware prefetcher. The GEMM marks only the loads of a panel's first
    sweep, when it comes from memory. Runs after the deallocation
    pipeline, which rejects `memref.prefetch` (an op with unknown memory
    effects); a prefetch past the panels' end is harmless (it never
    faults). The mark is removed.
  }];
  let options = [
    Option<"distance", "distance", "int64_t", "16",
           "k steps ahead (16 rows of a 128-byte AVX-512 panel: 2 KiB)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def OutlineKernels : Pass<"kiln-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Move each kernel's loop nest into a function shared by "
                "identical kernels";
  let description = [{
    Runs on loops over buffers (after the deallocation pipeline). Every
    top-level loop nest of `@kiln_main` and `@kiln_pack` (one kernel, or
    one weight's packing) becomes a private
    function taking the buffers and sizes it reads, and a call; constants
    are cloned in, so the kernel keeps its static tile bounds. Kernels with
    identical bodies, such as the same projection in every layer of a
    transformer, share one function, so LLVM optimizes and emits each
    distinct kernel once: compile time follows the number of distinct
    layers, not their count. The functions are `noinline` and internal.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def ParallelToOpenMP : Pass<"kiln-parallel-to-openmp", "mlir::ModuleOp"> {
  let summary = "Lower parallel loops to OpenMP, with the schedule each asks "
                "for";
  let description = [{
    Runs upstream's convert-scf-to-openmp, then gives `schedule(guided)` to
    the worksharing loop of every `scf.parallel` marked
    `kiln.guided_schedule` (the GEMM's blocks, `balancedParallelLoops`):
    each thread takes a chunk of the remaining iterations, their count over
    twice the thread count, until none are left. Under the default static
    schedule each thread's share is fixed when the loop starts, so on a
    machine shared with other processes one thread that loses its core for
    a time slice holds the others at the loop's end; guided chunks start as
    large and contiguous as static shares, so the GEMM's panel reuse holds.
    Beside a busy-looping process on 2 cores the GPT-2 block went 88–97 →
    67–76 ms (bench/README.md). Other loops, and the GEMMs of a decode
    step (unmarked), keep the static schedule: guided dispatch costs a few
    microseconds per loop, which doubled the decode step of a tiny model
    whose loops are that short.
  }];
  let dependentDialects = ["mlir::omp::OpenMPDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def LowerMath : Pass<"kiln-lower-math", "mlir::ModuleOp"> {
  let summary = "Lower f32 math functions to polynomial code and LLVM "
                "intrinsics";
  let description = [{
    Rewrites f32 `math` functions (exp, expm1, log, log1p, tanh, erf, sin,
    cos, ...), scalar or vector, into MLIR's polynomial approximations, then
    the math ops those leave (fma, floor, ...) and any other math op on
    vectors into LLVM intrinsics. The vector kernels then compute
    activations and softmax in registers, and the scalar loops of the
    elementwise ops are plain arithmetic that LLVM's loop vectorizer widens,
    with no libm call per element. Math on f64 (RoPE's angles) is left for
    libm, whose precision it needs.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::vector::VectorDialect", "mlir::LLVM::LLVMDialect"
  ];
}

def EmitModelABI : Pass<"kiln-emit-model-abi", "mlir::ModuleOp"> {
  let summary = "Add the compiled-model ABI symbols to an LLVM dialect module";
  let description = [{
    Runs after the lowering to the LLVM dialect. Reads the `kiln.signature`
    and `kiln.source` module attributes and adds `kiln_compiled_abi_version`,
    `kiln_compiled_signature`, `kiln_compiled_source` and `kiln_compiled_entry`, the
    last unpacking `(void **buffers, const int64_t *dims)` into the memref
    descriptors of the model function, and `kiln_compiled_pack` and
    `kiln_compiled_pack_one`, which call the packing function for every
    packed buffer or one (see docs/abi.md). A module with the generation
    entries `@kiln_prefill` and `@kiln_decode` also gets
    `kiln_compiled_prefill` and `kiln_compiled_decode`, unpacked the same
    way from the signature's "generation" object.
  }];
  let options = [
    Option<"entryFunction", "entry", "std::string", "\"kiln_main\"",
           "Name of the lowered model function">,
    Option<"packFunction", "pack", "std::string", "\"kiln_pack\"",
           "Name of the lowered weight-packing function">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // KILN_CONVERSION_PASSES
